"""Overload admission: a process takes at most `limit` ballots at a time (read, not yet answered) and refuses
the rest at once, before any work is done on them, with the retryable error (`unavailable`, HTTP 503).

The limit counts ballots; past it a process refuses only while its answered ballots waited longer than
SLOW lately, so a backlog that drains fast is not refused, and never takes more than HARD_FACTOR times it.

Past capacity, a ballot that waits behind a long backlog is answered late (or, on Redis, not confirmed) after
the server spent its CPU on it; refusing early keeps the CPU for ballots that will be acknowledged in time.
A refused ballot changed nothing, so sending it again is always safe.

A refusal costs a receive and a send (most of the framework's ~70 µs), so a phone that re-sends at once must
not be refused again and again: a participant socket whose ballot was refused does not read its next message
until a place is free for it (`room()`). Places go to those sockets in the order they were refused: when a
ballot is answered its place is handed to the socket refused longest ago (which then reads its re-sent ballot
and is admitted), and while sockets wait, newcomers are refused and queue behind them. uvicorn stops reading a
socket whose messages the app does not take, so a waiting phone costs nothing. A handed place is held at most
ROOM_WAIT for its message; no socket waits longer than ROOM_WAIT for a place (then it reads again, and may be
refused again).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque

from livepoll.backends.base import BackendUnavailable

BUSY = "the server is at its limit of ballots in progress"
# The longest a refused socket waits for a place, and holds a handed place for its message (its keepalive
# pongs wait while it does not read).
ROOM_WAIT = 1.0
# Past the limit, ballots are refused only while answered ones waited longer than this lately (a moving
# average over ~1/SMOOTHING ballots): a process that drains its backlog fast is not made to refuse.
SLOW = 0.4
SMOOTHING = 0.02
HARD_FACTOR = 4


class Overloaded(BackendUnavailable):
    """Refused before any work: too many ballots in progress. Retryable; nothing was stored."""


class Admission:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.refused = 0
        self.waiting = 0  # sockets waiting in room()
        # How long answered ballots were in progress lately (moving average; unknown counts as slow).
        self.recent_wait = math.inf
        self._line: deque[asyncio.Future[bool]] = deque()

    def enter(self) -> bool:
        """Take a place for one ballot, or False (refuse it): `limit` ballots are in progress while answered
        ones waited longer than SLOW lately (past the count a process that drains fast takes more, up to
        HARD_FACTOR times the count), or refused sockets are waiting for places."""
        in_flight = self.in_flight
        if in_flight >= self.limit and (
            self.waiting or self.recent_wait > SLOW or in_flight >= self.limit * HARD_FACTOR
        ):
            self.refused += 1
            return False
        self.in_flight = in_flight + 1
        return True

    def leave(self, started: float | None = None) -> None:
        """A ballot was answered (`started`: when it was admitted, by time.monotonic()), or a handed place
        was not used: its place goes to the socket refused longest ago, if one waits; else it is free."""
        if started is not None:
            waited = time.monotonic() - started
            recent = self.recent_wait
            self.recent_wait = waited if recent == math.inf else recent + (waited - recent) * SMOOTHING
        line = self._line
        while line:
            future = line.popleft()
            if not future.done():
                future.set_result(True)
                return
        self.in_flight -= 1

    async def room(self) -> bool:
        """Wait for a place (a refused socket, before it reads again). True: a place was handed to the
        caller, who must `leave()` once done with it; False: none within ROOM_WAIT."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_later(ROOM_WAIT, _give_up, future)
        self._line.append(future)
        self.waiting += 1
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and future.result():
                self.leave()  # handed a place just as the socket went away: pass it on
            raise
        finally:
            self.waiting -= 1
            timer.cancel()


def _give_up(future: asyncio.Future[bool]) -> None:
    if not future.done():
        future.set_result(False)
