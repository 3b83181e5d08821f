"""Several server processes on one Redis behave as one server, and survive losing a process or Redis.

Real redis-server and real `livepoll serve` processes on loopback, started, killed and stopped by the tests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import websockets
from support.redis_server import RedisServer
from support.server import LivepollClient, ServerProcess
from support.waiting import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]

# Headroom on the bounds that are the behaviour under test ("on the presenter within 1 s"): a loaded 2-core
# machine that also runs Chromium and Redis can hold a process back for over a second. The strict figures
# are measured by `livepoll bench`.
MARGIN = 1.5
REDIS_TIMEOUT = 1.0  # the server's default LIVEPOLL_REDIS_TIMEOUT

TWO_QUESTIONS = [
    {"kind": "choice", "text": "Pierwsze?", "options": ["Tak", "Nie"]},
    {"kind": "choice", "text": "Drugie?", "options": ["A", "B", "C"], "max_choices": 2},
]


async def next_frame(ws: Any, predicate: Callable[[dict[str, Any]], bool], within: float) -> dict[str, Any]:
    """The first frame matching `predicate` within `within` seconds (fails the test otherwise)."""
    deadline = time.monotonic() + within
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no matching frame within {within} s")
        frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if predicate(frame):
            return frame


def votes_of(frame: dict[str, Any]) -> dict[str, int]:
    return {o["id"]: o["votes"] for o in frame["question"]["options"]}


@pytest.fixture
def pair(make_server: Callable[..., ServerProcess], redis_server: RedisServer) -> tuple[ServerProcess, ServerProcess]:
    """Two server processes sharing one Redis and one key prefix, as behind a load balancer."""
    first = make_server("redis")
    second = make_server("redis", redis_prefix=first.redis_prefix)
    return first, second


async def test_presenter_on_b_sees_ballots_cast_on_a_within_a_second(
    pair: tuple[ServerProcess, ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """A ballot acknowledged by process A is on the presenter screen served by process B within 1 s."""
    a, b = pair
    api_a = client_for(a)
    code, key, _ = await api_a.create_session()
    async with websockets.connect(b.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}")) as presenter:
        first = await next_frame(presenter, lambda f: f["type"] == "results", 5)
        assert first["voters"] == 0
        voter = api_a.participant()
        await voter.join(code)
        sent = time.monotonic()
        assert (await voter.vote(code, "q1", ["o2"])).status_code == 200
        frame = await next_frame(presenter, lambda f: f["voters"] == 1, 1.0 + MARGIN)
        assert time.monotonic() - sent < 1.0 + MARGIN
        assert votes_of(frame) == {"o1": 0, "o2": 1, "o3": 0}
        assert frame["seq"] > first["seq"]


async def test_goto_on_a_reaches_participants_on_b(
    pair: tuple[ServerProcess, ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """The host moving on at process A moves the phones connected to process B."""
    a, b = pair
    api_a = client_for(a)
    code, key, _ = await api_a.create_session(questions=TWO_QUESTIONS)
    async with websockets.connect(b.ws_url(f"/ws/v1/sessions/{code}")) as phone:
        state = await next_frame(phone, lambda f: f["type"] == "state", 5)
        assert state["question"]["id"] == "q1"
        assert (await api_a.control(code, key, "goto", "q2")).status_code == 200
        moved = await next_frame(phone, lambda f: f["type"] == "state" and f["question"]["id"] == "q2", 1.0 + MARGIN)
        assert moved["voting_open"] is True
        assert (await api_a.control(code, key, "close")).status_code == 200
        closed = await next_frame(phone, lambda f: f["type"] == "state", 1.0 + MARGIN)
        assert closed["voting_open"] is False


async def test_both_processes_export_byte_identical_csv(
    pair: tuple[ServerProcess, ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """Ballots cast on either process land in one tally; both processes export the same bytes."""
    a, b = pair
    api_a, api_b = client_for(a), client_for(b)
    code, key, _ = await api_a.create_session(questions=TWO_QUESTIONS)
    for n in range(20):
        voter = (api_a if n % 2 else api_b).participant()
        await voter.join(code)
        assert (await voter.vote(code, "q1", ["o1" if n % 3 else "o2"])).status_code == 200
    for name in ("export.csv", "responses.csv"):
        assert await api_a.export(code, key, name) == await api_b.export(code, key, name)
    votes, voters = await api_b.votes(code, key)
    assert voters == 20 and votes == {"o1": 13, "o2": 7}


class Phone:
    """A participant client with the participant page's recovery rules: one socket for all its ballots,
    reconnect with jittered backoff when it drops, resend an unacknowledged ballot with the same `ref` until
    it is acknowledged."""

    def __init__(self, server: ServerProcess, code: str, cookie: str, number: int) -> None:
        self.server, self.code, self.cookie, self.number = server, code, cookie, number
        self.acked: str | None = None  # the choice of the newest acknowledged ballot
        self.acks = 0
        self.acked_at: list[float] = []
        self.reconnects = 0
        self.ws: Any = None

    async def vote_many(self, rounds: int) -> None:
        try:
            for n in range(rounds):
                choice = random.choice(["o1", "o2", "o3"])
                await self._until_acked(f"{self.number}-{n}", choice)
                # A person's pace, well under the socket's message limit (not a wait for anything).
                await asyncio.sleep(random.uniform(0.1, 0.2))
        finally:
            await self._drop()

    async def _drop(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            await ws.close()

    async def _until_acked(self, ref: str, choice: str) -> None:
        delay = 0.05
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.ws is None:
                    self.ws = await websockets.connect(
                        self.server.ws_url(f"/ws/v1/sessions/{self.code}"),
                        additional_headers={"Cookie": f"lp_pid={self.cookie}"},
                        open_timeout=3,
                    )
                await self.ws.send(json.dumps({"type": "vote", "question": "q1", "choices": [choice], "ref": ref}))
                while True:
                    frame = json.loads(await asyncio.wait_for(self.ws.recv(), 3))
                    if frame.get("ref") == ref and frame["type"] == "ack":
                        self.acked = choice
                        self.acks += 1
                        self.acked_at.append(time.monotonic())
                        return
                    if frame.get("ref") == ref and frame["type"] == "error":
                        assert frame["error"] == "unavailable", frame
                        break
            except websockets.ConnectionClosed as exc:
                assert exc.rcvd is None or exc.rcvd.code != 1008, f"phone {self.number} closed for its pace"
            except (OSError, TimeoutError, websockets.InvalidHandshake):
                pass
            await self._drop()
            self.reconnects += 1
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 1.0)
        raise AssertionError(f"phone {self.number} could not get ballot {ref} acknowledged")


def uvicorn_workers(server: ServerProcess) -> list[int]:
    """The worker processes among the server's children (not multiprocessing's resource tracker)."""
    workers = []
    for pid in server.worker_pids():
        try:
            cmdline = " ".join(psutil.Process(pid).cmdline())
        except psutil.NoSuchProcess:
            continue
        if "resource_tracker" not in cmdline:
            workers.append(pid)
    return workers


def open_connections(pid: int, port: int) -> int:
    """Established TCP connections a worker holds on the server's port: the phones it serves right now."""
    try:
        process = psutil.Process(pid)
        connections = process.net_connections("tcp")
    except psutil.NoSuchProcess:
        return 0
    return sum(1 for c in connections if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port)


