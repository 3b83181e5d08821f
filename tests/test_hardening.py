"""Defects found by attacking the engine from outside (issue 7), each pinned against real servers on loopback
on both backends: host controls that undid each other, screens that showed ballots never stored, resends
refused after close, "counted" said by the page instead of the server, host keys that could not be
rotated, and deleted sessions left on disk."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

WAIT = 5.0
QUESTIONS = [
    {"kind": "choice", "text": "Pierwsze?", "options": ["tak", "nie", "nie wiem"]},
    {"kind": "choice", "text": "Drugie?", "options": ["a", "b"]},
]


def open_ws(server: ServerProcess, path: str, cookie: str | None = None) -> Any:
    return connect(
        server.ws_url(path), additional_headers={"Cookie": cookie} if cookie else None, proxy=None,
        compression=None, open_timeout=WAIT, close_timeout=2,
    )


async def next_frame(ws: ClientConnection, kind: str, within: float = WAIT) -> dict[str, Any]:
    """The next frame of `kind` (others are skipped)."""
    async with asyncio.timeout(within):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


def vote_status(html: str) -> str:
    """The status line of the vote form, as served (before any script runs)."""
    start = html.index('id="vote-status"')
    return html[start : html.index("</div>", start)]


def cookie_of(client: LivepollClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


# Atomic host controls (B13) ---------------------------------------------------------------------------------


async def _race_controls(base_url: str, code: str, key: str, rounds: int) -> None:
    """Rounds of: open voting and show results, then close + hide results + show on phones from separate
    connections at once (a presenter key press and panel clicks). Each control must survive the others."""
    headers = {"Authorization": f"Bearer {key}", "Connection": "close"}
    async with httpx.AsyncClient(base_url=base_url, timeout=15, trust_env=False) as client:

        async def act(action: str) -> None:
            response = await client.post(f"/api/v1/sessions/{code}/control", json={"action": action}, headers=headers)
            assert response.status_code == 200, response.text

        for _ in range(rounds):
            for action in ("open", "show_results", "hide_on_phones"):
                await act(action)
            await asyncio.gather(*(act(a) for a in ("close", "hide_results", "show_on_phones") * 3))
            state = (await client.get(f"/api/v1/sessions/{code}/results", headers=headers)).json()["state"]
            assert state == {"current": "q1", "voting_open": False, "results_visible": False,
                             "results_on_phones": True}, state


async def test_controls_from_two_screens_are_each_applied(api: LivepollClient, server: ServerProcess) -> None:
    """B13: closing voting, hiding results and showing them on phones at the same moment: all three take effect,
    in every round; none is undone by another that read the state before it."""
    code, key, _ = await api.create_session(questions=QUESTIONS)
    await _race_controls(server.base_url, code, key, rounds=15)


@pytest.mark.fault
async def test_controls_from_two_processes_on_one_redis_are_each_applied(make_server: Any) -> None:
    """B13: the same race with the requests spread over two worker processes sharing one Redis."""
    server = make_server(backend="redis", workers=2)
    async with LivepollClient(server) as client:
        code, key, _ = await client.create_session(questions=QUESTIONS)
    await _race_controls(server.base_url, code, key, rounds=15)


# Screens show only stored ballots -------------------------------------------------------------------------


@contextlib.contextmanager
def write_lock(server: ServerProcess) -> Iterator[None]:
    """Another connection holds the server's SQLite write lock: its commits wait, then fail."""
    other = sqlite3.connect(server.data_dir / "livepoll.sqlite3", isolation_level=None, timeout=1)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.fault
