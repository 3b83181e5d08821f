"""Group commit of ballots to Redis: one writer task sends everything queued since its last round trip in one
pipeline (one ballot-script call per session and question, each atomic), announces the sessions that
changed, and only then acknowledges each ballot.

The queue is bounded (overflow policy: refuse at once, retryable). A ballot still queued when the configured
timeout has passed while Redis is not answering (or after MAX_BACKLOG_WAIT while it is) is dropped from the
queue and refused as BackendUnavailable (it was never sent: truly not stored); a ballot whose round trip is
under way waits for that round trip, itself bounded by the timeout. An outcome is acknowledged only when
Redis returned it; a round trip that fails or times out is refused as BackendUnavailable, whose meaning is
"not confirmed" (Redis may have stored it: a re-sent identical ballot is then acknowledged as unchanged and
counted once). Never a guess in the other direction.

Cheap per ballot: a caller only queues its ballot and awaits one future. The deadlines are kept by one
sweep timer of the writer (every quarter of the timeout while ballots wait), not by a timer per ballot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

from livepoll.backends.base import BackendUnavailable
from livepoll.backends.redis_clients import ReplicasBehind
from livepoll.backends.redis_layout import Script, SessionKeys, Step, ballot_args, flag
from livepoll.model import Ballot, BallotOutcome
from livepoll.questions import Question
from livepoll.tasks import cancel_and_wait

log = logging.getLogger("livepoll.redis.ballots")

REDIS_FAILURES = (RedisError, OSError, asyncio.TimeoutError)
# While Redis keeps answering, a ballot may wait this long in this process's own backlog (a burst larger
# than one round trip can carry) before it is refused; the configured timeout is for Redis not answering.
MAX_BACKLOG_WAIT = 10.0
# Ballots one round trip carries at most; bounds how long Redis runs one batch (~10 µs per ballot).
MAX_BATCH = 500


@dataclass(slots=True)
class PendingBallot:
    code: str
    question: Question
    ballot: Ballot
    definition: int | None
    gate: str
    future: asyncio.Future[BallotOutcome]
    queued_at: float


class BallotWriter:
    def __init__(
        self,
        client: Callable[[], Redis],
        prefix: str,
        *,
        timeout: float,
        ttl_ms: int,
        max_pending: int,
        index_steps: Callable[[dict[str, float]], list[Step]],
        failed: Callable[[str, BaseException], None],
        succeeded: Callable[[], None],
        wait_replicas: int = 0,
    ) -> None:
        """`wait_replicas` > 0: each batch ends with WAIT for that many replicas (within half the timeout),
        and a batch they did not all confirm is refused as BackendUnavailable like a failed round trip."""
        self._client = client
        self._wait_replicas = wait_replicas
        self._prefix = prefix
        self._script = Script("ballot")
        self._timeout = timeout
        self._ttl_ms = ttl_ms
        self._max_pending = max_pending
        self._index_steps = index_steps
        self._failed = failed
        self._succeeded = succeeded
        self._queue: deque[PendingBallot] = deque()
        self._wakeup: asyncio.Future[None] | None = None  # the writer's, while it waits for ballots
        self._sweep: asyncio.TimerHandle | None = None
        self._idle = asyncio.Event()  # set while nothing is queued or being written
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._round_trip_started: float | None = None
        self._last_round_trip_ok = True
        self.batches = 0
        self.accepted = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="livepoll-redis-ballots")

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done() and not self._closing

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def stop(self) -> None:
        """Refuse new ballots, let the writer finish the queued ones (each bounded by its deadline), then
        fail whatever is left as unavailable."""
        self._closing = True
        task, self._task = self._task, None
        if task is None:
            return
        if not task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self._timeout * 2)
        if self._queue:
            log.warning("stopping with %d ballot(s) queued; they fail as unavailable", len(self._queue))
        await cancel_and_wait(task)
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        _fail(list(self._queue), "the server is stopping")
        self._queue.clear()

    async def cast(
        self, code: str, question: Question, ballot: Ballot, definition: int | None, gate: str
    ) -> BallotOutcome:
        if self._task is None or self._closing:
            raise BackendUnavailable("the Redis backend is not running")
        if len(self._queue) >= self._max_pending:
            raise BackendUnavailable(f"{len(self._queue)} ballots are already waiting for Redis")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[BallotOutcome] = loop.create_future()
        self._queue.append(PendingBallot(code, question, ballot, definition, gate, future, loop.time()))
        self._idle.clear()
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)
        if self._sweep is None:
            self._sweep = loop.call_later(self._timeout / 4, self._expire)
        # A caller that goes away cancels its future: the writer skips it if not yet sent (not stored).
        return await future

    def _expire(self) -> None:
        """The sweep: refuse ballots that waited too long without being sent (never sent: not stored)."""
        self._sweep = None
        queue = self._queue
        loop = asyncio.get_running_loop()
        now = loop.time()
        limit = self._timeout if not self._redis_keeps_up(now) else MAX_BACKLOG_WAIT
        while queue and now - queue[0].queued_at > limit:
            item = queue.popleft()
            if not item.future.done():
                item.future.set_exception(
                    BackendUnavailable(f"Redis did not take the ballot within {self._timeout}s")
                )
        if queue:
            self._sweep = loop.call_later(self._timeout / 4, self._expire)

    def _redis_keeps_up(self, now: float) -> bool:
        started = self._round_trip_started
        return self._last_round_trip_ok and (started is None or now - started < self._timeout)

    async def _run(self) -> None:
        queue = self._queue
        loop = asyncio.get_running_loop()
        while True:
            if not queue:
                self._idle.set()
                self._wakeup = loop.create_future()
                try:
                    await self._wakeup
                finally:
                    self._wakeup = None
                continue
            batch: list[PendingBallot] = []
            while queue and len(batch) < MAX_BATCH:
                item = queue.popleft()
                if not item.future.done():
                    batch.append(item)
            try:
                await self._write(batch)
            except asyncio.CancelledError:
                _fail(batch, "the server is stopping")
                raise
            except Exception:
                log.exception("the ballot writer failed on a batch of %d", len(batch))
                _fail(batch, "the ballot was not stored")

    async def _write(self, batch: list[PendingBallot]) -> None:
        if not batch:
            return
        now = time.time()
        groups: dict[tuple[str, str, bool, int | None, str], list[int]] = {}
        for index, item in enumerate(batch):
            group = (item.code, item.question.id, item.question.allow_change, item.definition, item.gate)
            groups.setdefault(group, []).append(index)
        try:
            self._round_trip_started = asyncio.get_running_loop().time()
            async with asyncio.timeout(self._timeout):
                replies = await self._store(batch, list(groups.values()), now)
        except REDIS_FAILURES as exc:
            self._last_round_trip_ok = False
            self._failed("ballots", exc)
            _fail(batch, f"Redis did not store the ballot: {exc!r}")
            return
        finally:
            self._round_trip_started = None
        self._last_round_trip_ok = True
        self._succeeded()
        self.batches += 1
        outcomes: list[BallotOutcome | BackendUnavailable] = [BackendUnavailable("not stored")] * len(batch)
        for (code, *_), members in groups.items():
            reply = replies[members[0]]
            if isinstance(reply, BaseException):
                log.error("the ballot script failed for session %s: %r", code, reply)
                continue
            seq, *results = reply
            for index, outcome in zip(members, results, strict=True):
                outcomes[index] = BallotOutcome(str(outcome))
            if int(seq):
                self.accepted += sum(1 for r in results if r == BallotOutcome.ACCEPTED)
        for item, result in zip(batch, outcomes, strict=True):
            if item.future.done():
                continue
            if isinstance(result, BackendUnavailable):
                item.future.set_exception(BackendUnavailable("the ballot was not stored"))
            else:
                item.future.set_result(result)

    async def _store(self, batch: list[PendingBallot], groups: list[list[int]], now: float) -> list[Any]:
        """One script call per (session, question) group, all in one pipeline round trip (transaction=False:
        each call is atomic on its own, and publishes its session's notice itself), followed in the same
        round trip by the sessions' activity index. A group that met NOSCRIPT did not run and is sent once
        more after loading the script. Returns each group's reply at the index of its first ballot."""
        client = self._client()
        if not self._script.sha:
            await self._script.load(client)
        replies: list[Any] = [None] * len(batch)
        pending = groups
        for _attempt in range(2):
            pipe = client.pipeline(transaction=False)
            for members in pending:
                first = batch[members[0]]
                keys = SessionKeys(self._prefix, first.code)
                qid = first.question.id
                definition = "" if first.definition is None else str(first.definition)
                args: list[str | int] = [
                    qid, flag(first.question.allow_change), repr(now), self._ttl_ms, definition, first.gate,
                    keys.notices,
                ]
                for index in members:
                    args += ballot_args(batch[index].ballot)
                pipe.evalsha(
                    self._script.sha, 4, keys.state, keys.ballots(qid), keys.tally(qid), keys.first_seen(qid), *args
                )
            if pending is groups:  # the activity of the batch's sessions, once (not with a NOSCRIPT retry)
                for step, step_args in self._index_steps(dict.fromkeys((i.code for i in batch), now)):
                    step(pipe, *step_args)
            if self._wait_replicas:  # last, so that it covers every write of the batch
                pipe.execute_command("WAIT", self._wait_replicas, int(self._timeout * 500))
            results = await pipe.execute(raise_on_error=False)
            if self._wait_replicas and not (isinstance(results[-1], int) and results[-1] >= self._wait_replicas):
                raise ReplicasBehind(f"{results.pop()!r} of {self._wait_replicas} replicas confirmed the batch")
            results = results[: len(pending)]
            missing = []
            for members, result in zip(pending, results, strict=True):
                if isinstance(result, NoScriptError):
                    missing.append(members)
                else:
                    replies[members[0]] = result
            if not missing:
                return replies
            await self._script.load(client)
            pending = missing
        for members in pending:
            replies[members[0]] = NoScriptError("the ballot script could not be loaded")
        return replies


def _fail(batch: list[PendingBallot], message: str) -> None:
    for item in batch:
        if not item.future.done():
            item.future.set_exception(BackendUnavailable(message))
