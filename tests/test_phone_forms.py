"""The participant page without JavaScript, for every kind of question, against a real server on both backends:
the server-rendered form of each kind, its form post counted exactly (and shown as counted on the next page),
each refusal explained in words by its API error code with nothing counted, ranking selects that repeat an
option refused (and kept as sent), the nickname form, and a revealed quiz's outcome. Also the API's own
error codes for the lengths of ballot fields, which the page's messages rely on."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import connect

KINDS: list[dict[str, object]] = [
    {"kind": "choice", "text": "Co jest najważniejsze?", "options": ["Transport", "Mieszkania"], "other": True},
    {"kind": "wordcloud", "text": "Jednym słowem?", "max_entries": 3},
    {"kind": "open", "text": "Uwagi?", "max_entries": 1},
    {"kind": "scale", "text": "Oceń", "statements": ["Treść", "Prowadzenie"], "min": 1, "max": 5,
     "min_label": "źle", "max_label": "świetnie"},
    {"kind": "ranking", "text": "Priorytety", "options": ["Zieleń", "Drogi", "Szkoły"]},
    {"kind": "quiz", "text": "Stolica?", "options": ["Kraków", "Warszawa"], "correct": [1]},
]
QUESTION_OF = {str(q["kind"]): f"q{n}" for n, q in enumerate(KINDS, start=1)}


async def session_on(api: LivepollClient, kind: str) -> tuple[str, str, str]:
    """A session with one question of each kind, showing the question of `kind`: (code, key, question id)."""
    code, key, _ = await api.create_session(questions=KINDS)
    question = QUESTION_OF[kind]
    assert (await api.control(code, key, "goto", question)).status_code == 200
    return code, key, question


async def phone_on(api: LivepollClient, code: str) -> LivepollClient:
    phone = api.participant()
    assert (await phone.get(f"/{code}")).status_code == 200  # the participant cookie
    return phone


async def post_form(phone: LivepollClient, server: ServerProcess, code: str, fields: list[tuple[str, str]]) -> Any:
    """POST the page's form as a browser does (a field may repeat: one value per field, in order)."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return await phone.post(f"/{code}/vote", data=data, headers={"Origin": server.origin})


async def question_results(api: LivepollClient, code: str, key: str, question: str) -> dict[str, Any]:
    body: Any = await api.results(code, key)
    return next(q for q in body["questions"] if q["id"] == question)


def counted_of(results: dict[str, Any]) -> object:
    """What a question's results say was counted, per kind, in one comparable value."""
    kind = results["kind"]
    if kind in ("choice", "quiz"):
        return {o["id"]: o["votes"] for o in results["options"] if o["votes"]}, results.get("other_texts")
    if kind == "wordcloud":
        return {w["key"]: w["count"] for w in results["words"]}
    if kind == "open":
        return [e["text"] for e in results["entries"]]
    if kind == "scale":
        return {s["id"]: s["counts"] for s in results["statements"]}
    return [(o["id"], o["score"]) for o in results["options"]]


def status_of(html: str) -> str:
    status = html[html.index('id="vote-status"'):]
    return status[: status.index("</div>")]


async def test_every_kind_renders_its_own_form_without_javascript(api: LivepollClient) -> None:
    """Each kind's fields, named as the form post expects them, in a fieldset with a legend."""
    code, key, _ = await api.create_session(questions=KINDS)
    phone = await phone_on(api, code)
    expected = {
        "q1": ['type="radio" name="choices" value="other"', 'name="other_text" maxlength="200"',
               '<span class="option-label">Other</span>'],
        "q2": ['name="entries" maxlength="40"'] * 3 + ["0 / 3 words"],
        "q3": ['<textarea id="open-text" name="text" rows="4" maxlength="500"', "0 / 500 characters"],
        "q4": [f'name="rating-s{s}" value="{v}"' for s in (1, 2) for v in range(1, 6)] + ["– źle", "– świetnie"],
        "q5": [f'<select id="rank-{n}" name="rank-{n}">' for n in (1, 2, 3)] + ["Place 3"],
        "q6": ['type="radio" name="choices" value="o2"', f'action="/{code}/nickname"'],
    }
    for question, needles in expected.items():
        assert (await api.control(code, key, "goto", question)).status_code == 200
        html = (await phone.get(f"/{code}?lang=en")).text
        assert "<fieldset" in html and "<legend>" in html
        for needle in needles:
            assert html.count(needle) >= needles.count(needle), (question, needle)
        assert "correct" not in html.split('id="question-area"')[1].split("</form>")[0]  # no quiz answers leak
    html = (await phone.get(f"/{code}?lang=en")).text
    assert html.count('<option value="o') == 0  # the quiz is radios, not selects


