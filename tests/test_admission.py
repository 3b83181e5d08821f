"""Overload admission (livepoll/admission.py, LIVEPOLL_BALLOT_QUEUE_LIMIT): past the limit of ballots in
progress a process refuses more at once with the retryable error, before doing any work on them; a refused
ballot changed nothing, sending it again is counted once (the refused sockets are handed places in turn),
and nothing acknowledged is lost.

To hold ballots in progress without timing, the test holds the store itself: the SQLite write lock (the
embedded writer waits for it, within its 5 s busy timeout) or `CLIENT PAUSE ... WRITE` on a Redis of this
module's own. The server runs with a limit of 1, so the one ballot that waits for the store fills it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.redis_server import RedisServer, RedisServerMissing
from support.server import LivepollClient, ServerProcess
from support.waiting import wait_until
from websockets.asyncio.client import ClientConnection, connect

WAIT = 10.0
VOTERS = 8

Frame = dict[str, Any]


@pytest.fixture(scope="module", params=["embedded", "redis"])
def held_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, RedisServer | None]]:
    """A server that admits one ballot at a time (and, on Redis, waits up to 10 s for Redis)."""
    redis: RedisServer | None = None
    if request.param == "redis":
        try:
            redis = RedisServer(tmp_path_factory.mktemp("admission-redis"))
        except RedisServerMissing as exc:
            pytest.fail(str(exc), pytrace=False)
        redis.start()
    env = {"LIVEPOLL_BALLOT_QUEUE_LIMIT": "1", "LIVEPOLL_REDIS_TIMEOUT": "10"}
    server = ServerProcess(tmp_path_factory.mktemp(f"admission-{request.param}"),
                           redis_url=None if redis is None else redis.url, env=env)
    server.start()
    try:
        yield server, redis
    finally:
        server.stop(5.0)
        if redis is not None:
            redis.close()


@contextlib.asynccontextmanager
async def store_held(server: ServerProcess, redis: RedisServer | None) -> AsyncIterator[None]:
    """While inside, no ballot can be stored: it waits for the store (and so stays in progress)."""
    if redis is not None:
        assert await asyncio.to_thread(redis.command, "CLIENT", "PAUSE", "20000", "WRITE") == b"+OK"
        try:
            yield
        finally:
            await asyncio.to_thread(redis.command, "CLIENT", "UNPAUSE")
        return
    db = sqlite3.connect(Path(server.data_dir) / "livepoll.sqlite3", isolation_level=None, timeout=10,
                         check_same_thread=False)
    try:
        await asyncio.to_thread(db.execute, "BEGIN IMMEDIATE")
        try:
            yield
        finally:
            await asyncio.to_thread(db.execute, "ROLLBACK")
    finally:
        db.close()


async def recv_reply(ws: ClientConnection) -> Frame:
    """The next `ack` or `error` frame (state frames before it are skipped)."""
    async with asyncio.timeout(WAIT):
        while True:
            frame: Frame = json.loads(await ws.recv())
            if frame["type"] in ("ack", "error"):
                return frame


def vote(choice: str, ref: str) -> str:
    return json.dumps({"type": "vote", "question": "q1", "choices": [choice], "ref": ref})


async def test_past_the_limit_ballots_are_refused_at_once_retryable_and_nothing_acknowledged_is_lost(
    held_server: tuple[ServerProcess, RedisServer | None],
) -> None:
    server, redis = held_server
    async with LivepollClient(server) as api:
        code, key, _ = await api.create_session(options=["a", "b"])
        url = server.ws_url(f"/ws/v1/sessions/{code}")
        async with contextlib.AsyncExitStack() as stack:
            phones = [await stack.enter_async_context(connect(url, proxy=None, compression=None,
                                                              open_timeout=WAIT)) for _ in range(VOTERS)]
            for ws in phones:
                assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"] == "state"
            phone = await stack.enter_async_context(api.participant())
            assert (await phone.get(f"/api/v1/sessions/{code}")).status_code == 200  # its participant cookie
            async with store_held(server, redis):
                for n, ws in enumerate(phones):
                    await ws.send(vote("o1", f"r{n}"))
                # Every ballot but the one waiting for the store is answered while the store is still held:
                # refused at once, with the retryable code and its ref.
                replies = [asyncio.create_task(recv_reply(ws)) for ws in phones]
                async with asyncio.timeout(WAIT):
                    while sum(task.done() for task in replies) < VOTERS - 1:
                        await asyncio.wait([t for t in replies if not t.done()], return_when=asyncio.FIRST_COMPLETED)
                refused = {n: task.result() for n, task in enumerate(replies) if task.done()}
                for n, frame in refused.items():
                    assert frame == {"type": "error", "ref": f"r{n}", "error": "unavailable",
                                     "message": frame["message"]}
                    assert "busy" in frame["message"]
                # A ballot over HTTP is refused the same way, with 503 and Retry-After.
                busy = await phone.vote(code, "q1", ["o2"])
                assert busy.status_code == 503
                assert busy.json()["error"] == "unavailable"
                assert "busy" in busy.json()["message"], "refused before any work: not 'did not confirm'"
                assert "Retry-After" in busy.headers
                assert not any(task.done() for n, task in enumerate(replies) if n not in refused)
            # The store is back: the ballot that waited for it is acknowledged; every refused ballot, sent
            # again, is too.
            (admitted,) = [n for n in range(VOTERS) if n not in refused]
            assert await replies[admitted] == {"type": "ack", "ref": f"r{admitted}"}
            # Sent again at once, as the pages do: each refused socket is handed a place in turn.
            for n in refused:
                await phones[n].send(vote("o1", f"again{n}"))
            for n in refused:
                assert await recv_reply(phones[n]) == {"type": "ack", "ref": f"again{n}"}
            # Counted once each: the refused ballots changed nothing, their re-sends count.
            assert await api.votes(code, key) == ({"o1": VOTERS, "o2": 0}, VOTERS)


async def test_places_go_to_refused_sockets_in_turn_and_newcomers_queue_behind_them() -> None:
    from livepoll.admission import Admission

    admission = Admission(1)
    assert admission.enter()
    assert not admission.enter()  # full
    first = asyncio.create_task(admission.room())
    second = asyncio.create_task(admission.room())
    await wait_until(lambda: admission.waiting == 2, "both refused sockets to wait for a place")
    admission.leave()  # the answered ballot's place goes to the socket refused first
    assert await first is True
    assert not second.done() and admission.in_flight == 1
    assert not admission.enter()  # a newcomer does not jump the line
    second.cancel()  # that socket went away while waiting
    with contextlib.suppress(asyncio.CancelledError):
        await second
    admission.leave()  # the first one's ballot answered: nobody waits, the place is free
    assert admission.in_flight == 0 and admission.waiting == 0
    assert admission.enter()


def test_past_the_count_a_backlog_that_drains_fast_is_admitted_and_a_slow_one_refused() -> None:
    import time

    from livepoll.admission import HARD_FACTOR, SLOW, Admission

    admission = Admission(2)
    assert admission.enter() and admission.enter()
    assert not admission.enter()  # past the count, nothing answered yet: refused
    admission.leave(time.monotonic())  # answered at once
    assert admission.enter() and admission.enter()  # past the count, but draining fast: admitted
    assert admission.in_flight == 3
    while admission.enter():
        pass
    assert admission.in_flight == 2 * HARD_FACTOR  # never more than this
    for _ in range(50):  # answered ballots waited a second each lately
        admission.leave(time.monotonic() - 1.0)
        admission.enter()
    assert admission.recent_wait > SLOW
    while admission.in_flight < admission.limit:
        assert admission.enter()
    assert not admission.enter()  # past the count while draining slowly: refused
