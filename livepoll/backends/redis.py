"""Redis backend: state in Redis, one Lua script per ballot, group commit, pub/sub change notices.

Any number of processes on any number of machines share one Redis (key layout: `redis_layout.py`). A
ballot is acknowledged only after the pipeline round trip that ran its script returned
(`redis_ballots.py`); change notices are tiny pub/sub messages on one channel per session, received by one
probed listener per process (`redis_notices.py`); each process adds its participant count to a per-session
hash (`redis_presence.py`). When Redis loses a session (restarted empty), a process
that knows the session's definition rebuilds it under a new epoch with zero tallies, and its snapshots say
`state_lost`; a deleted session leaves a tombstone so that no process rebuilds it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from livepoll.backends import redis_clients, redis_layout as layout, redis_presence
from livepoll.backends.base import (
    QUESTION_GATE,
    Backend,
    BackendHealth,
    BackendUnavailable,
    CodeTaken,
    Decide,
    SessionActivity,
)
from livepoll.backends.guesses import GuessBudget
from livepoll.backends.redis_ballots import REDIS_FAILURES, BallotWriter
from livepoll.backends.redis_layout import Script, SessionKeys, Step, valid_code
from livepoll.backends.redis_notices import NoticeListener
from livepoll.backends.redis_presence import PresenceReporter
from livepoll.kinds import lists_ballots
from livepoll.model import (
    VERSION,
    Ballot,
    BallotOutcome,
    BallotsMustFit,
    QuestionData,
    Response,
    Session,
    Snapshot,
    StoredBallot,
    apply_change,
)
from livepoll.qa import ASKED, UPVOTES
from livepoll.questions import Question, channel

log = logging.getLogger("livepoll.redis")

T = TypeVar("T")

# Ballots waiting for the writer; past this cast_ballot fails at once (retryable) instead of the queue growing.
MAX_PENDING_BALLOTS = 10_000
# Every key of an active session has its TTL renewed at least this often (writes renew the keys they touch).
TTL_REFRESH = 3600.0
DEFAULT_PROBE_INTERVAL = 5.0
# Connections for reads and small writes, shared by all requests; the ballot writer uses one at a time.
MAX_CONNECTIONS = 32
# A host control is a compare-and-set on the session's control version; when other controls keep coming
# in between (a host holding a key down on two screens), give up after this many reads and say so.
MAX_CONTROL_ATTEMPTS = 20


@dataclass(slots=True)
class _Known:
    """What this process last saw of a session: enough to rebuild it if Redis loses it."""

    session: Session
    active: float


class RedisBackend(Backend):
    def __init__(
        self,
        url: str,
        prefix: str = "lp",
        timeout: float = 1.0,
        retention_seconds: float = 30 * 86400,
        *,
        probe_interval: float | None = DEFAULT_PROBE_INTERVAL,
        max_pending: int = MAX_PENDING_BALLOTS,
        cluster: bool = False,
        wait_replicas: int = 0,
    ) -> None:
        """`timeout` bounds every Redis call and every ballot (from cast to acknowledgement);
        `probe_interval` is how often the notice listener checks its subscription (None: never); `url` may
        name a Sentinel set or a Cluster (redis_clients.py); `wait_replicas`: see BallotWriter."""
        super().__init__()
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        self._url = url
        self.url = layout.redacted_url(url)
        self.prefix = prefix
        self.timeout = timeout
        self.retention_seconds = retention_seconds
        self.probe_interval = probe_interval
        self.process_id = secrets.token_hex(6)
        self._ttl_ms = max(1000, int(retention_seconds * 1000))
        self._index = f"{prefix}:sessions"
        self._max_pending = max_pending
        self._cluster = cluster
        self._wait_replicas = wait_replicas
        self._scripts = {name: Script(name) for name in ("create", "control", "delete", "restore")}
        self._client: Redis | None = None
        self._subscriber: Redis | None = None
        self._listener: NoticeListener | None = None
        self._writer: BallotWriter | None = None
        self._presence: PresenceReporter | None = None
        self._known: dict[str, _Known] = {}
        self._ttl_refreshed: dict[str, float] = {}
        self._redis_ok = False
        self._failed_at = 0.0
        self._last_error: str | None = None
        self._failure_logged = False

    # Lifecycle -------------------------------------------------------------------------------------------

    def _pool_options(self, retries: int) -> dict[str, Any]:
        return {
            "socket_timeout": self.timeout,
            "socket_connect_timeout": self.timeout,
            "retry": Retry(NoBackoff(), retries, supported_errors=(RedisConnectionError,)),
            "health_check_interval": 0,
            "decode_responses": True,
            "client_name": f"livepoll-{os.getpid()}-{self.process_id}",
        }

    async def start(self) -> None:
        if self._client is not None:
            raise RuntimeError("RedisBackend.start() was called twice")
        # Blocking pool: past MAX_CONNECTIONS a caller waits (at most `timeout`) instead of getting an
        # error. One immediate retry on a broken connection (a pooled socket that died with a restarted
        # Redis), none on a timeout, whose budget is spent. A retried ballot pipeline cannot count a ballot
        # twice: the ballot script is idempotent per voter (the same ballot again answers `unchanged`).
        # The listener rebuilds its connection itself on any error: redis-py must not reconnect behind it.
        self._client, self._subscriber = redis_clients.connect(
            self._url, cluster=self._cluster, max_connections=MAX_CONNECTIONS, timeout=self.timeout,
            options=self._pool_options,
        )
        self._writer = BallotWriter(
            self._redis,
            self.prefix,
            timeout=self.timeout,
            ttl_ms=self._ttl_ms,
            max_pending=self._max_pending,
            index_steps=self._index_steps,
            failed=self._failed,
            succeeded=self._succeeded,
            wait_replicas=self._wait_replicas,
        )
        self._listener = NoticeListener(
            self._subscriber,
            self._client,
            lambda code: SessionKeys(self.prefix, code).notices,
            f"{self.prefix}:probe:{self.process_id}",
            self._notice,
            timeout=self.timeout,
            probe_interval=self.probe_interval,
        )
        try:
            await self._call("ping", self._client.ping())
        except BackendUnavailable as exc:
            # Start anyway: the writer and the listener recover when Redis comes; readiness says it is down.
            log.warning("Redis at %s is not reachable yet: %s", self.url, exc)
        self._presence = PresenceReporter(self.prefix, self.process_id, self._pipeline_call, self._prune_known)
        self._writer.start()
        self._presence.start()
        self._listener.start()

    async def stop(self) -> None:
        if self._writer is not None:
            await self._writer.stop()
        if self._listener is not None:
            await self._listener.stop()
        if self._presence is not None and self._client is not None:
            await self._presence.stop()
        for client in (self._client, self._subscriber):
            if client is not None:
                await client.aclose()
        self._client = self._subscriber = None

    def _redis(self) -> Redis:
        if self._client is None:
            raise BackendUnavailable("the Redis backend is not running")
        return self._client

    async def _call(self, what: str, operation: Awaitable[T]) -> T:
        """Await one Redis operation within the configured timeout; any failure is BackendUnavailable."""
        try:
            result = await asyncio.wait_for(operation, self.timeout)
        except REDIS_FAILURES as exc:
            self._failed(what, exc)
            raise BackendUnavailable(f"Redis did not answer ({what}): {exc!r}") from exc
        self._succeeded()
        return result

    def _failed(self, what: str, exc: BaseException) -> None:
        self._redis_ok = False
        self._failed_at = time.monotonic()
        self._last_error = f"{what}: {exc!r}"
        if not self._failure_logged:
            # Once per outage, with the traceback; the recovery is logged when a call succeeds again.
            log.warning("Redis call failed (%s); refusing writes as retryable until it answers", what, exc_info=exc)
            self._failure_logged = True

    def _succeeded(self) -> None:
        if self._failure_logged:
            log.info("Redis answers again")
            self._failure_logged = False
        self._redis_ok = True
        self._last_error = None

    async def _script(self, name: str, keys: Sequence[str], args: Sequence[object]) -> Any:
        return await self._call(name, self._scripts[name].run(self._redis(), keys, args))

    async def _pipeline_call(self, what: str, steps: Sequence[Step], transaction: bool = False) -> list[Any]:
        """One round trip; `transaction=True` makes it one MULTI/EXEC (a consistent read of one session)."""

        async def run() -> list[Any]:
            pipe = self._redis().pipeline(transaction=transaction)
            for step, args in steps:
                step(pipe, *args)
            return list(await pipe.execute())

        return await self._call(what, run())

    # Secrets ---------------------------------------------------------------------------------------------

    async def shared_secret(self, name: str, generate: Callable[[], str]) -> tuple[str, bool]:
        key = f"{self.prefix}:secret:{name}"
        candidate = generate()
        if await self._call("secret", self._redis().set(key, candidate, nx=True)):
            return candidate, True
        stored = await self._call("secret", self._redis().get(key))
        if stored is None:
            raise BackendUnavailable(f"the shared secret {name!r} vanished while it was read")
        return str(stored), False

    # Sessions --------------------------------------------------------------------------------------------

    async def create_session(self, session: Session) -> None:
        if not valid_code(session.code):
            raise ValueError(f"Expected an alphanumeric join code, got {session.code!r}")
        keys = SessionKeys(self.prefix, session.code)
        now = time.time()
        # Leftovers of an older session with this code (its TTLs not yet run out) must not leak into this one.
        leftovers = [keys.tombstone, keys.presence, *keys.per_session(q.id for q in session.questions)]
        args = [layout.definition_json(session), session.epoch, now, self._ttl_ms, *layout.state_fields(session)]
        if not await self._script("create", [keys.definition, keys.state, *leftovers], args):
            raise CodeTaken(session.code)
        self._known[session.code] = _Known(session, now)
        self._ttl_refreshed[session.code] = now
        await self._touch_index({session.code: now})

    async def get_session(self, code: str) -> Session | None:
        if not valid_code(code):
            return None
        keys = SessionKeys(self.prefix, code)
        for _attempt in range(2):
            known = self._known.get(code)
            if known is not None:
                # While the definition is the one this process has, read only the live state (one HGETALL,
                # no JSON to parse): this runs on every join and every participant handshake.
                state: dict[str, str] = await self._call("get_session", self._redis().hgetall(keys.state))  # type: ignore[arg-type]
                if state and layout.definition_version(state) == known.session.definition:
                    session = replace(known.session, state=layout.live_state(state), epoch=state.get("epoch") or "")
                    self._remember(session, state)
                    return session
            if known is None or state:
                steps: list[Step] = [(layout.get, (keys.definition,)), (layout.hgetall, (keys.state,))]
                definition, state = await self._pipeline_call("get_session", steps, transaction=True)
                if definition and state:
                    session = layout.session_from(code, definition, state)
                    self._remember(session, state)
                    return session
            if not await self._restore(code):
                return None
        return None

    def _remember(self, session: Session, state: dict[str, str]) -> None:
        self._known[session.code] = _Known(session, float(state.get("active") or time.time()))

    def _forget(self, code: str) -> None:
        self._known.pop(code, None)
        self._ttl_refreshed.pop(code, None)

    async def _restore(self, code: str) -> bool:
        """Rebuild a session whose keys are gone from this process's cached definition, under a new epoch
        with zero tallies; True if the session is there now (rebuilt, or present after all)."""
        known = self._known.get(code)
        if known is None:
            return False
        if time.time() - known.active > self.retention_seconds:
            self._forget(code)  # gone because it expired: retention means it stays gone
            return False
        session = replace(known.session, epoch=secrets.token_hex(4))
        keys = SessionKeys(self.prefix, code)
        now = time.time()
        stale = keys.per_session(q.id for q in session.questions)
        args = [
            layout.definition_json(session),
            session.epoch,
            now,
            self._ttl_ms,
            keys.notices,
            *layout.state_fields(session),
        ]
        result = await self._script("restore", [keys.tombstone, keys.state, keys.definition, *stale], args)
        if result == 0:
            self._forget(code)  # deleted on purpose (tombstone): never bring it back
            return False
        if result == 2:
            log.warning("session %s was lost by Redis; rebuilt under the new epoch %s", code, session.epoch)
            await self._touch_index({code: now})
        return True

    async def _definition(self, code: str) -> Session | None:
        """The session's definition (its questions; the state in it may be stale): cached, else read."""
        if not valid_code(code):
            return None
        known = self._known.get(code)
        return known.session if known is not None else await self.get_session(code)

    async def list_sessions(self) -> list[Session]:
        codes = [str(c) for c in await self._call("list_sessions", self._redis().zrange(self._index, 0, -1))]
        steps: list[Step] = []
        for code in codes:
            keys = SessionKeys(self.prefix, code)
            steps += [(layout.get, (keys.definition,)), (layout.hgetall, (keys.state,))]
        replies = await self._pipeline_call("list_sessions", steps) if steps else []
        sessions: list[Session] = []
        vanished: list[str] = []
        for code, definition, state in zip(codes, replies[::2], replies[1::2], strict=True):
            if definition and state:
                session = layout.session_from(code, definition, state)
                self._remember(session, state)
                sessions.append(session)
            elif not definition and not state:
                vanished.append(code)  # its TTL ran out: drop it from the index too
        if vanished:
            await self._call("list_sessions", self._redis().zrem(self._index, *vanished))
        sessions.sort(key=lambda s: s.created_at, reverse=True)
        return sessions

    async def session_activity(self, sessions: Collection[Session]) -> dict[str, SessionActivity]:
        steps: list[Step] = []
        for session in sessions:
            keys = SessionKeys(self.prefix, session.code)
            steps += [(layout.hget, (keys.state, "active")), (layout.hgetall, (keys.presence,))]
            steps += [(layout.hlen, (keys.ballots(q.id),)) for q in session.questions]
        replies = await self._pipeline_call("session_activity", steps) if steps else []
        now = time.time()
        found: dict[str, SessionActivity] = {}
        at = 0
        for session in sessions:
            active, presence = replies[at], replies[at + 1]
            counts = replies[at + 2 : at + 2 + len(session.questions)]
            at += 2 + len(session.questions)
            if active is None:
                continue  # gone meanwhile
            participants = layout.participants_from(presence or {}, now, redis_presence.STALE)
            found[session.code] = SessionActivity(float(active), participants, sum(int(c) for c in counts))
        return found

    async def delete_session(self, code: str) -> bool:
        return valid_code(code) and await self._delete(code, "") == 1

    async def _delete(self, code: str, inactive_since: str) -> int:
        """Delete every key of the session at once, if it has been inactive since `inactive_since` ('' for
        always); 1 if deleted, 0 if there was none, -1 if it is still active."""
        keys = SessionKeys(self.prefix, code)
        definition = await self._call("delete", self._redis().get(keys.definition))
        if definition:
            questions = layout.question_ids(str(definition))
        else:
            known = self._known.get(code)
            questions = [q.id for q in known.session.questions] if known is not None else []
        every = [keys.tombstone, keys.state, keys.definition, keys.presence, *keys.per_session(questions)]
        result = int(await self._script("delete", every, [inactive_since, self._ttl_ms, keys.notices]))
        if result != -1:
            self._forget(code)
            await self._call("delete", self._redis().zrem(self._index, code))
        return result

    async def change_session(self, code: str, decide: Decide) -> Session | None:
        if not valid_code(code):
            return None
        keys = SessionKeys(self.prefix, code)
        for _attempt in range(MAX_CONTROL_ATTEMPTS):
            steps: list[Step] = [(layout.get, (keys.definition,)), (layout.hgetall, (keys.state,)), (layout.time, ())]
            definition, state, clock = await self._pipeline_call("control", steps, transaction=True)
            if not definition or not state:
                if not await self._restore(code):
                    return None
                continue
            session = layout.session_from(code, definition, state)
            now = int(clock[0]) + int(clock[1]) / 1e6  # Redis's clock: the one every process shares
            change = decide(session, now)
            guards = await self._ballots_fit(keys, change.requires)
            after = apply_change(session, change)
            if after == session and not change.clear and not change.marks:
                return session
            cleared = keys.per_question(change.clear)
            args: list[object] = [
                state.get("cv") or "0",
                layout.definition_json(after) if change.redefines else "",
                repr(now),
                self._ttl_ms,
                keys.notices,
                len(cleared),
                len(change.marks),
                len(guards),
            ]
            for _question, key, mark in change.marks:
                args += [key, mark or ""]
            args += [version for _key, version in guards]
            args += layout.state_fields(after)
            marked = [k for qid, _key, _mark in change.marks for k in (keys.marks(qid), keys.tally(qid))]
            guarded = [key for key, _version in guards]
            seq = int(await self._script("control", [keys.state, keys.definition, *cleared, *marked, *guarded], args))
            if seq == -1:
                continue  # another control came first: decide again on what it left
            if seq == 0:
                return None
            self._known[code] = _Known(after, now)
            await self._touch_index({code: now})
            return after
        raise BackendUnavailable(f"other controls of session {code} kept coming in; try again")

    async def _ballots_fit(self, keys: SessionKeys, requires: Sequence[BallotsMustFit]) -> list[tuple[str, str]]:
        """Check what an edit requires of stored ballots; returns (tally key, version) pairs the control
        script checks again, so that a ballot stored between this read and the edit makes it decide again."""
        if not requires:
            return []
        steps: list[Step] = []
        for rule in requires:
            steps += [(layout.hvals, (keys.ballots(rule.question_id),)),
                      (layout.hget, (keys.tally(rule.question_id), VERSION))]
        replies = await self._pipeline_call("control", steps, transaction=True)
        guards = []
        for rule, records, version in zip(requires, replies[::2], replies[1::2], strict=True):
            refusal = rule.refusal(layout.ballot_record(str(record))[0] for record in records)
            if refusal is not None:
                raise refusal
            guards.append((keys.tally(rule.question_id), str(version or "")))
        return guards

    async def expire_sessions(self, inactive_since: float) -> int:
        # The index finds the candidates; each session's own `active` field decides, atomically.
        candidates = await self._call(
            "expire", self._redis().zrangebyscore(self._index, "-inf", f"({inactive_since!r}")
        )
        expired = 0
        for code in map(str, candidates):
            if await self._delete(code, repr(inactive_since)) == 1:
                expired += 1
        return expired

    def _index_steps(self, active: dict[str, float]) -> list[Step]:
        """Record activity in the index, and renew the TTL of every key of a session not renewed lately
        (writes renew the keys they touch; this reaches the questions nobody votes on any more)."""
        steps: list[Step] = [(layout.zadd, (self._index, active))]
        now = time.time()
        every = min(TTL_REFRESH, self.retention_seconds / 10)
        for code in active:
            known = self._known.get(code)
            if known is None or now - self._ttl_refreshed.get(code, 0.0) < every:
                continue
            self._ttl_refreshed[code] = now
            keys = SessionKeys(self.prefix, code)
            questions = keys.per_session(q.id for q in known.session.questions)
            for key in (keys.definition, keys.state, *questions):
                steps.append((layout.pexpire, (key, self._ttl_ms)))
        return steps

    async def _touch_index(self, active: dict[str, float]) -> None:
        try:
            await self._pipeline_call("index", self._index_steps(active))
        except BackendUnavailable as exc:
            # The write itself is done; the index catches up with the session's next activity.
            log.debug("could not record the activity of %s: %s", sorted(active), exc)

    # Ballots ---------------------------------------------------------------------------------------------

    async def cast_ballot(
        self, code: str, question: Question, ballot: Ballot, definition: int | None, gate: str = QUESTION_GATE
    ) -> BallotOutcome:
        if not valid_code(code):
            return BallotOutcome.NO_SESSION
        if self._writer is None:
            raise BackendUnavailable("the Redis backend is not running")
        outcome = await self._writer.cast(code, question, ballot, definition, gate)
        if outcome is BallotOutcome.NO_SESSION and await self.get_session(code) is not None:
            # Redis lost the session and get_session() just rebuilt it from this process's cache (new epoch).
            outcome = await self._writer.cast(code, question, ballot, definition, gate)
        return outcome

    async def own_ballots(self, code: str, question_id: str, voters: Collection[str]) -> dict[str, StoredBallot]:
        if not valid_code(code) or not voters:
            return {}
        asked = list(voters)
        keys = SessionKeys(self.prefix, code)
        records = await self._call("own_ballots", self._redis().hmget(keys.ballots(question_id), asked))
        return {
            voter: StoredBallot(*layout.ballot_record(str(record)))
            for voter, record in zip(asked, records, strict=True)
            if record
        }

    async def question_data(self, code: str, wanted: Mapping[str, bool]) -> dict[str, QuestionData]:
        session = await self._definition(code)
        if session is None:
            return {}
        keys = SessionKeys(self.prefix, code)
        questions = [session.question(qid) or channel(qid) for qid in wanted]
        steps: list[Step] = [(layout.exists, (keys.state,))]
        for q in questions:
            steps += layout.data_steps(keys, q.id, wanted[q.id])
        exists, *replies = await self._pipeline_call("question_data", steps, transaction=True)
        if not exists:
            return {}
        return {q.id: layout.data_from(q, replies, wanted[q.id]) for q in questions}

    async def responses(self, code: str) -> list[Response]:
        session = await self._definition(code)
        if session is None:
            return []
        keys = SessionKeys(self.prefix, code)
        steps: list[Step] = [(layout.exists, (keys.state,))]
        steps += [(layout.hgetall, (keys.ballots(q.id),)) for q in session.questions]
        exists, *ballots = await self._pipeline_call("responses", steps, transaction=True)
        if not exists:
            return []
        rows = [
            response
            for question, stored in zip(session.questions, ballots, strict=True)
            for response in layout.responses_from(question.id, stored)
        ]
        return sorted(rows, key=lambda r: (r.answered_at, r.question_id, r.voter))

    # Live ------------------------------------------------------------------------------------------------

    async def snapshot(self, code: str) -> Snapshot | None:
        if not valid_code(code):
            return None
        keys = SessionKeys(self.prefix, code)
        known = self._known.get(code)
        # Guess the current question and the definition from the last look, so that state and tally come in
        # one MULTI/EXEC (one round trip, one consistent moment) with no JSON to parse; a wrong guess costs a
        # second trip.
        guess = known.session.state.current if known is not None else None
        cached = known.session if known is not None else None
        restored = False
        for _trip in range(5):
            steps: list[Step] = [
                (layout.hgetall, (keys.state,)), (layout.hgetall, (keys.presence,)), (layout.time, ()),
                (layout.hget, (keys.tally(ASKED), VERSION)), (layout.hget, (keys.tally(UPVOTES), VERSION)),
            ]
            if cached is None:
                steps.append((layout.get, (keys.definition,)))
            guessed = None if cached is None or guess is None else cached.question(guess)
            with_ballots = guessed is not None and lists_ballots(guessed)
            if guess is not None:
                steps += layout.data_steps(keys, guess, with_ballots)
            state, presence, clock, asked, upvoted, *rest = await self._pipeline_call(
                "snapshot", steps, transaction=True
            )
            definition = rest.pop(0) if cached is None else None
            if not state or (cached is None and not definition):
                if restored or not await self._restore(code):
                    return None
                restored, cached = True, None
                continue
            if cached is not None and cached.definition != layout.definition_version(state):
                cached = None  # the host changed the definition: read it
                continue
            current = state.get("current") or None
            if current != guess or (cached is None and current is not None):
                guess = current  # read again, now knowing the question and what its kind needs
                if cached is None and definition:
                    cached = layout.session_from(code, definition, state)
                continue
            if cached is not None:
                session = replace(cached, state=layout.live_state(state), epoch=state.get("epoch") or "")
            else:
                assert definition is not None
                session = layout.session_from(code, definition, state)
            self._remember(session, state)
            question = session.current_question
            return Snapshot(
                code=code,
                epoch=session.epoch,
                seq=int(state.get("seq") or 0),
                state=session.state,
                question=question,
                data=None if question is None else layout.data_from(question, rest, with_ballots),
                participants=layout.participants_from(presence, time.time(), redis_presence.STALE),
                state_lost=state.get("lost") == "1",
                host_key_hash=session.host_key_hash,
                now=int(clock[0]) + int(clock[1]) / 1e6,  # Redis's clock, the one deadlines are set by
                qa=session.qa,
                qa_versions=(int(asked or 0), int(upvoted or 0)) if session.qa.enabled else (),
                session=session,
            )
        raise BackendUnavailable(f"the current question of session {code} kept moving while it was read")

    async def watch(self, code: str) -> None:
        if self._listener is not None and valid_code(code):
            await self._listener.watch(code)

    async def unwatch(self, code: str) -> None:
        if self._listener is not None and valid_code(code):
            await self._listener.unwatch(code)

    def _notice(self, code: str, payload: str | None) -> None:
        if payload == "deleted":
            self._forget(code)
        try:
            self.on_change(code)
        except Exception:
            log.exception("the change listener failed for session %s", code)

    # Presence --------------------------------------------------------------------------------------------

    async def report_presence(self, code: str, participants: int) -> None:
        if self._presence is not None and valid_code(code):
            await self._presence.report(code, participants)

    def _prune_known(self) -> None:
        """Forget definitions of sessions inactive for longer than the retention: they are gone for good."""
        horizon = time.time() - self.retention_seconds
        for code in [code for code, known in self._known.items() if known.active < horizon]:
            self._forget(code)

    def health(self) -> BackendHealth:
        listener, writer = self._listener, self._writer
        listening = listener is not None and listener.alive and listener.connected
        # Redis answers if the last call did, or if the listener subscribed after the last failed call.
        redis_ok = self._redis_ok or (listener is not None and listening and listener.connected_at > self._failed_at)
        writing = writer is not None and writer.alive
        detail: dict[str, object] = {
            "backend": "redis",
            "url": self.url,
            "prefix": self.prefix,
            "redis_ok": redis_ok,
            "last_error": self._last_error,
            "writer_alive": writing,
            "pending_ballots": writer.pending if writer is not None else 0,
            "batches": writer.batches if writer is not None else 0,
            "ballots_accepted": writer.accepted if writer is not None else 0,
            "reconnects": 0,
        }
        if listener is not None:
            detail.update(listener.detail())
        return BackendHealth(ready=writing and listening and redis_ok, detail=detail)

    # Guess budgets (shared by every process: one script on Redis's clock) -------------------------------

    _guess_script = Script("guesses")

    async def spend_guess_budget(self, budget: GuessBudget, address_key: str, misses: int) -> float:
        key = f"{self.prefix}:guesses:{budget.name}:{address_key}"
        args = [misses, budget.burst, budget.refill_per_second, round(budget.cooling_seconds * 1000)]
        wait_ms = await self._call("guesses", self._guess_script.run(self._redis(), [key], args))
        return int(wait_ms) / 1000.0
