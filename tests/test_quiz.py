"""The quiz against real servers on both backends: its answers reach nobody but the host before the reveal
(not a frame, not a GET, not a page), the reveal shows them everywhere and tells each phone how it did, and
the leaderboard ranks by points with nicknames (ties share a rank)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import ClientConnection, connect

WAIT = 10.0
QUIZ = [
    {"kind": "quiz", "text": "Stolica Polski?", "options": ["Kraków", "Warszawa", "Gdańsk"], "correct": [1],
     "points": 100},
    {"kind": "quiz", "text": "Stolica Ukrainy?", "options": ["Lwów", "Kijów"], "correct": [1], "points": 50},
]


def open_ws(server: ServerProcess, path: str, cookie: str | None = None) -> Any:
    return connect(server.ws_url(path), additional_headers={"Cookie": cookie} if cookie else None, proxy=None,
                   compression=None, open_timeout=WAIT, close_timeout=2)


def cookie_of(client: LivepollClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def frames_until(ws: ClientConnection, seen: list[str], predicate: Any) -> dict[str, Any]:
    """Read frames (keeping every raw one in `seen`) until one satisfies `predicate`."""
    async with asyncio.timeout(WAIT):
        while True:
            raw = await ws.recv()
            assert isinstance(raw, str)
            seen.append(raw)
            frame: dict[str, Any] = json.loads(raw)
            if predicate(frame):
                return frame


async def test_answers_stay_with_the_host_until_the_reveal(api: LivepollClient, server: ServerProcess) -> None:
    """Before the reveal no frame, no participant GET and no participant or presenter page carries the
    correct answers (only the host's creation answer and panel do); after it, every screen has them, voting on
    the question is closed, and each phone is told its points, score and rank."""
    code, key, created = await api.create_session(title="Quiz", questions=QUIZ)
    assert created["questions"][0]["correct"] == ["o2"]  # type: ignore[index]
    right, wrong = api.participant(), api.participant()
    for phone in (right, wrong):
        await phone.join(code)
    seen: list[str] = []
    async with (
        open_ws(server, f"/ws/v1/sessions/{code}", cookie_of(right)) as phone_ws,
        open_ws(server, f"/ws/v1/sessions/{code}/presenter?key={key}") as screen,
    ):
        await frames_until(phone_ws, seen, lambda f: f["type"] == "ballot")
        await frames_until(screen, seen, lambda f: f["type"] == "results")
        assert (await right.vote(code, "q1", ["o2"])).status_code == 200
        assert (await wrong.vote(code, "q1", ["o3"])).status_code == 200
        await frames_until(screen, seen, lambda f: f["voters"] == 2)
        pages = [
            (await right.get(f"/api/v1/sessions/{code}")).text,
            (await right.get(f"/{code}")).text,
            (await api.participant().get(f"/present/{code}?key={key}", follow_redirects=True)).text,
        ]
        for text in [*seen, *pages]:
            assert '"correct"' not in text, text[:400]

        assert (await api.control(code, key, "reveal", "q1")).status_code == 200
        shown = await frames_until(screen, seen, lambda f: f["question"].get("correct") is not None)
        assert shown["question"]["correct"] == ["o2"] and shown["voting_open"] is False
        # The phone gets the revealed question (shared frame), then how it did (its own frame).
        state = await frames_until(phone_ws, seen, lambda f: f["type"] == "state" and "correct" in f["question"])
        assert state["question"]["correct"] == ["o2"] and state["voting_open"] is False
        outcome = await frames_until(phone_ws, seen, lambda f: f["type"] == "ballot" and f.get("quiz"))
        assert outcome["quiz"] == {"points": 100, "correct": True, "score": 100, "rank": 1, "of": 2}
    late = await wrong.vote(code, "q1", ["o2"])
    assert (late.status_code, late.json()["error"]) == (409, "voting_closed")
    assert (await right.get(f"/api/v1/sessions/{code}")).json()["question"]["correct"] == ["o2"]


async def test_leaderboard_ranks_by_points_with_nicknames(api: LivepollClient) -> None:
    """Scores add up over revealed questions; ties share a rank; a taken nickname gets a suffix; a participant
    without one is listed under a friendly pseudonym; a blocked name is refused; unrevealed questions do not
    count."""
    code, key, _ = await api.create_session(title="Quiz", questions=QUIZ)
    phones = [api.participant() for _ in range(3)]
    for phone in phones:
        await phone.join(code)
    names = [await phones[0].post(f"/api/v1/sessions/{code}/nickname", json={"name": "Ola"}),
             await phones[1].post(f"/api/v1/sessions/{code}/nickname", json={"name": "ola"})]
    assert [n.json()["name"] for n in names] == ["Ola", "ola 2"]
    blocked = await phones[2].post(f"/api/v1/sessions/{code}/nickname", json={"name": "kurwa"})
    assert (blocked.status_code, blocked.json()["error"]) == (422, "name_not_allowed")
    for phone, choice in zip(phones, ["o2", "o2", "o1"], strict=True):
        assert (await phone.vote(code, "q1", [choice])).status_code == 200
    board = await api.get(f"/api/v1/sessions/{code}/leaderboard", headers=api.host_headers(key))
    assert board.json() == {"entries": []}  # nothing revealed yet
    await api.control(code, key, "reveal", "q1")
    await api.control(code, key, "goto", "q2")
    assert (await phones[2].vote(code, "q2", ["o2"])).status_code == 200
    await api.control(code, key, "reveal", "q2")
    entries = (await api.get(f"/api/v1/sessions/{code}/leaderboard", headers=api.host_headers(key),
                             params={"lang": "en"})).json()["entries"]
    assert [(e["rank"], e["name"], e["score"], e["correct"]) for e in entries[:2]] == [
        (1, "Ola", 100, 1), (1, "ola 2", 100, 1)]
    third = entries[2]
    assert (third["rank"], third["score"], third["correct"]) == (3, 50, 1)
    assert third["name"] and third["name"] not in ("Ola", "ola 2")  # a friendly pseudonym, not an id
    refused = await api.get(f"/api/v1/sessions/{code}/leaderboard")
    assert refused.status_code == 401
