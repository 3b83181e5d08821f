"""Self-paced sessions on both backends: every question takes ballots while the session is open, each
participant at their own pace; `open` and `close` apply to the whole session, `goto` only moves the
presenter; answers can be changed while open where the question allows it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import connect

QUESTIONS = [
    {"kind": "scale", "text": "Oceń webinarium", "statements": ["Treść", "Czas"], "min": 1, "max": 5},
    {"kind": "choice", "text": "Czy weźmiesz udział znowu?", "options": ["tak", "nie"], "allow_change": False},
    {"kind": "choice", "text": "Skąd wiesz o webinarium?", "options": ["e-mail", "strona", "znajomi"]},
]


async def survey(api: LivepollClient) -> tuple[str, str]:
    response = await api.post("/api/v1/sessions", headers=api.admin_headers(), json={
        "title": "Ankieta", "mode": "self_paced", "questions": QUESTIONS})
    assert response.status_code == 201, response.text
    assert response.json()["mode"] == "self_paced"
    return response.json()["code"], response.json()["host_key"]


async def test_two_phones_answer_different_questions_at_once_and_both_count(api: LivepollClient) -> None:
    code, key = await survey(api)
    first, second = api.participant(), api.participant()
    await asyncio.gather(first.join(code), second.join(code))
    answers = await asyncio.gather(
        first.post(f"/api/v1/sessions/{code}/votes", json={"question": "q1", "ratings": {"s1": 5, "s2": 4}}),
        second.vote(code, "q3", ["o2"]),
        first.vote(code, "q3", ["o1"]),
        second.post(f"/api/v1/sessions/{code}/votes", json={"question": "q1", "ratings": {"s1": 3}}),
    )
    assert [a.status_code for a in answers] == [200, 200, 200, 200], [a.text for a in answers]
    results = {q["id"]: q for q in (await api.results(code, key))["questions"]}  # type: ignore[attr-defined]
    assert results["q1"]["voters"] == 2 and results["q3"]["voters"] == 2
    assert {o["id"]: o["votes"] for o in results["q3"]["options"]} == {"o1": 1, "o2": 1, "o3": 0}
    mine = await first.join(code)
    assert mine["ballots"] == {"q1": {"ratings": {"s1": 5, "s2": 4}}, "q3": {"choices": ["o1"]}}
    assert [q["id"] for q in mine["questions"]] == ["q1", "q2", "q3"]  # type: ignore[index]


async def test_open_and_close_apply_to_the_whole_session_and_goto_only_moves_the_presenter(
    api: LivepollClient,
) -> None:
    code, key = await survey(api)
    phone = api.participant()
    await phone.join(code)
    assert (await api.control(code, key, "close")).status_code == 200
    for question in ("q2", "q3"):
        refused = await phone.vote(code, question, ["o1"])
        assert (refused.status_code, refused.json()["error"]) == (409, "voting_closed")
    assert (await api.control(code, key, "goto", "q3")).json()["voting_open"] is False  # still closed
    assert (await api.control(code, key, "open")).status_code == 200
    assert (await phone.vote(code, "q2", ["o1"])).status_code == 200  # not the presenter's question: counts
    assert (await phone.vote(code, "q3", ["o2"])).status_code == 200
    assert (await phone.vote(code, "q3", ["o3"])).status_code == 200  # changed: allowed
    again = await phone.vote(code, "q2", ["o2"])
    assert (again.status_code, again.json()["error"]) == (409, "change_not_allowed")
    shown = await phone.join(code)
    assert (shown["question"]["id"], shown["question_number"]) == ("q3", 3)  # type: ignore[index]
    assert await api.votes(code, key, "q3") == ({"o1": 0, "o2": 0, "o3": 1}, 1)


async def test_switching_a_live_session_to_self_paced(api: LivepollClient) -> None:
    code, key, _ = await api.create_session(questions=QUESTIONS[1:])
    phone = api.participant()
    await phone.join(code)
    refused = await phone.vote(code, "q2", ["o1"])
    assert (refused.status_code, refused.json()["error"]) == (409, "not_current")
    switched = await api.patch(f"/api/v1/sessions/{code}", json={"mode": "self_paced"},
                               headers=api.host_headers(key))
    assert switched.json()["mode"] == "self_paced"
    assert (await phone.vote(code, "q2", ["o1"])).status_code == 200


async def test_the_participant_socket_carries_every_question(api: LivepollClient, server: ServerProcess) -> None:
    code, _key = await survey(api)
    phone = api.participant()
    await phone.join(code)
    cookie = "; ".join(f"{n}={v}" for n, v in phone.cookies.items())
    async with connect(server.ws_url(f"/ws/v1/sessions/{code}"), additional_headers={"Cookie": cookie},
                       proxy=None) as ws:
        async with asyncio.timeout(10):
            while True:
                frame: dict[str, Any] = json.loads(await ws.recv())
                if frame["type"] == "state":
                    break
        assert frame["mode"] == "self_paced" and frame["question_count"] == 3
        assert [q["text"] for q in frame["questions"]] == [q["text"] for q in QUESTIONS]
        await ws.send(json.dumps({"type": "vote", "question": "q3", "choices": ["o2"], "ref": "r1"}))
        async with asyncio.timeout(10):
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("ref") == "r1":
                    break
        assert reply["type"] == "ack", reply
