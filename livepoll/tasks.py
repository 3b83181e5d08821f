"""Stopping background tasks for certain."""

from __future__ import annotations

import asyncio
from typing import Any

# How long to wait between cancel requests while a task has not finished.
CANCEL_RETRY_SECONDS = 0.1


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it has finished.

    One `cancel()` is not always enough on Python 3.11: `asyncio.wait_for` swallows a cancellation that
    arrives just as the awaited call completes (CPython gh-86296, fixed in 3.12), and the task then runs
    on. So the request is repeated until the task is done.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_RETRY_SECONDS)
    if not task.cancelled():
        task.exception()  # retrieved, so a failure while stopping is not reported again at exit
