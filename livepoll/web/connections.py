"""HTTP connections: a request head must be complete soon after the connection opens or its first byte.

uvicorn times out idle keep-alive connections but not a request head in progress, so a client that sends
headers a byte at a time (slowloris), or opens connections and sends nothing, could hold them forever.
`HeadTimeoutProtocol` is uvicorn's httptools protocol plus one timer; `livepoll serve` runs with it.
Bodies are bounded by the app (web/bodies.py).
"""

from __future__ import annotations

import asyncio
import functools

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from livepoll.config import load_settings


@functools.cache
def head_timeout() -> float:
    """LIVEPOLL_HEAD_TIMEOUT, read once per process (uvicorn makes a protocol per connection)."""
    return load_settings().head_timeout


# uvloop (libuv) runs due timers before it reads the sockets that became readable meanwhile: on a loop that
# fell behind, a head that arrived in time would lose to its own deadline. The deadline is therefore looked
# at twice, this long apart, with the sockets read in between.
HEAD_RECHECK = 0.1


class HeadTimeoutProtocol(HttpToolsProtocol):
    _head_timer: asyncio.TimerHandle | None = None
    _head_rechecked = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head_timer()

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _start_head_timer(self) -> None:
        # Not restarted by the first byte of a connection's first request: the deadline counts from the open.
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(head_timeout(), self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._head_rechecked = False

    def _head_timed_out(self) -> None:
        if not self._head_rechecked:
            self._head_rechecked = True
            self._head_timer = self.loop.call_later(HEAD_RECHECK, self._head_timed_out)
            return
        self._head_timer = None
        self._head_rechecked = False
        if not self.transport.is_closing():
            self.transport.close()