@pytest.mark.parametrize(
    ("kind", "fields", "counted", "shown", "on_phones"),
    [
        ("choice", [("choices", "other"), ("other_text", "  Kultura  ")], ({"other": 1}, ["Kultura"]),
         ['value="other" id="opt-other" checked', 'value="Kultura"'],
         ['<span class="bar-label">Other</span>', '<span class="bar-value">1 · 100%</span>']),
        ("wordcloud", [("entries", "Miasta"), ("entries", ""), ("entries", "miasto"), ("entries", "rower")],
         {"miasto": 1, "rower": 1}, ['value="Miasta"', 'value="rower"', "Counted:"],
         ['<span class="user-text">Miasta</span> <span class="count">1</span>']),
        ("open", [("text", "Więcej zieleni\r\nmniej aut")], ["Więcej zieleni\nmniej aut"],
         ["Your entries", "Więcej zieleni\nmniej aut"], ['<li class="user-text">Więcej zieleni\nmniej aut</li>']),
        ("scale", [("rating-s2", "4")], {"s1": [0, 0, 0, 0, 0], "s2": [0, 0, 0, 1, 0]},
         ['value="4" id="rating-s2-4" checked'], ["Average: – · 0 ratings", "Average: 4 · 1 rating"]),
        ("ranking", [("rank-1", "o3"), ("rank-2", "o1"), ("rank-3", "o2")], [("o3", 3), ("o1", 2), ("o2", 1)],
         ['<option value="o3" selected>'], ['<span class="bar-value">Score 3 · average place 1</span>']),
    ],
)
async def test_each_kinds_form_post_is_counted_and_shown_as_counted(
    api: LivepollClient, server: ServerProcess, kind: str, fields: list[tuple[str, str]], counted: object,
    shown: list[str], on_phones: list[str],
) -> None:
    """A form post answers 303 back to the page; /results holds exactly that ballot; the next page shows it
    as counted (from the server), and the kind's results once the host shows them on phones."""
    code, key, question = await session_on(api, kind)
    phone = await phone_on(api, code)
    response = await post_form(phone, server, code, [("question", question), *fields])
    assert response.status_code == 303 and response.headers["location"] == f"/{code}", response.headers
    assert counted_of(await question_results(api, code, key, question)) == counted
    html = (await phone.get(f"/{code}?lang=en")).text
    assert re.search(r'class="success">\s*Your (vote is counted|answer is counted|entry was sent)', status_of(html))
    for needle in shown:
        assert needle in html, needle
    assert 'id="phone-results" class="phone-results" aria-labelledby="phone-results-title" hidden' in html
    assert (await api.control(code, key, "show_on_phones")).status_code == 200
    results = (await phone.get(f"/{code}?lang=en")).text.split('id="phone-results"')[1]
    for needle in on_phones:
        assert needle in results, needle


LONG = "x" * 201


@pytest.mark.parametrize(
    ("kind", "fields", "error", "message"),
    [
        ("choice", [("choices", "other"), ("other_text", "   ")], "other_text_required",
         "Write your answer for “Other”, or choose another option."),
        ("choice", [("choices", "other"), ("other_text", LONG)], "other_text_too_long",
         "Your answer for “Other” has at most 200 characters."),
        ("choice", [("choices", "o1"), ("text", "a comment")], "unexpected_field",
         "This answer does not fit the current question."),
        ("wordcloud", [("entries", ""), ("entries", " ")], "invalid_ballot", "Write at least one word."),
        ("wordcloud", [("entries", "y" * 41)], "entry_too_long", "A word or phrase has at most 40 characters."),
        ("wordcloud", [("entries", w) for w in ("a", "b", "c", "d")], "too_many_entries",
         "You can send at most 3 words."),
        ("wordcloud", [("entries", "\u202e\u2066")], "empty_entry", "The answer is empty. Write something first."),
        ("open", [("text", " \n ")], "empty_entry", "The answer is empty. Write something first."),
        ("open", [("text", "z" * 501)], "entry_too_long", "An entry has at most 500 characters."),
        ("scale", [], "invalid_ballot", "Rate at least one statement."),
        ("scale", [("rating-s9", "3")], "unknown_statement", "This statement is not part of the current question."),
        ("scale", [("rating-s1", "9")], "invalid_rating", "Choose a value on the scale."),
        ("scale", [("rating-s1", "dużo")], "invalid_rating", "Choose a value on the scale."),
        ("ranking", [("rank-1", "o1"), ("rank-2", "o1"), ("rank-3", "o2")], "invalid_order",
         "the same option was chosen for two places"),
        ("ranking", [("rank-1", "o1"), ("rank-2", "o2")], "invalid_order", "Put every option in order"),
    ],
)
async def test_form_refusals_are_explained_and_change_nothing(
    api: LivepollClient, server: ServerProcess, kind: str, fields: list[tuple[str, str]], error: str,
    message: str,
) -> None:
    """A refused form redirects back with the API's error code; the page explains it in words; nothing is
    counted."""
    code, key, question = await session_on(api, kind)
    phone = await phone_on(api, code)
    response = await post_form(phone, server, code, [("question", question), *fields])
    assert response.status_code == 303
    assert dict(parse_qsl(urlsplit(response.headers["location"]).query))["error"] == error
    html = (await phone.get(response.headers["location"] + "&lang=en")).text
    assert message in status_of(html)
    assert (await question_results(api, code, key, question))["voters"] == 0


