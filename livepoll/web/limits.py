"""Limits on abuse that would otherwise be free: join-code guessing."""

from __future__ import annotations

import time
from collections import OrderedDict

from starlette.requests import HTTPConnection

from livepoll.model import PollError

# A room of 600 behind one city-hall NAT joins with valid codes; only wrong codes count here.
MISSES_PER_WINDOW = 30
WINDOW_SECONDS = 60.0
# Addresses remembered at most; the oldest is forgotten first, so memory stays bounded under a scan.
MAX_TRACKED_ADDRESSES = 10_000


class CodeGuessLimiter:
    """Refuses (429) an address that asked for too many unknown join codes within a window."""

    def __init__(self, misses: int = MISSES_PER_WINDOW, window: float = WINDOW_SECONDS) -> None:
        self.misses = misses
        self.window = window
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self.refused = 0

    @staticmethod
    def _address(conn: HTTPConnection) -> str:
        return conn.client.host if conn.client else "unknown"

    def check(self, conn: HTTPConnection) -> None:
        entry = self._seen.get(self._address(conn))
        if entry is None:
            return
        started, count = entry
        if time.monotonic() - started > self.window:
            return
        if count >= self.misses:
            self.refused += 1
            raise PollError("too_many_attempts", "Too many wrong codes from this address; wait a minute.", 429)

    def miss(self, conn: HTTPConnection) -> None:
        address = self._address(conn)
        now = time.monotonic()
        started, count = self._seen.pop(address, (now, 0))
        if now - started > self.window:
            started, count = now, 0
        self._seen[address] = (started, count + 1)
        while len(self._seen) > MAX_TRACKED_ADDRESSES:
            self._seen.popitem(last=False)
