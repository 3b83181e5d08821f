"""Waiting on conditions in async tests, never on sleeps.

- `wait_until(check, what, within)`: poll `check` (a plain or an async predicate) until it holds; fail with
  `what` after `within` seconds. Returns how long it took.
- `eventually(read, expected, within)`: poll an async reader until it returns `expected`.
- `stays(check, what, within)`: the other direction, proving that something did *not* happen: `check` must
  hold on every poll over a short window, and the test fails the moment it does not.

`within` is a safety net that only a failing test spends in full, so it is generous: a loaded 2-core machine
that also runs Chromium and Redis can stall a process for a second. Strict timings belong to `livepoll bench`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

# Default deadline of a wait that is expected to succeed.
WITHIN = 10.0
# How often a condition is polled.
POLL = 0.01

Check = Callable[[], bool | Awaitable[bool]]


async def _holds(check: Check) -> bool:
    value = check()
    if inspect.isawaitable(value):
        value = await value
    return bool(value)


async def wait_until(check: Check, what: str, within: float = WITHIN, poll: float = POLL) -> float:
    """Wait (bounded) until `check()` holds; returns the seconds it took."""
    started = time.monotonic()
    while not await _holds(check):
        if time.monotonic() - started > within:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(poll)
    return time.monotonic() - started


async def eventually(
    read: Callable[[], Awaitable[object]], expected: object, within: float = WITHIN, poll: float = POLL
) -> None:
    """Wait (bounded) until `await read()` equals `expected`."""
    deadline = time.monotonic() + within
    while (value := await read()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {expected!r} within {within}s, still {value!r}")
        await asyncio.sleep(poll)


async def stays(check: Check, what: str, within: float, poll: float = POLL) -> None:
    """`check()` holds on every poll for `within` seconds: a short bounded wait that something does not
    happen (a notice through a frozen connection, readiness while Redis refuses us)."""
    deadline = time.monotonic() + within
    while True:
        if not await _holds(check):
            raise AssertionError(f"expected {what} for {within}s, but it changed")
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(poll)


__all__ = ["WITHIN", "eventually", "stays", "wait_until"]
