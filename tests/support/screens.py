"""The presenter screen's socket, as a test reads it: open it, and wait for the frame a test expects."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from support.server import ServerProcess

WAIT = 10.0  # s: generous, the machine is shared with Chromium and Redis


@contextlib.asynccontextmanager
async def presenter_socket(server: ServerProcess, code: str, key: str) -> AsyncIterator[ClientConnection]:
    """The presenter screen's socket (not the host's view): what the shared screen gets."""
    url = server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}")
    async with connect(url, proxy=None, compression=None, open_timeout=WAIT, close_timeout=2) as ws:
        yield ws


async def frame_where(
    ws: ClientConnection, check: Callable[[dict[str, Any]], bool], within: float = WAIT
) -> dict[str, Any]:
    """The first `results` frame that satisfies `check`, within `within` seconds (else AssertionError)."""
    deadline = time.monotonic() + within
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            raw = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
        except TimeoutError:
            break
        last = json.loads(raw)
        if last.get("type") == "results" and check(last):
            return last
    raise AssertionError(f"no such presenter frame within {within} s; last: {last}")
