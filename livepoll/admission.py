"""Overload admission: a process takes at most `limit` ballots at a time (read, not yet answered) and refuses
the rest at once, before any work is done on them, with the retryable error (`unavailable`, HTTP 503).

Past capacity, a ballot that waits behind a long backlog is answered late (or, on Redis, not confirmed) after
the server spent its CPU on it; refusing early keeps the CPU for ballots that will be acknowledged in time.
A refused ballot changed nothing, so sending it again is always safe.

A participant socket whose ballot was refused does not read its next message until a ballot ahead of it was
answered (`room()`: one socket let in per answer, first refused first; all of them once half the places
are free; none waits longer than ROOM_WAIT): uvicorn stops reading a socket whose messages the app does not
take, so a phone that re-sends at once costs nothing while it waits, instead of one refusal per re-send.
"""

from __future__ import annotations

import asyncio
from collections import deque

from livepoll.backends.base import BackendUnavailable

BUSY = "the server is at its limit of ballots in progress"
# The longest a refused socket waits before it reads again (its keepalive pongs wait too).
ROOM_WAIT = 1.0


class Overloaded(BackendUnavailable):
    """Refused before any work: too many ballots in progress. Retryable; nothing was stored."""


class Admission:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.refused = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    def enter(self) -> bool:
        """Take a place for one ballot, or False (refuse it) when `limit` ballots are in progress."""
        if self.in_flight >= self.limit:
            self.refused += 1
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        """A ballot was answered: its place goes to the socket refused longest ago, if any."""
        self.in_flight -= 1
        waiting = self._waiting
        if not waiting:
            return
        if self.in_flight <= self.limit // 2:
            while waiting:
                _release(waiting.popleft())
            return
        while waiting:
            future = waiting.popleft()
            if not future.done():
                future.set_result(None)
                return

    async def room(self) -> None:
        """Wait until a ballot in progress was answered (at once when there is room)."""
        if self.in_flight < self.limit:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(ROOM_WAIT, _release, future)
        self._waiting.append(future)
        try:
            await future
        finally:
            timer.cancel()

    def detail(self) -> dict[str, int]:
        return {"ballots_in_progress": self.in_flight, "ballot_limit": self.limit,
                "ballots_refused_busy": self.refused, "sockets_waiting_for_room": len(self._waiting)}


def _release(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