async def test_open_text_past_its_limit_is_refused_with_a_message(api: LivepollClient, server: ServerProcess) -> None:
    """An open question takes one entry per participant: a second is 409 limit_reached, explained; the page
    then shows the limit instead of the form, and the same text resent within a minute is the same entry."""
    code, key, question = await session_on(api, "open")
    phone = await phone_on(api, code)
    first = await post_form(phone, server, code, [("question", question), ("text", "pierwsza")])
    assert first.headers["location"] == f"/{code}"
    again = await post_form(phone, server, code, [("question", question), ("text", "pierwsza")])
    assert again.headers["location"] == f"/{code}"  # a resend: acknowledged, stored once
    second = await post_form(phone, server, code, [("question", question), ("text", "druga")])
    assert "error=limit_reached" in second.headers["location"]
    html = (await phone.get(second.headers["location"] + "&lang=en")).text
    assert "You have sent 1 entry: the most this question takes." in status_of(html)
    assert counted_of(await question_results(api, code, key, question)) == ["pierwsza"]
    html = (await phone.get(f"/{code}?lang=en")).text
    assert "Your entry was sent. You have sent 1 entry" in status_of(html) and 'id="vote-button"' not in html
    assert re.search(r"<fieldset disabled>", html)


async def test_a_refused_ranking_keeps_the_places_as_sent(api: LivepollClient, server: ServerProcess) -> None:
    """Selects that name one option twice are refused; the page shows the selects as they were sent, so the
    participant fixes one place instead of starting over."""
    code, _, question = await session_on(api, "ranking")
    phone = await phone_on(api, code)
    response = await post_form(phone, server, code, [("question", question), ("rank-1", "o2"), ("rank-2", "o2"),
                                                     ("rank-3", "o1")])
    html = (await phone.get(response.headers["location"] + "&lang=en")).text
    selected = re.findall(r'<select id="rank-(\d)"[^>]*>(.*?)</select>', html, re.S)
    picks = {n: re.findall(r'<option value="(o\d)" selected>', body) for n, body in selected}
    assert picks == {"1": ["o2"], "2": ["o2"], "3": ["o1"]}


