"""Connected-participant counts across processes: each process writes its own count of a session into the
session's presence hash (field = process id, value = "count reported_at"); snapshots add up the fresh ones.

A change is written at once, unless the session's last write is younger than THROTTLE: then the background
loop writes the latest value within THROTTLE (and announces it, so screens update the count). The loop also
re-reports every count each REFRESH seconds, so a process that dies stops counting after STALE seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from livepoll.backends.base import BackendUnavailable
from livepoll.backends.redis_layout import Script, SessionKeys, Step, eval_source
from livepoll.tasks import cancel_and_wait

log = logging.getLogger("livepoll.redis.presence")

REFRESH = 5.0
STALE = 15.0
THROTTLE = 0.2


class PresenceReporter:
    def __init__(
        self,
        prefix: str,
        process_id: str,
        pipeline: Callable[[str, Sequence[Step]], Awaitable[list[Any]]],
        every_refresh: Callable[[], None] = lambda: None,
    ) -> None:
        self._prefix = prefix
        self._process_id = process_id
        self._pipeline = pipeline
        self._every_refresh = every_refresh
        self._script = Script("presence")
        self._wanted: dict[str, int] = {}
        self._written: dict[str, tuple[int, float]] = {}  # code -> (count, time.monotonic() of the write)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="livepoll-redis-presence")

    async def stop(self) -> None:
        """Stop the loop and take this process's participants out of the counts now, not when they go stale."""
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None
        if self._wanted:
            steps: list[Step] = [(self._step, (code, 0)) for code in self._wanted]
            self._wanted.clear()
            with contextlib.suppress(BackendUnavailable):
                await self._pipeline("presence", steps)

    async def report(self, code: str, participants: int) -> None:
        participants = max(0, participants)
        if participants:
            self._wanted[code] = participants
        else:
            self._wanted.pop(code, None)
        written = self._written.get(code)
        if written is not None and written[0] == participants:
            return
        if written is not None and time.monotonic() - written[1] < THROTTLE:
            return  # the loop writes the latest value within THROTTLE
        await self._write(code, participants)

    async def _write(self, code: str, participants: int) -> None:
        self._written[code] = (participants, time.monotonic())
        try:
            await self._pipeline("presence", [(self._step, (code, participants))])
        except BackendUnavailable:
            self._written.pop(code, None)  # the loop tries again
            return
        if participants == 0:
            self._written.pop(code, None)

    def _step(self, pipe: Any, code: str, participants: int) -> None:
        keys = SessionKeys(self._prefix, code)
        lifetime_ms = int(STALE * 4 * 1000)
        args = [self._process_id, participants, repr(time.time()), lifetime_ms, keys.notices]
        # EVAL, not EVALSHA: presence writes are few, and EVAL never meets NOSCRIPT after a Redis restart.
        eval_source(pipe, self._script, [keys.presence], args)

    async def _run(self) -> None:
        last_refresh = time.monotonic()
        while True:
            await asyncio.sleep(THROTTLE)
            refresh = time.monotonic() - last_refresh >= REFRESH
            if refresh:
                last_refresh = time.monotonic()
                self._every_refresh()
            for code in set(self._wanted) | set(self._written):
                wanted = self._wanted.get(code, 0)
                written = self._written.get(code)
                if written is None or written[0] != wanted or (refresh and wanted):
                    try:
                        await self._write(code, wanted)
                    except Exception:
                        log.exception("writing the presence of session %s failed", code)