async def test_the_presenter_never_shows_a_vote_the_disk_refused(make_server: Any) -> None:
    """A vote whose commit fails is answered 503 and never appears on the presenter screen, not even while
    the commit is pending; the seq never goes back; the next vote shows."""
    server = make_server(backend="embedded")
    async with LivepollClient(server) as api:
        code, key, _ = await api.create_session(questions=QUESTIONS)
        phone = api.participant()
        await phone.join(code)
        async with open_ws(server, f"/ws/v1/sessions/{code}/presenter?key={key}") as presenter:
            first = await next_frame(presenter, "results")
            assert first["voters"] == 0
            frames: list[dict[str, Any]] = []
            with write_lock(server):
                vote = asyncio.create_task(phone.vote(code, "q1", ["o2"]))
                # Meanwhile the screen has reasons to redraw: people join (the participant count changes).
                async with open_ws(server, f"/ws/v1/sessions/{code}", cookie=cookie_of(api.participant())):
                    while not vote.done():
                        with contextlib.suppress(TimeoutError):
                            frames.append(await next_frame(presenter, "results", within=0.2))
                response = await vote
            assert response.status_code == 503 and response.json()["error"] == "unavailable"
            assert any(f["participants"] == 1 for f in frames)  # the screen did redraw during the wait
            assert all(f["voters"] == 0 for f in frames), frames
            assert all(f["seq"] >= first["seq"] for f in frames)
            assert (await api.votes(code, key)) == ({"o1": 0, "o2": 0, "o3": 0}, 0)

            assert (await phone.vote(code, "q1", ["o3"])).status_code == 200
            async with asyncio.timeout(WAIT):
                while (frame := await next_frame(presenter, "results"))["voters"] != 1:
                    pass
            assert frame["seq"] > first["seq"] and frame["epoch"] == first["epoch"]


# A participant's own ballot comes from the server ----------------------------------------------------------


async def test_a_resent_ballot_is_acknowledged_after_close_and_goto(api: LivepollClient) -> None:
    """A retry of a counted ballot (its ack was lost) is acknowledged as unchanged even after the host
    closed voting or moved on; a different ballot is refused, and nothing is counted twice."""
    code, key, _ = await api.create_session(questions=QUESTIONS)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200
    assert (await api.control(code, key, "close")).status_code == 200
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200
    refused = await phone.vote(code, "q1", ["o1"])
    assert (refused.status_code, refused.json()["error"]) == (409, "voting_closed")
    assert (await api.control(code, key, "goto", "q2")).status_code == 200
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200
    assert await api.votes(code, key) == ({"o1": 0, "o2": 1, "o3": 0}, 1)


async def test_the_phone_is_sent_its_own_ballot_on_connect_and_when_the_question_changes(
    api: LivepollClient, server: ServerProcess
) -> None:
    """A new tab or a reconnect learns the participant's counted ballot from the server: a `ballot` frame
    on connect and whenever the question changes, null where there is none and after a reset."""
    code, key, _ = await api.create_session(questions=QUESTIONS)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200
    async with open_ws(server, f"/ws/v1/sessions/{code}", cookie=cookie_of(phone)) as ws:
        mine = await next_frame(ws, "ballot")
        assert (mine["question"], mine["ballot"]) == ("q1", {"choices": ["o2"]})
        await api.control(code, key, "goto", "q2")
        assert (await next_frame(ws, "ballot"))["question"] == "q2"
        await api.control(code, key, "goto", "q1")
        mine = await next_frame(ws, "ballot")
        assert (mine["question"], mine["ballot"]) == ("q1", {"choices": ["o2"]})
        await api.control(code, key, "reset", "q1")
        mine = await next_frame(ws, "ballot")
        assert (mine["question"], mine["ballot"], mine["resets"]) == ("q1", None, 1)
    stranger = api.participant()
    await stranger.join(code)
    async with open_ws(server, f"/ws/v1/sessions/{code}", cookie=cookie_of(stranger)) as ws:
        assert (await next_frame(ws, "ballot"))["ballot"] is None


async def test_polling_reads_the_own_ballot_too(api: LivepollClient) -> None:
    """The HTTP fallback (GET the session) carries the participant's ballot on the current question."""
    code, _, _ = await api.create_session(questions=QUESTIONS)
    phone = api.participant()
    assert (await phone.join(code))["ballot"] is None
    await phone.vote(code, "q1", ["o1"])
    assert (await phone.join(code))["ballot"] == {"choices": ["o1"]}
    assert (await api.participant().join(code))["ballot"] is None