async def test_nickname_form_without_javascript(api: LivepollClient, server: ServerProcess) -> None:
    """On a quiz question the nickname form saves a name (a taken one gets a suffix) and refuses a blocked
    one with a message; the page shows the saved name."""
    code, _, _ = await session_on(api, "quiz")
    first, second = await phone_on(api, code), await phone_on(api, code)
    headers = {"Origin": server.origin}
    saved = await first.post(f"/{code}/nickname", data={"name": " Ala "}, headers=headers)
    assert saved.status_code == 303
    html = (await first.get(saved.headers["location"] + "&lang=en")).text
    assert "You appear on the leaderboard as Ala." in html and 'value="Ala"' in html
    taken = await second.post(f"/{code}/nickname", data={"name": "ala"}, headers=headers)
    html = (await second.get(taken.headers["location"] + "&lang=en")).text
    assert "You appear on the leaderboard as ala 2." in html
    blocked = await second.post(f"/{code}/nickname", data={"name": "shit"}, headers=headers)
    assert "nick_error=name_not_allowed" in blocked.headers["location"]
    assert "Please choose another name." in (await second.get(blocked.headers["location"] + "&lang=en")).text
    empty = await second.post(f"/{code}/nickname", data={"name": "  "}, headers=headers)
    assert "A name has 1 to 30 characters." in (await second.get(empty.headers["location"] + "&lang=en")).text
    foreign = await second.post(f"/{code}/nickname", data={"name": "Ola"}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403


async def test_a_revealed_quiz_says_right_or_wrong_and_the_place(api: LivepollClient, server: ServerProcess) -> None:
    """After the reveal the page marks the correct answer in words and says how the participant did."""
    code, key, question = await session_on(api, "quiz")
    right, wrong = await phone_on(api, code), await phone_on(api, code)
    await post_form(right, server, code, [("question", question), ("choices", "o2")])
    await post_form(wrong, server, code, [("question", question), ("choices", "o1")])
    assert (await api.control(code, key, "show_on_phones")).status_code == 200
    before = (await right.get(f"/{code}?lang=en")).text
    assert "correct" not in before.split('id="question-area"')[1].split('id="lp-config"')[0]  # not before the reveal
    assert '"correct"' not in before
    response = await api.post(f"/api/v1/sessions/{code}/control", json={"action": "reveal", "question": question},
                              headers=api.host_headers(key))
    assert response.status_code == 200
    html = (await right.get(f"/{code}?lang=en")).text
    assert "✓ Right!" in html and "You earned 100 points." in html and "Your score: 100 · 1st of 2" in html
    assert '<span class="option-note">✓ correct answer</span>' in html
    assert '<span class="bar-label">✓ Warszawa (correct answer)</span>' in html.split('id="phone-results"')[1]
    html = (await wrong.get(f"/{code}?lang=pl")).text
    assert "✗ Niepoprawnie." in html and "Zdobywasz 0 punktów." in html and "Miejsce 2 z 2" in html


@pytest.mark.parametrize(
    ("kind", "ballot", "error"),
    [
        ("choice", {"choices": ["other"], "other_text": " \u202e "}, "other_text_required"),
        ("choice", {"choices": ["other"], "other_text": "x" * 201}, "other_text_too_long"),
        ("wordcloud", {"entries": ["y" * 41]}, "entry_too_long"),
        ("wordcloud", {"entries": ["ok", "  "]}, "empty_entry"),
        ("wordcloud", {"entries": [str(n) for n in range(11)]}, "too_many_entries"),
        ("open", {"text": "z" * 501}, "entry_too_long"),
        ("open", {"text": "\u2066 \n "}, "empty_entry"),
    ],
)
async def test_api_refuses_ballot_lengths_with_the_kinds_error_codes(
    api: LivepollClient, server: ServerProcess, kind: str, ballot: dict[str, object], error: str
) -> None:
    """docs/api.md promises the kinds' codes for these limits (the page explains each one); the request model
    checks the lengths first and must answer with the same codes, over HTTP and over the socket."""
    code, key, question = await session_on(api, kind)
    phone = await phone_on(api, code)
    response = await phone.post(f"/api/v1/sessions/{code}/votes", json={"question": question, **ballot})
    assert (response.status_code, response.json()["error"]) == (422, error), response.text
    cookie = "; ".join(f"{name}={value}" for name, value in phone.cookies.items())
    async with connect(server.ws_url(f"/ws/v1/sessions/{code}"), additional_headers={"Cookie": cookie},
                                  open_timeout=10) as ws:
        await ws.send(json.dumps({"type": "vote", "question": question, **ballot, "ref": "r1"}))
        while (frame := json.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] not in ("ack", "error"):
            pass
    assert (frame["type"], frame["error"], frame["ref"]) == ("error", error, "r1")
    assert (await question_results(api, code, key, question))["voters"] == 0


async def test_every_module_of_the_participant_page_is_served(api: LivepollClient) -> None:
    """participant.js and every module it imports (the ballot modules, transitively) are served from this
    server as JavaScript, so CSP script-src 'self' lets the page run."""
    seen: set[str] = set()
    waiting = ["participant.js"]
    while waiting:
        name = waiting.pop()
        response = await api.get(f"/static/{name}")
        assert response.status_code == 200 and "javascript" in response.headers["content-type"], name
        seen.add(name)
        for imported in re.findall(r'^import .* from "\./([\w.-]+\.js)";$', response.text, re.M):
            if imported not in seen:
                waiting.append(imported)
    assert {"ballots.js", "ballot-choice.js", "ballot-text.js", "ballot-scale.js", "ballot-ranking.js",
            "ballot-sender.js", "countdown.js", "phone-results.js", "quiz-extras.js"} <= seen