async def _cookies(api: LivepollClient, code: str, count: int) -> list[str]:
    cookies = []
    for _ in range(count):
        phone = api.participant()
        await phone.join(code)
        cookies.append(phone.cookies["lp_pid"])
    return cookies


async def test_sigkill_of_one_worker_during_a_vote_burst_loses_no_acknowledged_ballot(
    make_server: Callable[..., ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """F6: two workers on one port; one is SIGKILLed mid-burst. Phones reconnect to the survivor (each has a
    ballot acknowledged within 5 s of the kill), every acknowledged ballot is counted, and a resent ballot
    (same ref) is counted once."""
    server = make_server("redis", workers=2)
    api = client_for(server)
    code, key, _ = await api.create_session(options=["A", "B", "C"])
    phones = [Phone(server, code, cookie, n) for n, cookie in enumerate(await _cookies(api, code, 60))]
    burst = asyncio.gather(*(phone.vote_many(15) for phone in phones))
    victim = 0

    def serving_mid_burst() -> bool:
        """Both workers up, about one ballot per phone (of 15) acknowledged, and `victim` is the worker that
        holds the most phone connections right now."""
        nonlocal victim
        workers = uvicorn_workers(server)
        if len(workers) != 2 or sum(p.acks for p in phones) < len(phones):
            return False
        load = {pid: open_connections(pid, server.port) for pid in workers}
        victim = max(load, key=load.__getitem__)
        return load[victim] > 0

    try:
        await wait_until(serving_mid_burst, "a worker serving phones mid-burst", 30)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        await asyncio.wait_for(burst, 60)
    finally:
        burst.cancel()
        await asyncio.gather(burst, return_exceptions=True)
    assert sum(p.reconnects for p in phones) > 0, "the kill did not interrupt any phone"
    back = [min(t for t in p.acked_at if t > killed_at) - killed_at for p in phones if p.acked_at[-1] > killed_at]
    assert len(back) == len(phones) and max(back) <= 5.0 + MARGIN, f"served again {max(back):.2f} s after the kill"
    expected = {"o1": 0, "o2": 0, "o3": 0}
    for phone in phones:
        assert phone.acked is not None
        expected[phone.acked] += 1
    votes, voters = await api.votes(code, key)
    assert voters == len(phones)
    assert votes == expected


async def test_sigterm_closes_sockets_for_reconnect_and_keeps_acknowledged_ballots(
    backend_name: str, make_server: Callable[..., ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """F7: on SIGTERM open sockets are closed with 1012 (service restart: reconnect now) and, after the
    restart, every acknowledged ballot is still counted."""
    server = make_server(backend_name)
    api = client_for(server)
    code, key, _ = await api.create_session()
    cookies = await _cookies(api, code, 30)
    acked: dict[str, str] = {}  # cookie -> the choice of its newest acknowledged ballot
    async with websockets.connect(server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}")) as presenter:
        await next_frame(presenter, lambda f: f["type"] == "results", 5)
        async with httpx.AsyncClient(base_url=server.base_url, trust_env=False) as http:

            async def vote(cookie: str) -> None:
                """Change the ballot back and forth until the server stops answering: SIGTERM always finds
                ballots in flight."""
                for choice in itertools.cycle(["o1", "o2"]):
                    try:
                        response = await http.post(
                            f"/api/v1/sessions/{code}/votes", json={"question": "q1", "choices": [choice]},
                            headers={"Cookie": f"lp_pid={cookie}"},
                        )
                    except httpx.HTTPError:
                        return
                    if response.status_code != 200:
                        return
                    acked[cookie] = choice

            in_flight = [asyncio.create_task(vote(cookie)) for cookie in cookies]
            await wait_until(lambda: len(acked) == len(cookies), "every participant to have a ballot acknowledged")
            os.kill(server.pid, signal.SIGTERM)
            await asyncio.wait_for(asyncio.gather(*in_flight), 30)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                while True:
                    await presenter.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code in (1001, 1012)
    assert server.process is not None
    server.process.wait(15)
    server.start()
    # Exactly what was acknowledged (every participant had some): each participant's newest acknowledged
    # ballot, nothing lost, nothing unacknowledged (a graceful shutdown answers every request it took).
    votes, voters = await client_for(server).votes(code, key)
    assert voters == len(acked)
    assert votes == {o: list(acked.values()).count(o) for o in ("o1", "o2", "o3")}


async def test_redis_outage_gives_fast_retryable_errors_and_screens_recover(
    tmp_path: Path, make_server: Callable[..., ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """F1/F5: Redis down: ballots get 503 + Retry-After within 1 s, /healthz stays fast, /readyz says not ready.
    Redis back (with its AOF): the presenter shows fresh numbers within 2 s without reconnecting."""
    with RedisServer(tmp_path / "redis", appendonly=True) as redis:
        server = make_server("redis", redis_url=redis.url)
        api = client_for(server)
        code, key, _ = await api.create_session()
        voters = [api.participant() for _ in range(3)]
        for voter in voters:
            await voter.join(code)
        assert (await voters[0].vote(code, "q1", ["o1"])).status_code == 200
        async with websockets.connect(server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}")) as presenter:
            await next_frame(presenter, lambda f: f["voters"] == 1, 5)
            redis.kill()
            started = time.monotonic()
            refused = await voters[1].vote(code, "q1", ["o2"])
            assert time.monotonic() - started < REDIS_TIMEOUT + MARGIN  # refused at the Redis timeout, not hung
            assert refused.status_code == 503 and refused.headers["retry-after"]
            assert refused.json()["error"] == "unavailable"
            started = time.monotonic()
            assert (await api.get("/healthz")).status_code == 200
            # Well under the Redis timeout: /healthz never waits on Redis (generous for a loaded machine).
            assert time.monotonic() - started < REDIS_TIMEOUT / 2
            assert (await api.get("/readyz")).status_code == 503
            redis.restart(empty=False)
            deadline = time.monotonic() + 10
            while (await voters[2].vote(code, "q1", ["o2"])).status_code != 200:
                assert time.monotonic() < deadline, "ballots never recovered after Redis came back"
                await asyncio.sleep(0.2)
            frame = await next_frame(presenter, lambda f: f["voters"] == 2, 2.0 + MARGIN)
            assert votes_of(frame) == {"o1": 1, "o2": 1, "o3": 0}
        deadline = time.monotonic() + 5
        while (await api.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, "/readyz never recovered"
            await asyncio.sleep(0.2)
