"""Editing a session through the API on both backends: its settings, its questions (add, change, delete,
reorder), a copy, its definition round trip; every endpoint's errors; what a question with ballots may no
longer become; and an edit reaching a connected phone and presenter within a second."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from support.redis_server import RedisServer
from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import ClientConnection, connect

WAIT = 10.0
CHOICE = {"kind": "choice", "text": "Z kim współpracować?", "options": ["miasto", "NGO", "biznes"]}
SCALE = {"kind": "scale", "text": "Oceń", "statements": ["Treść", "Czas"], "min": 1, "max": 5}


async def session_with(api: LivepollClient, *questions: dict[str, Any], **more: Any) -> tuple[str, str]:
    body = {"title": "Edycja", "questions": list(questions or [CHOICE]), **more}
    response = await api.post("/api/v1/sessions", json=body, headers=api.admin_headers())
    assert response.status_code == 201, response.text
    return response.json()["code"], response.json()["host_key"]


def path(code: str, rest: str = "") -> str:
    return f"/api/v1/sessions/{code}{rest}"


async def edit(api: LivepollClient, method: str, url: str, key: str, body: object = None) -> httpx.Response:
    return await api.request(method, url, json=body, headers=api.host_headers(key))


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


async def test_patch_session_changes_title_languages_and_mode(api: LivepollClient) -> None:
    code, key = await session_with(api)
    changed = await edit(api, "PATCH", path(code), key, {
        "title": {"pl": "Migracja", "uk": "Міграція"}, "present_languages": ["pl", "uk"], "mode": "self_paced"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["title"], body["present_languages"], body["mode"]) == ("Migracja", ["pl", "uk"], "self_paced")
    assert (await api.get(path(code), params={"lang": "uk"})).json()["title"] == "Міграція"
    moved = await edit(api, "PATCH", path(code), key, {"default_language": "uk"})
    assert (moved.json()["title"], moved.json()["default_language"]) == ("Міграція", "uk")
    assert (await api.get(path(code), params={"lang": "en"})).json()["title"] == "Міграція"  # default: uk
    assert error_of(await edit(api, "PATCH", path(code), key, {"default_language": "de"})) == (422, "invalid_body")
    assert error_of(await edit(api, "PATCH", path(code), key, {"present_languages": ["pl", "uk", "en"]})) == (
        422, "invalid_body")
    assert error_of(await edit(api, "PATCH", path(code), key, {"title": ""})) == (422, "invalid_body")
    assert error_of(await edit(api, "PATCH", path(code), "wrong-key-" * 3, {"title": "X"})) == (403, "wrong_host_key")
    assert (await api.patch(path(code), json={"title": "X"})).status_code == 401
    unknown = await api.patch(path("99999999"), json={"title": "X"}, headers=api.admin_headers())
    assert error_of(unknown) == (404, "not_found")  # a host key never learns whether a code exists: 403
    assert (await api.get(path(code), params={"lang": "uk"})).json()["title"] == "Міграція"  # refusals changed nothing


async def test_adding_questions_of_any_kind_at_a_position(api: LivepollClient) -> None:
    code, key = await session_with(api)
    added = await edit(api, "POST", path(code, "/questions"), key, {**SCALE, "position": 0})
    assert added.status_code == 201, added.text
    scale = added.json()
    assert scale["kind"] == "scale" and [s["id"] for s in scale["statements"]] == ["s1", "s2"]
    last = await edit(api, "POST", path(code, "/questions"), key, {"kind": "wordcloud", "text": "Jedno słowo"})
    assert last.status_code == 201
    ids = [q["id"] for q in (await api.results(code, key))["questions"]]  # type: ignore[index]
    assert ids == [scale["id"], "q1", last.json()["id"]] and len(set(ids)) == 3
    for bad, error in (
        ({**CHOICE, "position": 9}, (422, "invalid_position")),
        ({"kind": "wordcloud", "text": "x", "options": ["a", "b"]}, (422, "invalid_body")),
        ({"kind": "choice", "text": "x", "options": ["a", "a"]}, (422, "invalid_question")),
        ({"kind": "teleport", "text": "x", "options": ["a", "b"]}, (422, "invalid_body")),
    ):
        assert error_of(await edit(api, "POST", path(code, "/questions"), key, bad)) == error, bad
    assert len((await api.results(code, key))["questions"]) == 3  # type: ignore[arg-type]


async def test_edits_of_a_question_without_ballots_are_free(api: LivepollClient) -> None:
    code, key = await session_with(api)
    url = path(code, "/questions/q1")
    fixed = await edit(api, "PATCH", url, key, {"options": ["NGO", "miasto"], "max_choices": 2})
    assert fixed.status_code == 200, fixed.text
    assert [(o["id"], o["label"]) for o in fixed.json()["options"]] == [("o1", "NGO"), ("o2", "miasto")]
    kind = await edit(api, "PATCH", url, key, {"kind": "scale", "statements": ["Treść"]})
    assert (kind.status_code, kind.json()["kind"]) == (200, "scale")
    assert error_of(await edit(api, "PATCH", path(code, "/questions/q9"), key, {"text": "x"})) == (
        404, "unknown_question")
    assert error_of(await edit(api, "PATCH", url, key, {"min": 7})) == (422, "invalid_body")
    assert error_of(await edit(api, "PATCH", url, key, {"kind": "choice"})) == (422, "invalid_question")


async def test_a_question_with_ballots_keeps_its_meaning(api: LivepollClient) -> None:
    """Texts corrected and options appended: yes, ids kept and ballots counted on; options removed or
    reordered, its kind changed, or fewer choices than a stored ballot made: 409 has_ballots, nothing
    changed."""
    code, key = await session_with(api, {**CHOICE, "max_choices": 3})
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1", "o3"])).status_code == 200
    url = path(code, "/questions/q1")
    corrected = await edit(api, "PATCH", url, key, {
        "text": "Z kim chcesz współpracować?", "options": ["miasto", "NGO", "biznes lokalny", "media"]})
    assert corrected.status_code == 200, corrected.text
    assert [o["id"] for o in corrected.json()["options"]] == ["o1", "o2", "o3", "o4"]
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 1, "o4": 0}, 1)
    assert (await edit(api, "PATCH", url, key, {"max_choices": 2})).status_code == 200  # the ballot fits
    for refused in (
        {"options": ["miasto", "NGO"]},  # removed
        {"options": ["NGO", "miasto", "biznes lokalny", "media"]},  # reordered
        {"kind": "ranking", "options": ["a", "b"]},
        {"max_choices": 1},  # a stored ballot has two
    ):
        assert error_of(await edit(api, "PATCH", url, key, refused)) == (409, "has_ballots"), refused
    results = (await api.results(code, key))["questions"][0]  # type: ignore[index]
    assert [o["label"] for o in results["options"]] == ["miasto", "NGO", "biznes lokalny", "media"]
    assert results["max_choices"] == 2 and results["voters"] == 1


async def test_deleting_questions_moves_the_session_on(api: LivepollClient) -> None:
    code, key = await session_with(api, CHOICE, {**CHOICE, "text": "Drugie"})
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    assert (await edit(api, "DELETE", path(code, "/questions/q1"), key)).status_code == 204
    shown = await phone.join(code)
    assert shown["question"]["id"] == "q2" and (shown["question_number"], shown["question_count"]) == (1, 1)  # type: ignore[index]
    assert [r for r in (await api.export(code, key, "responses.csv")).decode().splitlines()[1:] if r] == []
    assert error_of(await edit(api, "DELETE", path(code, "/questions/q1"), key)) == (404, "unknown_question")
    assert (await edit(api, "DELETE", path(code, "/questions/q2"), key)).status_code == 204
    empty = await phone.join(code)
    assert (empty["question"], empty["question_count"]) == (None, 0)
    assert (await edit(api, "POST", path(code, "/questions"), key, CHOICE)).status_code == 201
    assert (await phone.join(code))["question"]["text"] == CHOICE["text"]  # type: ignore[index]


async def test_reordering_questions(api: LivepollClient) -> None:
    code, key = await session_with(api, CHOICE, SCALE, {"kind": "open", "text": "Uwagi"})
    done = await edit(api, "PUT", path(code, "/questions/order"), key, {"order": ["q3", "q1", "q2"]})
    assert done.status_code == 200, done.text
    assert [q["id"] for q in done.json()["questions"]] == ["q3", "q1", "q2"]
    assert (await api.participant().join(code))["question_number"] == 2  # q1 is still current
    for bad in (["q1", "q2"], ["q1", "q1", "q2"], ["q1", "q2", "q9"]):
        assert error_of(await edit(api, "PUT", path(code, "/questions/order"), key, {"order": bad})) == (
            422, "invalid_order")
    assert error_of(await edit(api, "PUT", path(code, "/questions/order"), key, {"order": "q1"})) == (
        422, "invalid_body")


async def test_duplicate_makes_a_fresh_copy(api: LivepollClient) -> None:
    code, key = await session_with(api, CHOICE, title={"pl": "Webinarium", "uk": "Вебінар"}, qa={"enabled": True})
    phone = api.participant()
    await phone.join(code)
    await phone.vote(code, "q1", ["o2"])
    # The first Q&A question of a process waits for the word lists (the blocklist) to load: seconds.
    asked = await phone.post(path(code, "/qa"), json={"text": "Pytanie?"}, timeout=60)
    assert asked.status_code == 201
    copied = await edit(api, "POST", path(code, "/duplicate"), key)
    assert copied.status_code == 201, copied.text
    copy = copied.json()
    assert copy["code"] != code and copy["host_key"] != key
    assert copy["title"] == "Webinarium (kopia)"
    assert (await api.get(path(copy["code"]), params={"lang": "uk"})).json()["title"] == "Вебінар (копія)"
    assert [q["text"] for q in copy["questions"]] == [CHOICE["text"]]
    assert await api.votes(copy["code"], copy["host_key"]) == ({"o1": 0, "o2": 0, "o3": 0}, 0)
    qa = await api.get(path(copy["code"], "/qa"), headers=api.host_headers(copy["host_key"]))
    assert qa.json() == []
    assert await api.votes(code, key) == ({"o1": 0, "o2": 1, "o3": 0}, 1)  # the original is untouched


async def test_the_definition_round_trips(api: LivepollClient) -> None:
    """definition.json is the creation body as the session now is (maps stay maps); posting it creates an
    equal session."""
    created = {
        "title": {"pl": "Ankieta", "uk": "Анкета"},
        "default_language": "pl", "present_languages": ["pl", "uk"], "mode": "self_paced",
        "qa": {"enabled": True, "moderated": True, "max_per_participant": 3},
        "questions": [
            {"kind": "choice", "text": {"pl": "Tak czy nie?", "uk": "Так чи ні?"},
             "options": [{"pl": "tak", "uk": "так"}, "nie"], "other": True, "other_label": {"pl": "inne"}},
            {"kind": "quiz", "text": "2+2?", "options": ["3", "4"], "correct": [1], "time_limit": 20},
            {**SCALE, "min_label": {"pl": "źle", "en": "bad"}},
            {"kind": "ranking", "text": "Kolejność", "options": ["a", "b", "c"]},
            {"kind": "wordcloud", "text": "Słowo", "max_entries": 3},
            {"kind": "open", "text": "Uwagi", "max_entries": 2, "moderated": True},
        ],
    }
    code, key = await session_with(api, **created)  # type: ignore[arg-type]
    await edit(api, "PATCH", path(code, "/questions/q1"), key, {"text": {"pl": "Tak lub nie?", "uk": "Так чи ні?"}})
    download = await api.get(path(code, "/definition.json"), headers=api.host_headers(key))
    assert download.status_code == 200
    assert "livepoll-" in download.headers["content-disposition"]
    definition = download.json()
    assert definition["questions"][0]["text"] == {"pl": "Tak lub nie?", "uk": "Так чи ні?"}
    assert definition["questions"][0]["options"] == [{"pl": "tak", "uk": "так"}, "nie"]
    again = await api.post("/api/v1/sessions", json=definition, headers=api.admin_headers())
    assert again.status_code == 201, again.text
    second = await api.get(path(again.json()["code"], "/definition.json"),
                           headers=api.host_headers(again.json()["host_key"]))
    assert second.json() == definition
    assert (await api.get(path(code, "/definition.json"))).status_code == 401


async def frames(ws: ClientConnection, predicate: Any) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if predicate(frame):
                return frame


async def test_an_edit_reaches_a_phone_and_the_presenter_within_a_second(
    api: LivepollClient, server: ServerProcess
) -> None:
    code, key = await session_with(api)
    phone = api.participant()
    await phone.join(code)
    cookie = "; ".join(f"{n}={v}" for n, v in phone.cookies.items())
    async with (
        connect(server.ws_url(f"/ws/v1/sessions/{code}"), additional_headers={"Cookie": cookie}, proxy=None) as ws,
        connect(server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}"), proxy=None) as screen,
    ):
        await frames(ws, lambda f: f["type"] == "state")
        await frames(screen, lambda f: f["type"] == "results")
        changed = await edit(api, "PATCH", path(code, "/questions/q1"), key,
                             {"text": "Poprawione pytanie", "options": ["miasto", "NGO", "biznes", "szkoły"]})
        assert changed.status_code == 200
        started = time.monotonic()
        seen = await asyncio.gather(
            frames(ws, lambda f: f["type"] == "state" and f["question"]["text"] == "Poprawione pytanie"),
            frames(screen, lambda f: f["type"] == "results" and f["question"]["text"] == "Poprawione pytanie"),
        )
        elapsed = time.monotonic() - started
        assert [o["label"] for o in seen[0]["question"]["options"]][-1] == "szkoły"
        assert [o["label"] for o in seen[1]["question"]["options"]][-1] == "szkoły"
        assert elapsed < 1.0, f"the edit took {elapsed:.2f} s to reach the phone and the presenter"
        added = await edit(api, "POST", path(code, "/questions"), key, SCALE)
        assert added.status_code == 201
        assert (await frames(screen, lambda f: f["question_count"] == 2))["question_number"] == 1


@pytest.mark.parametrize("lang", ["uk", "en"])
async def test_exports_read_the_default_language_or_lang(api: LivepollClient, lang: str) -> None:
    code, key = await session_with(api, {
        "kind": "choice", "text": {"pl": "Pytanie", "uk": "Питання"}, "options": [{"pl": "tak", "uk": "так"}, "nie"]})
    default = (await api.export(code, key)).decode("utf-8-sig")
    assert "Pytanie" in default and "Питання" not in default
    chosen = (await api.export(code, key, lang=lang)).decode("utf-8-sig")
    expected = "Питання" if lang == "uk" else "Pytanie"  # no English text: the default language
    assert expected in chosen and "так" in chosen if lang == "uk" else "tak" in chosen
    response = await api.get(path(code, "/export.csv"), headers=api.host_headers(key))
    assert "livepoll-" + code + "-edycja-results.csv" in response.headers["content-disposition"]


@pytest.mark.fault
async def test_edits_racing_ballots_on_two_processes_never_leave_a_ballot_for_a_removed_option(
    make_server: Callable[..., ServerProcess], redis_server: RedisServer
) -> None:
    """Phones on two processes vote for option C while the host, through the other process, removes it:
    either the edit wins (and no ballot for C is stored, every such vote refused) or a ballot came first (the
    edit is refused with 409 and every acknowledged ballot counts). Several rounds, so both orders happen."""
    first = make_server("redis")
    second = make_server("redis", redis_prefix=first.redis_prefix)
    outcomes: set[int] = set()
    async with LivepollClient(first) as api_a, LivepollClient(second) as api_b:
        for round_, voters in enumerate((1, 1, 2, 4, 8, 16, 30, 30)):
            code, key = await session_with(api_a)
            phones = [api_a.participant() if n % 2 else api_b.participant() for n in range(voters)]
            await asyncio.gather(*(p.join(code) for p in phones))
            votes = [p.vote(code, "q1", ["o3"]) for p in phones]
            removal = edit(api_b, "PATCH", path(code, "/questions/q1"), key, {"options": ["miasto", "NGO"]})
            if round_ % 2:  # the edit sent first, or last: both orders happen
                removed, *answers = await asyncio.gather(removal, *votes)
            else:
                *answers, removed = await asyncio.gather(*votes, removal)
            accepted = sum(1 for a in answers if a.status_code == 200)
            assert all(a.status_code in (200, 422) for a in answers), {a.status_code for a in answers}
            outcomes.add(removed.status_code)
            for api in (api_a, api_b):
                question = (await api.results(code, key))["questions"][0]  # type: ignore[index]
                labels = [o["label"] for o in question["options"]]
                if removed.status_code == 200:
                    assert accepted == 0 and labels == ["miasto", "NGO"] and question["voters"] == 0
                else:
                    assert error_of(removed) == (409, "has_ballots")
                    assert labels == ["miasto", "NGO", "biznes"] and question["voters"] == accepted > 0
            rows = (await api_a.export(code, key, "responses.csv")).decode("utf-8-sig").splitlines()[1:]
            assert len([r for r in rows if r]) == (0 if removed.status_code == 200 else accepted)
    assert outcomes <= {200, 409}