async def test_the_page_says_counted_only_when_the_server_has_the_ballot(api: LivepollClient) -> None:
    """`?voted=1` in an address proves nothing; the page says "counted" and checks the option when the
    participant's ballot is stored, in a new tab too (no JavaScript needed)."""
    code, _, _ = await api.create_session(questions=QUESTIONS)
    phone = api.participant()
    await phone.join(code)
    page = await phone.get(f"/{code}?voted=1&c=o2&lang=en")
    assert page.status_code == 200 and "Your vote is counted" not in vote_status(page.text)
    await phone.vote(code, "q1", ["o2"])
    page = await phone.get(f"/{code}?lang=en")
    assert "Your vote is counted" in vote_status(page.text)
    assert 'value="o2" id="opt-o2" checked' in page.text and 'id="opt-o1" checked' not in page.text


# Host keys can be rotated ---------------------------------------------------------------------------------


async def test_a_rotated_host_key_revokes_the_old_one_everywhere(api: LivepollClient, server: ServerProcess) -> None:
    """rotate_key answers the new key and links; the old key stops working on the API, the pages and the
    presenter socket (closed with 4401, then refused with 4403), the new one works, the state is kept."""
    code, old, _ = await api.create_session(questions=QUESTIONS)
    await api.control(code, old, "close")
    async with open_ws(server, f"/ws/v1/sessions/{code}/presenter?key={old}") as presenter:
        await next_frame(presenter, "results")
        rotated = await api.control(code, old, "rotate_key")
        assert rotated.status_code == 200
        body = rotated.json()
        new = body["host_key"]
        assert new != old and body["voting_open"] is False
        assert body["links"]["host"].endswith(f"/host/{code}?key={new}")
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT):
                while True:
                    await presenter.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    refused = await api.get(f"/api/v1/sessions/{code}/results", headers=api.host_headers(old))
    assert refused.status_code == 403
    assert (await api.get(f"/api/v1/sessions/{code}/results", headers=api.host_headers(new))).status_code == 200
    async with open_ws(server, f"/ws/v1/sessions/{code}/presenter?key={old}") as presenter:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(presenter.recv(), WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    async with open_ws(server, f"/ws/v1/sessions/{code}/presenter?key={new}") as presenter:
        assert (await next_frame(presenter, "results"))["voting_open"] is False
    host_page = await api.participant().get(f"/host/{code}?key={old}", follow_redirects=True)
    assert host_page.status_code == 403


# Deleted sessions leave the disk ----------------------------------------------------------------------------


async def test_a_deleted_session_leaves_no_text_in_the_data_directory(make_server: Any) -> None:
    """P4: after DELETE (204), no file of the data directory holds the session's title, question or options."""
    server = make_server(backend="embedded")
    marks = ["Tajny-tytuł-91f3", "Ukryte-pytanie-7c2e", "opcja-ALFA-55d1", "opcja-BETA-55d2"]
    async with LivepollClient(server) as api:
        code, key, _ = await api.create_session(
            title=marks[0], questions=[{"kind": "choice", "text": marks[1], "options": marks[2:]}]
        )
        phones = [api.participant() for _ in range(30)]
        for phone in phones:
            await phone.join(code)
            await phone.vote(code, "q1", ["o1"])
        files = [p for p in server.data_dir.rglob("*") if p.is_file()]
        assert any(marks[1].encode() in p.read_bytes() for p in files)
        deleted = await api.delete(f"/api/v1/sessions/{code}", headers=api.host_headers(key))
        assert deleted.status_code == 204
    for path in (p for p in server.data_dir.rglob("*") if p.is_file()):
        content = path.read_bytes()
        for mark in marks:
            assert mark.encode() not in content, f"{mark} is still in {path.name}"
