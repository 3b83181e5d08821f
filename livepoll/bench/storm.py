"""Reconnect storm: the server goes away under every connection and comes back; each client reconnects
the way the pages do (static/live-socket.js: a restart close code 1001/1012 is retried within a random
second, anything else with full-jitter exponential backoff, base 0.5 s, cap 10 s, at least 0.25 s) and
counts as back when the first frame after the reconnect (the resync) has arrived."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from livepoll.bench.clients import WsClient
    from livepoll.bench.records import Participant, Presenter
    from livepoll.bench.worker import Worker

RESTART_CODES = (1001, 1012)
BASE_DELAY, MAX_DELAY, MIN_DELAY = 0.5, 10.0, 0.25
HANDSHAKE_TIMEOUT = 8.0


class Storm:
    def __init__(self, worker: Worker, watched: list[Participant | Presenter], rng: random.Random) -> None:
        self.worker = worker
        self.watched = watched
        self.rng = rng
        self.attempts = 0
        self.failures: Counter[str] = Counter()
        self.close_codes: Counter[int] = Counter()
        self.tasks: set[asyncio.Task[None]] = set()
        self.busy: set[int] = set()
        for who in watched:
            who.lost_at = 0.0

    def lost(self, who: Participant | Presenter, ws: WsClient) -> None:
        if who.lost_at == 0.0:
            who.lost_at = ws.closed_at
            self.close_codes[ws.close_code or 1006] += 1
        if id(who) in self.busy:
            return
        delay = self.rng.uniform(0.0, 1.0) if ws.close_code in RESTART_CODES else self._backoff(0)
        task = asyncio.get_running_loop().create_task(self._reconnect(who, delay))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _backoff(self, attempt: int) -> float:
        return max(MIN_DELAY, self.rng.uniform(0.0, min(MAX_DELAY, BASE_DELAY * 2**attempt)))

    async def _reconnect(self, who: Participant | Presenter, delay: float) -> None:
        from livepoll.bench.records import Presenter

        self.busy.add(id(who))
        try:
            attempt = 0
            while True:
                await asyncio.sleep(delay)
                self.attempts += 1
                try:
                    if isinstance(who, Presenter):
                        await self.worker._open_presenter(who, HANDSHAKE_TIMEOUT)
                    else:
                        await self.worker._open_participant(who, HANDSHAKE_TIMEOUT)
                    await self.worker._first_frame(who, HANDSHAKE_TIMEOUT)
                    return
                except Exception as exc:
                    self.failures[type(exc).__name__] += 1
                    if who.ws is not None:
                        who.ws.abort()
                    delay = self._backoff(attempt)
                    attempt = min(attempt + 1, 16)
        finally:
            self.busy.discard(id(who))

    def _back(self, who: Participant | Presenter) -> bool:
        return (who.lost_at > 0.0 and who.resynced_at > who.lost_at and who.ws is not None
                and not who.ws.closed)

    async def run(self, limit: float) -> dict[str, Any]:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if all(self._back(who) for who in self.watched):
                break
            await asyncio.sleep(0.05)
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        lost = [who.lost_at for who in self.watched if who.lost_at > 0.0]
        back = [who.resynced_at for who in self.watched if self._back(who)]
        return {
            "ok": True, "watched": len(self.watched), "lost": len(lost), "back": len(back),
            "lost_at": lost, "back_at": back, "attempts": self.attempts, "failures": dict(self.failures),
            "close_codes": {str(k): v for k, v in self.close_codes.items()},
        }
