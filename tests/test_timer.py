"""A timer (`open` with `seconds`, or a quiz's `time_limit`) on two server processes sharing one Redis: both
screens count down, voting closes by itself at the deadline on every process without anyone clicking, and a
ballot just after the deadline is refused on either process."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from support.redis_server import RedisServer
from support.server import LivepollClient, ServerProcess
from support.waiting import wait_until
from websockets.asyncio.client import connect

pytestmark = [pytest.mark.fault]
WAIT = 10.0


async def frame(ws: Any, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        while True:
            found: dict[str, Any] = json.loads(await ws.recv())
            if predicate(found):
                return found


async def test_voting_closes_by_itself_on_every_process(
    make_server: Callable[..., ServerProcess], redis_server: RedisServer
) -> None:
    first = make_server("redis")
    second = make_server("redis", redis_prefix=first.redis_prefix)
    async with LivepollClient(first) as api_a, LivepollClient(second) as api_b:
        code, key, _ = await api_a.create_session(options=["tak", "nie"])
        phone_a, phone_b = api_a.participant(), api_b.participant()
        for phone in (phone_a, phone_b):
            await phone.join(code)
        async with (
            connect(first.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}"), proxy=None) as screen,
            connect(second.ws_url(f"/ws/v1/sessions/{code}"), proxy=None) as participant,
        ):
            await frame(screen, lambda f: f["type"] == "results")
            opened = await api_a.post(f"/api/v1/sessions/{code}/control", json={"action": "open", "seconds": 2},
                                      headers=api_a.host_headers(key))
            assert opened.status_code == 200, opened.text
            timed = await frame(participant, lambda f: f["type"] == "state" and f.get("deadline") is not None)
            deadline = datetime.fromisoformat(timed["deadline"].replace("Z", "+00:00")).timestamp()
            assert 0 < timed["remaining_ms"] <= 2000 and timed["voting_open"] is True
            shown = await frame(screen, lambda f: f.get("deadline") is not None)
            assert shown["deadline"] == timed["deadline"]
            assert (await phone_b.vote(code, "q1", ["o1"])).status_code == 200
            # Nobody clicks: both sides say voting is closed once the deadline has passed.
            closed_screen = await frame(screen, lambda f: f["voting_open"] is False)
            closed_phone = await frame(participant, lambda f: f["type"] == "state" and f["voting_open"] is False)
            assert time.time() >= deadline - 0.05
            assert closed_screen.get("deadline") is None and closed_phone.get("deadline") is None
        await wait_until(lambda: time.time() > deadline + 0.05, "50 ms past the deadline (Redis shares this clock)")
        for phone in (phone_a, phone_b):
            late = await phone.vote(code, "q1", ["o2"])
            assert (late.status_code, late.json()["error"]) == (409, "voting_closed")
        assert (await phone_b.vote(code, "q1", ["o1"])).status_code == 200  # its counted ballot, resent
        assert await api_a.votes(code, key) == ({"o1": 1, "o2": 0}, 1)
        session = (await phone_a.get(f"/api/v1/sessions/{code}")).json()
        assert session["voting_open"] is False
