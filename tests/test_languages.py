"""Question content in several languages: the order a participant's language is found in (`?lang`, the
language cookie, Accept-Language, the session's default, then any language the text has), on both backends
and in the rules; ballots land on one chart whatever the language; the presenter gets its two languages."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import connect

from livepoll.kinds import build_question
from livepoll.languages import resolve
from livepoll.model import QuestionKind
from livepoll.questions import Draft, Question

QUESTION = {
    "kind": "choice",
    "text": {"pl": "Z kim współpracować?", "uk": "З ким співпрацювати?"},
    "options": [{"pl": "miasto", "uk": "місто"}, {"en": "NGOs"}, "biznes"],
    "other": True, "other_label": {"uk": "інше"},
}


@pytest.mark.parametrize(("text", "lang", "default", "read"), [
    ({"pl": "P", "uk": "U", "en": "E"}, "uk", "pl", "U"),  # the reader's language
    ({"pl": "P", "en": "E"}, "uk", "pl", "P"),  # else the default language
    ({"en": "E"}, "uk", "pl", "E"),  # else any language the text has
    ({"uk": "U", "en": "E"}, "pl", "en", "E"),  # the default, not the first in order
    ("plain", "uk", "pl", "plain"),
])
def test_a_text_is_read_in_the_readers_language_then_the_default_then_any(
    text: Any, lang: str, default: str, read: str
) -> None:
    assert resolve(text, lang, default) == read


def test_a_question_keeps_its_languages_by_id_through_storage() -> None:
    fields = {k: v for k, v in QUESTION.items() if k != "kind"}
    question = build_question(Draft.localized(QuestionKind.CHOICE, "pl", **fields), 1)
    assert [o.label for o in question.options] == ["miasto", "NGOs", "biznes", "інше"]  # any language it has
    stored = Question.from_record(question.to_record(), "pl")
    assert stored == question
    ukrainian = stored.in_language("uk", "pl")
    assert [o.label for o in ukrainian.options] == ["місто", "NGOs", "biznes", "інше"]
    assert [o.id for o in ukrainian.options] == [o.id for o in question.options]
    assert stored.to_request() == {**QUESTION, "max_choices": 1, "allow_change": True}  # defaults made explicit


@pytest.mark.parametrize(("query", "cookie", "accept", "language", "text"), [
    ("uk", "en", "pl", "uk", "З ким співпрацювати?"),  # ?lang first
    (None, "uk", "pl-PL,pl;q=0.9", "uk", "З ким співпрацювати?"),  # then the cookie
    (None, None, "de-DE, uk;q=0.8, pl;q=0.5", "uk", "З ким співпрацювати?"),  # then Accept-Language
    (None, None, "de-DE", "pl", "Z kim współpracować?"),  # then the session's default
    ("en", None, None, "en", "Z kim współpracować?"),  # a language the text lacks: the default's text
])
async def test_a_participant_reads_the_session_in_their_language(
    api: LivepollClient, query: str | None, cookie: str | None, accept: str | None, language: str, text: str
) -> None:
    code, _key, _ = await api.create_session(questions=[QUESTION])
    phone = api.participant()
    if cookie is not None:
        phone.cookies.set("lp_lang", cookie)
    response = await phone.get(f"/api/v1/sessions/{code}", params={"lang": query} if query else None,
                               headers={"Accept-Language": accept} if accept else None)
    body = response.json()
    assert (body["language"], body["question"]["text"]) == (language, text)
    labels = [o["label"] for o in body["question"]["options"]]
    assert labels[1] == "NGOs"  # only in English: any language it has
    assert labels[0] == ("місто" if language == "uk" else "miasto")


async def test_ballots_in_every_language_land_on_one_chart(api: LivepollClient, server: ServerProcess) -> None:
    """A Ukrainian and a Polish phone vote; the presenter shows Polish with Ukrainian stacked under it and
    both votes on the same bars; each phone's socket speaks its language."""
    response = await api.post("/api/v1/sessions", headers=api.admin_headers(), json={
        "title": {"pl": "Migracja", "uk": "Міграція"}, "questions": [QUESTION], "present_languages": ["pl", "uk"]})
    code, key = response.json()["code"], response.json()["host_key"]
    polish, ukrainian = api.participant(), api.participant()
    await polish.join(code)
    await ukrainian.get(f"/api/v1/sessions/{code}", headers={"Accept-Language": "uk"})
    assert (await polish.vote(code, "q1", ["o1"])).status_code == 200
    assert (await ukrainian.vote(code, "q1", ["o1"])).status_code == 200
    assert await api.votes(code, key) == ({"o1": 2, "o2": 0, "o3": 0, "other": 0}, 2)
    cookie = "; ".join(f"{n}={v}" for n, v in ukrainian.cookies.items())
    async with (
        connect(server.ws_url(f"/ws/v1/sessions/{code}"), proxy=None,
                additional_headers={"Cookie": cookie, "Accept-Language": "uk-UA"}) as phone,
        connect(server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}"), proxy=None) as screen,
    ):
        async with asyncio.timeout(10):
            state: dict[str, Any] = json.loads(await phone.recv())
            while state["type"] != "state":
                state = json.loads(await phone.recv())
            shown: dict[str, Any] = json.loads(await screen.recv())
            while shown["type"] != "results":
                shown = json.loads(await screen.recv())
    assert (state["language"], state["title"], state["question"]["text"]) == (
        "uk", "Міграція", "З ким співпрацювати?")
    assert (shown["language"], shown["title"], shown["question"]["text"]) == ("pl", "Migracja", "Z kim współpracować?")
    assert shown["question"]["options"][0]["votes"] == 2
    translation = shown["translation"]
    assert (translation["language"], translation["title"]) == ("uk", "Міграція")
    assert translation["question"]["text"] == "З ким співпрацювати?"
    assert [o["label"] for o in translation["question"]["options"]][:2] == ["місто", "NGOs"]
