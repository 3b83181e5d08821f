"""Durability across a restart of the server process, on both backends: SIGTERM (clean stop) and SIGKILL
(right after the acknowledgements, so an acknowledged ballot must already be stored). Sessions, ballots,
live state and both CSV exports are the same afterwards, byte for byte."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

BACKENDS = ["embedded", "redis"]
VOTERS = 40
WAIT = 5.0

QUESTIONS = [
    {"kind": "choice", "text": "Z kim współpracować?", "options": ["miasto", "NGO, fundacje", "media"],
     "max_choices": 2},
    {"kind": "choice", "text": "Czy \"teraz\"?", "options": ["tak", "nie"], "allow_change": False},
]


async def _observed(api: LivepollClient, code: str, key: str) -> dict[str, Any]:
    """Everything a host and a participant can read about a session."""
    host = api.host_headers(key)
    public = await api.participant().get(f"/api/v1/sessions/{code}")
    results = await api.get(f"/api/v1/sessions/{code}/results", headers=host)
    exports = {}
    for name in ("export.csv", "responses.csv"):
        for params in ({}, {"delimiter": "semicolon"}):
            response = await api.get(f"/api/v1/sessions/{code}/{name}", headers=host, params=params)
            assert response.status_code == 200
            exports[(name, tuple(params.items()))] = response.content
    assert public.status_code == 200 and results.status_code == 200
    return {"public": public.json(), "results": results.json(), "exports": exports}


async def _presenter_frame(server: ServerProcess, code: str, key: str) -> dict[str, Any]:
    async with connect(
        server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}"), proxy=None, compression=None,
        open_timeout=WAIT, close_timeout=2,
    ) as ws:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        return frame


async def _fill_session(api: LivepollClient) -> tuple[str, str, list[LivepollClient]]:
    """A session with changed ballots on q1, ballots on q2, voting closed and results hidden."""
    code, key, _ = await api.create_session(title="Trwałość", questions=QUESTIONS)
    phones = [api.participant() for _ in range(VOTERS)]
    await asyncio.gather(*(p.join(code) for p in phones))
    first = await asyncio.gather(*(p.vote(code, "q1", [f"o{n % 3 + 1}"]) for n, p in enumerate(phones)))
    assert {r.status_code for r in first} == {200}
    changed = await asyncio.gather(*(p.vote(code, "q1", ["o1", "o3"]) for p in phones[:10]))
    assert {r.status_code for r in changed} == {200}
    assert (await api.control(code, key, "goto", "q2")).status_code == 200
    second = await asyncio.gather(*(p.vote(code, "q2", [f"o{n % 2 + 1}"]) for n, p in enumerate(phones[:25])))
    assert {r.status_code for r in second} == {200}
    assert (await api.control(code, key, "close")).status_code == 200
    assert (await api.control(code, key, "hide_results")).status_code == 200
    return code, key, phones


async def _restart(server: ServerProcess, how: str) -> None:
    await asyncio.to_thread(server.restart, how)


@pytest.fixture(scope="module", params=BACKENDS)
def durable(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """This module's own server per backend: every test here restarts it (a fresh one per test would cost
    a start each); left running between tests."""
    redis_url = request.getfixturevalue("redis_server").url if request.param == "redis" else None
    process = ServerProcess(tmp_path_factory.mktemp(f"durable-{request.param}"), redis_url=redis_url)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def server(durable: ServerProcess) -> ServerProcess:
    if not durable.running:
        durable.start()
    return durable


async def _assert_same_after_restart(
    api: LivepollClient, server: ServerProcess, code: str, key: str, before: dict[str, Any],
    frame_before: dict[str, Any], phones: list[LivepollClient],
) -> None:
    after = await _observed(api, code, key)
    assert after["public"] == before["public"]
    assert after["results"] == before["results"]
    for name, content in before["exports"].items():
        assert after["exports"][name] == content, name
    frame_after = await _presenter_frame(server, code, key)
    assert frame_after["epoch"] == frame_before["epoch"]
    assert frame_after["seq"] >= frame_before["seq"]
    assert {k: v for k, v in frame_after.items() if k != "seq"} == {
        k: v for k, v in frame_before.items() if k != "seq"
    }
    # The same participants are recognised: an identical re-send is acknowledged and changes nothing; a
    # different ballot where changes are not allowed is still refused.
    assert (await api.control(code, key, "open")).status_code == 200
    assert (await phones[0].vote(code, "q2", ["o1"])).status_code == 200
    refused = await phones[0].vote(code, "q2", ["o2"])
    assert refused.status_code == 409 and refused.json()["error"] == "change_not_allowed"
    assert (await _observed(api, code, key))["exports"] == before["exports"]


async def test_sigkill_and_restart_lose_nothing(
    server: ServerProcess, client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """After SIGKILL and a restart on the same data: the session, its live state, every ballot, both CSV
    exports (byte-identical), the host key and the participants' cookies are as before; `seq` did not go
    back and the epoch did not change."""
    api = client_for(server)
    code, key, phones = await _fill_session(api)
    before = await _observed(api, code, key)
    frame_before = await _presenter_frame(server, code, key)
    await _restart(server, "kill")
    await _assert_same_after_restart(api, server, code, key, before, frame_before, phones)


async def test_sigterm_restart_loses_nothing_and_tells_clients_to_reconnect(
    server: ServerProcess, client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """F7 (and L6's mechanism): a clean stop (SIGTERM) closes open presenter and participant sockets with 1001 or 1012
    (reconnect at once), not a dropped connection; after the restart everything is as before, as in the
    SIGKILL case."""
    api = client_for(server)
    code, key, phones = await _fill_session(api)
    before = await _observed(api, code, key)
    frame_before = await _presenter_frame(server, code, key)
    urls = [server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}"), server.ws_url(f"/ws/v1/sessions/{code}")]
    codes: list[int | None] = []
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(
                connect(url, proxy=None, compression=None, open_timeout=WAIT, close_timeout=2)
            )
            for url in urls
        ]
        for ws in sockets:
            await asyncio.wait_for(ws.recv(), WAIT)
        stopping = asyncio.create_task(asyncio.to_thread(server.stop))
        for ws in sockets:
            try:
                async with asyncio.timeout(15):
                    while True:
                        await ws.recv()
            except ConnectionClosed as exc:
                codes.append(exc.rcvd.code if exc.rcvd is not None else None)
        # uvicorn re-raises SIGTERM after its graceful shutdown, so -15 is a clean exit; -9 means stop() had
        # to SIGKILL it after its bounded wait.
        assert await stopping in (0, -15), "the server did not exit on SIGTERM within the bounded wait"
        assert "Application shutdown complete" in server.log_since_start()
    assert all(c in (1001, 1012) for c in codes), codes
    await asyncio.to_thread(server.start)
    await _assert_same_after_restart(api, server, code, key, before, frame_before, phones)


async def test_acknowledged_ballots_survive_sigkill_right_after_the_acks(
    server: ServerProcess, client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """An acknowledged ballot is durable: SIGKILL the instant the last of 100 concurrent acks arrives, and
    after a restart every one of them is counted, exactly once."""
    api = client_for(server)
    code, key, _ = await api.create_session(options=["a", "b", "c", "d"])
    phones = [api.participant() for _ in range(100)]
    await asyncio.gather(*(p.join(code) for p in phones))
    choices = [f"o{n % 4 + 1}" for n in range(100)]
    responses = await asyncio.gather(*(p.vote(code, "q1", [c]) for p, c in zip(phones, choices, strict=True)))
    server.kill()
    assert [r.status_code for r in responses] == [200] * 100
    await _restart(server, "kill")
    expected = Counter(choices)
    assert await api.votes(code, key) == ({o: expected[o] for o in ("o1", "o2", "o3", "o4")}, 100)
    rows = (await api.export(code, key, "responses.csv")).splitlines()[1:]
    assert len(rows) == 100
