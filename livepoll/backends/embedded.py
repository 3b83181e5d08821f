"""The embedded default: one process, SQLite (WAL) on local disk, change notices delivered in-process.

Each session is held in memory in two layers. Decisions (is this ballot new, a change, a resend? may the
host do this?) are taken on the event loop against the *decided* layer, so a ballot's checks and its
effect are one atomic step with respect to every control. Screens, tallies, exports and a participant's own
ballot read the *committed* layer, which a write changes only after the transaction that holds it has
committed: nothing that could still be lost is ever shown. Writes go through one writer that commits
everything queued since its last commit in one transaction (group commit: one fsync for many ballots).
If a commit fails, every write decided on top of it fails too and the session is read back from disk.

Files are private to the server's user (directory 0700, database 0600), deleted rows are overwritten
(`secure_delete`) and the WAL is checkpointed and truncated after a session is deleted, so a deleted
session's texts leave the data directory at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from livepoll.backends.base import (
    ALWAYS_OPEN,
    QUESTION_GATE,
    SESSION_GATE,
    Backend,
    BackendHealth,
    BackendUnavailable,
    CodeTaken,
    Decide,
    SessionActivity,
)
from livepoll.backends.embedded_schema import (
    open_database,
    questions_json,
    session_from_row,
    session_row,
    session_settings,
    state_json,
)
from livepoll.backends.guesses import GuessBuckets, GuessBudget
from livepoll.backends.records import Counts, decode_counts, encode_counts
from livepoll.kinds import lists_ballots
from livepoll.model import (
    FIRST_SEEN,
    VERSION,
    Ballot,
    BallotOutcome,
    MarkChange,
    QuestionData,
    Response,
    Session,
    Snapshot,
    StoredBallot,
    Tally,
    apply_change,
)
from livepoll.qa import ASKED, UPVOTES
from livepoll.questions import Question, channel
from livepoll.tasks import cancel_and_wait

log = logging.getLogger("livepoll.embedded")

T = TypeVar("T")
Statement = tuple[str, tuple[Any, ...]]

# How many queued writes one transaction takes at most; bounds the latency of the batch behind it.
MAX_BATCH = 5000
# Writes waiting for the writer; past this, callers wait (backpressure) instead of the queue growing.
MAX_PENDING_WRITES = 20000
# A commit (with its fsync) costs ~350 µs of CPU whatever it carries. Starting commits at most this often
# makes ballots that arrive spread out share one (at 1,000 ballots/s: ~4 per commit instead of ~1.5), for
# at most this much added latency; a lone ballot after a quiet spell is committed at once.
MIN_COMMIT_INTERVAL = 0.004


@dataclass(slots=True)
class _Stored:
    value: str
    counts: Counts
    cast_at: float


@dataclass(eq=False, slots=True)
class _LiveSession:
    """One session in memory: `session`/`version`/`pending` are the decided layer, the rest is committed."""

    session: Session
    version: int
    shown: Session
    seq: int
    ballots: dict[str, dict[str, _Stored]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    first_seen: dict[str, dict[str, float]] = field(default_factory=dict)
    marks: dict[str, dict[str, str]] = field(default_factory=dict)
    # Ballots decided but not yet committed (None: discarded by a reset not yet committed), and how many
    # resets of each question are not yet committed.
    pending: dict[tuple[str, str], _Stored | None] = field(default_factory=dict)
    pending_resets: dict[str, int] = field(default_factory=dict)
    presence: int = 0
    # Set when a commit failed: writes decided on this object must not reach the disk any more.
    dead: bool = False

    def decided_ballot(self, question_id: str, voter: str) -> _Stored | None:
        key = (question_id, voter)
        if key in self.pending:
            return self.pending[key]
        if self.pending_resets.get(question_id):
            return None
        return self.ballots.get(question_id, {}).get(voter)

    def decided_values(self, question_id: str) -> list[str]:
        """The value of every ballot decided on the question (committed or not)."""
        decided: dict[str, _Stored | None] = {}
        if not self.pending_resets.get(question_id):
            decided.update(self.ballots.get(question_id, {}))
        decided.update({voter: stored for (qid, voter), stored in self.pending.items() if qid == question_id})
        return [stored.value for stored in decided.values() if stored is not None]

    def commit_ballot(self, question_id: str, voter: str, stored: _Stored, version: int) -> None:
        ballots = self.ballots.setdefault(question_id, {})
        counts = self.counts.setdefault(question_id, {})
        previous = ballots.get(voter)
        if previous is not None:
            for key, amount in previous.counts:
                counts[key] = counts.get(key, 0) - amount
        first = self.first_seen.setdefault(question_id, {})
        counts[VERSION] = counts.get(VERSION, 0) + 1
        for key, amount in stored.counts:
            counts[key] = counts.get(key, 0) + amount
            if key.startswith(FIRST_SEEN) and key not in first:
                first[key] = stored.cast_at
        ballots[voter] = stored
        if self.pending.get((question_id, voter)) is stored:
            del self.pending[(question_id, voter)]
        self.seq = max(self.seq, version)

    def commit_change(
        self, after: Session, cleared: tuple[str, ...], marks: tuple[MarkChange, ...], version: int
    ) -> None:
        self.shown = after
        for question_id, key, mark in marks:
            if mark is None:
                self.marks.get(question_id, {}).pop(key, None)
            else:
                self.marks.setdefault(question_id, {})[key] = mark
            counts = self.counts.setdefault(question_id, {})
            counts[VERSION] = counts.get(VERSION, 0) + 1
        kept = {q.id for q in after.questions}
        for question_id in cleared:
            for held in (self.ballots, self.counts, self.first_seen, self.marks):
                if question_id in kept:
                    held[question_id] = {}
                else:
                    held.pop(question_id, None)  # a deleted question
            left = self.pending_resets.get(question_id, 0) - 1
            if left > 0:
                self.pending_resets[question_id] = left
            else:
                self.pending_resets.pop(question_id, None)
        self.seq = max(self.seq, version)

    def tally(self, question: Question) -> Tally:
        counts = self.counts.get(question.id, {})
        voters = len(self.ballots.get(question.id, ()))
        return Tally.of(question, counts.items(), voters, self.first_seen.get(question.id))

    def data(self, question: Question, with_ballots: bool) -> QuestionData:
        ballots: dict[str, StoredBallot] = {}
        if with_ballots:
            ballots = {v: StoredBallot(b.value, b.cast_at) for v, b in self.ballots.get(question.id, {}).items()}
        return QuestionData(self.tally(question), dict(self.marks.get(question.id, {})), ballots)


@dataclass(slots=True)
class _Write:
    statements: list[Statement]
    future: asyncio.Future[None]
    live: _LiveSession | None = None
    on_commit: Callable[[], None] | None = None
    touch: tuple[str, int, float] | None = None


class EmbeddedBackend(Backend):
    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.path = Path(data_dir) / "livepoll.sqlite3"
        self.url = f"sqlite:///{self.path}"
        self._db: sqlite3.Connection | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livepoll-sqlite")
        self._queue: asyncio.Queue[_Write] = asyncio.Queue(MAX_PENDING_WRITES)
        self._writer: asyncio.Task[None] | None = None
        self._live: dict[str, _LiveSession] = {}
        self._loading: dict[str, asyncio.Future[_LiveSession | None]] = {}
        self._deleting: set[str] = set()
        self._watched: set[str] = set()
        self._last_error: str | None = None
        self.commits = 0

    # Lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._db = await self._in_thread(open_database, self.path)
        self._writer = asyncio.create_task(self._write_loop(), name="livepoll-sqlite-writer")

    async def stop(self) -> None:
        if self._writer is not None:
            await self._queue.join()
            await cancel_and_wait(self._writer)
            self._writer = None
        if self._db is not None:
            await self._in_thread(self._db.close)
            self._db = None
        self._thread.shutdown(wait=True)

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise BackendUnavailable("the embedded store is not open")
        return self._db

    # Writer ----------------------------------------------------------------------------------------------

    async def _write(
        self,
        statements: list[Statement],
        live: _LiveSession | None = None,
        on_commit: Callable[[], None] | None = None,
        touch: tuple[str, int, float] | None = None,
    ) -> None:
        """Queue statements for the next transaction and wait until it has committed. `on_commit` moves the
        committed layer of `live`, right after the commit and before anyone is told."""
        if self._writer is None:
            raise BackendUnavailable("the embedded store is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        write = _Write(statements, future, live, on_commit, touch)
        try:
            self._queue.put_nowait(write)
        except asyncio.QueueFull:
            await self._queue.put(write)
        await future

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_commit = 0.0
        while True:
            batch = [await self._queue.get()]
            wait = last_commit + MIN_COMMIT_INTERVAL - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            last_commit = loop.time()
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit_batch(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit_batch(self, batch: list[_Write]) -> None:
        doomed = [w for w in batch if w.live is not None and w.live.dead]
        for write in doomed:
            _fail(write, "an earlier write of this session did not reach the disk")
        batch = [w for w in batch if not (w.live is not None and w.live.dead)]
        if not batch:
            return
        try:
            await self._in_thread(self._commit, batch)
        except Exception as exc:
            self._last_error = repr(exc)
            log.exception("SQLite commit of %d writes failed", len(batch))
            # Every session in memory may hold decisions built on what never reached the disk: drop them
            # (writes still queued for them fail too) and read them back from disk when next asked for.
            for live in self._live.values():
                live.dead = True
            self._live.clear()
            for write in batch:
                _fail(write, "the write did not reach the disk")
            return
        self._last_error = None
        self.commits += 1
        changed: dict[str, None] = {}
        for write in batch:
            if write.on_commit is not None:
                write.on_commit()
            if write.touch is not None:
                changed[write.touch[0]] = None
            if not write.future.done():
                write.future.set_result(None)
        for code in changed:
            self._notify(code)

    def _commit(self, batch: list[_Write]) -> None:
        db = self._conn()
        touched: dict[str, tuple[int, float]] = {}
        db.execute("BEGIN IMMEDIATE")
        try:
            # Runs of the same statement (a batch of ballots is hundreds of the same INSERT) go to SQLite as
            # one executemany, in order.
            run_sql: str | None = None
            run: list[Any] = []
            for write in batch:
                for sql, params in write.statements:
                    if sql != run_sql:
                        if run_sql is not None:
                            db.executemany(run_sql, run)
                        run_sql, run = sql, []
                    run.append(params)
                if write.touch is not None:
                    code, version, now = write.touch
                    touched[code] = (max(version, touched.get(code, (0, 0.0))[0]), now)
            if run_sql is not None:
                db.executemany(run_sql, run)
            db.executemany(
                "UPDATE sessions SET version = ?, last_active = ? WHERE code = ?",
                [(version, now, code) for code, (version, now) in touched.items()],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # Secrets ---------------------------------------------------------------------------------------------

    async def shared_secret(self, name: str, generate: Callable[[], str]) -> tuple[str, bool]:
        """Secrets are files in the data dir (mode 0600), where an operator looks for them."""
        path = self.path.parent / name

        def load_or_create() -> tuple[str, bool]:
            if path.exists():
                return path.read_text("utf-8").strip(), False
            value = generate()
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(value + "\n")
            return value, True

        return await self._in_thread(load_or_create)

    # Sessions --------------------------------------------------------------------------------------------

    async def create_session(self, session: Session) -> None:
        # OR IGNORE: a taken code must not fail the other writes that share its transaction.
        row = session_row(session, 1, time.time())
        await self._write([("INSERT OR IGNORE INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)])

        def stored_key() -> str | None:
            found = self._conn().execute("SELECT host_key_hash FROM sessions WHERE code = ?", (session.code,))
            hit = found.fetchone()
            return None if hit is None else str(hit["host_key_hash"])

        if await self._in_thread(stored_key) != session.host_key_hash:
            raise CodeTaken(session.code)
        self._live[session.code] = _LiveSession(session, 1, session, 1)

    async def _get_live(self, code: str) -> _LiveSession | None:
        if code in self._deleting:
            return None
        live = self._live.get(code)
        if live is not None:
            return live
        loading = self._loading.get(code)
        if loading is None:
            loading = asyncio.get_running_loop().create_future()
            self._loading[code] = loading
            try:
                loaded = await self._in_thread(self._load, code)
                if loaded is not None and code not in self._live:
                    self._live[code] = loaded
                loading.set_result(self._live.get(code))
            except BaseException as exc:
                loading.set_exception(exc)
                loading.exception()  # retrieved here so that an unawaited failure is not logged twice
                raise
            finally:
                del self._loading[code]
        return await asyncio.shield(loading)

    def _load(self, code: str) -> _LiveSession | None:
        db = self._conn()
        row = db.execute("SELECT * FROM sessions WHERE code = ?", (code,)).fetchone()
        if row is None:
            return None
        session = session_from_row(row)
        version = int(row["version"])
        live = _LiveSession(session, version, session, version)
        rows = db.execute(
            "SELECT question_id, voter, value, counts, cast_at FROM ballots WHERE code = ? ORDER BY cast_at", (code,)
        )
        for b in rows:
            stored = _Stored(b["value"], decode_counts(b["counts"]), b["cast_at"])
            live.commit_ballot(b["question_id"], b["voter"], stored, version)
        for m in db.execute("SELECT question_id, key, mark FROM marks WHERE code = ?", (code,)):
            live.marks.setdefault(m["question_id"], {})[m["key"]] = m["mark"]
        return live

    async def get_session(self, code: str) -> Session | None:
        live = await self._get_live(code)
        return None if live is None else live.shown

    async def list_sessions(self) -> list[Session]:
        def rows() -> list[Session]:
            cursor = self._conn().execute("SELECT * FROM sessions ORDER BY created_at DESC")
            return [session_from_row(row) for row in cursor]

        stored = await self._in_thread(rows)
        return [self._live[s.code].shown if s.code in self._live else s for s in stored]

    async def session_activity(self, sessions: Collection[Session]) -> dict[str, SessionActivity]:
        codes = [s.code for s in sessions]

        def rows() -> dict[str, float]:
            marks = ",".join("?" * len(codes))
            cursor = self._conn().execute(f"SELECT code, last_active FROM sessions WHERE code IN ({marks})", codes)
            return {row["code"]: float(row["last_active"]) for row in cursor}

        last = await self._in_thread(rows) if codes else {}
        found: dict[str, SessionActivity] = {}
        for session in sessions:
            if session.code not in last:
                continue
            live = self._live.get(session.code)
            ballots = 0 if live is None else sum(len(live.ballots.get(q.id, ())) for q in session.questions)
            if live is None:
                ballots = await self._in_thread(lambda code=session.code: self._count_ballots(code))
            found[session.code] = SessionActivity(last[session.code], 0 if live is None else live.presence, ballots)
        return found

    def _count_ballots(self, code: str) -> int:
        """Counted ballots on the session's questions (not its nicknames or Q&A channels, named `_...`)."""
        row = self._conn().execute(
            "SELECT COUNT(*) FROM ballots WHERE code = ? AND substr(question_id, 1, 1) != '_'", (code,)
        ).fetchone()
        return int(row[0])

    async def delete_session(self, code: str) -> bool:
        live = await self._get_live(code)
        if live is not None:
            live.dead = True  # nothing decided for it may be written after the delete
        self._live.pop(code, None)
        self._deleting.add(code)  # nor may it be loaded again from disk while the delete is under way
        try:
            await self._write(
                [
                ("DELETE FROM ballots WHERE code = ?", (code,)),
                ("DELETE FROM marks WHERE code = ?", (code,)),
                ("DELETE FROM sessions WHERE code = ?", (code,)),
            ]
            )
            # The WAL still holds the deleted pages: copy them back into the (zeroed) database and empty it.
            await self._in_thread(self._checkpoint)
        finally:
            self._deleting.discard(code)
        self._notify(code)
        return live is not None

    def _checkpoint(self) -> None:
        try:
            self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            log.warning("could not checkpoint the WAL after a delete", exc_info=True)

    async def change_session(self, code: str, decide: Decide) -> Session | None:
        live = await self._get_live(code)
        if live is None:
            return None
        # From here to the queueing of the write there is no await: the decision and its effect are one step.
        now = time.time()
        change = decide(live.session, now)
        for rule in change.requires:
            refusal = rule.refusal(live.decided_values(rule.question_id))
            if refusal is not None:
                raise refusal
        after = apply_change(live.session, change)
        if after == live.session and not change.clear and not change.marks:
            return after
        live.session = after
        live.version += 1
        version = live.version
        for question_id in change.clear:
            live.pending_resets[question_id] = live.pending_resets.get(question_id, 0) + 1
            for pending in [k for k in live.pending if k[0] == question_id]:
                del live.pending[pending]
        statements: list[Statement] = [
            (
                "UPDATE sessions SET state = ?, host_key_hash = ?, definition = ?, settings = ? WHERE code = ?",
                (state_json(after.state), after.host_key_hash, after.definition,
                 json.dumps(session_settings(after), ensure_ascii=False), code),
            )
        ]
        if change.edited is not None:
            statements.append(("UPDATE sessions SET title = ?, questions = ? WHERE code = ?",
                                (after.title, questions_json(after), code)))
        for question_id in change.clear:
            statements.append(("DELETE FROM ballots WHERE code = ? AND question_id = ?", (code, question_id)))
            statements.append(("DELETE FROM marks WHERE code = ? AND question_id = ?", (code, question_id)))
        for question_id, key, mark in change.marks:
            if mark is None:
                statements.append(
                    ("DELETE FROM marks WHERE code = ? AND question_id = ? AND key = ?", (code, question_id, key))
                )
            else:
                statements.append(("INSERT OR REPLACE INTO marks VALUES (?, ?, ?, ?)", (code, question_id, key, mark)))
        await self._write(
            statements, live, lambda: live.commit_change(after, change.clear, change.marks, version),
            (code, version, now),
        )
        return after

    # Ballots ---------------------------------------------------------------------------------------------

    async def cast_ballot(
        self, code: str, question: Question, ballot: Ballot, definition: int | None, gate: str = QUESTION_GATE
    ) -> BallotOutcome:
        live = await self._get_live(code)
        if live is None:
            return BallotOutcome.NO_SESSION
        # From here to the queueing of the write there is no await: the checks and the effect are atomic.
        previous = live.decided_ballot(question.id, ballot.voter)
        if previous is not None and previous.value == ballot.value:
            # An identical resend (maybe after a lost ack): acknowledge it once the original is durable.
            if (question.id, ballot.voter) in live.pending:
                await self._write([], live)
            return BallotOutcome.UNCHANGED
        session = live.session
        if definition is not None and session.definition != definition:
            return BallotOutcome.STALE
        refusal = _gate_refusal(session, question.id, gate, time.time())
        if refusal is not None:
            return refusal
        if not ballot.fits(None if previous is None else previous.value):
            return BallotOutcome.CONFLICT
        if previous is not None and not question.allow_change:
            return BallotOutcome.CHANGE_NOT_ALLOWED
        stored = _Stored(ballot.value, ballot.counts, ballot.cast_at)
        live.pending[(question.id, ballot.voter)] = stored
        live.version += 1
        version = live.version
        row = (code, question.id, ballot.voter, ballot.value, encode_counts(ballot.counts), ballot.cast_at)
        await self._write(
            [("INSERT OR REPLACE INTO ballots VALUES (?, ?, ?, ?, ?, ?)", row)],
            live,
            lambda: live.commit_ballot(question.id, ballot.voter, stored, version),
            (code, version, ballot.cast_at),
        )
        return BallotOutcome.ACCEPTED

    async def own_ballots(self, code: str, question_id: str, voters: Collection[str]) -> dict[str, StoredBallot]:
        live = await self._get_live(code)
        if live is None:
            return {}
        stored = live.ballots.get(question_id, {})
        return {v: StoredBallot(found.value, found.cast_at) for v in voters if (found := stored.get(v)) is not None}

    async def question_data(self, code: str, wanted: Mapping[str, bool]) -> dict[str, QuestionData]:
        live = await self._get_live(code)
        if live is None:
            return {}
        session = live.shown
        return {qid: live.data(session.question(qid) or channel(qid), wanted[qid]) for qid in wanted}

    async def responses(self, code: str) -> list[Response]:
        live = await self._get_live(code)
        if live is None:
            return []
        rows = [
            Response(question_id, voter, stored.value, stored.cast_at)
            for question_id, ballots in live.ballots.items()
            for voter, stored in ballots.items()
        ]
        rows.sort(key=lambda r: (r.answered_at, r.question_id, r.voter))
        return rows

    async def expire_sessions(self, inactive_since: float) -> int:
        def stale() -> list[str]:
            cursor = self._conn().execute("SELECT code FROM sessions WHERE last_active < ?", (inactive_since,))
            return [row["code"] for row in cursor]

        codes = await self._in_thread(stale)
        for code in codes:
            await self.delete_session(code)
        return len(codes)

    # Live ------------------------------------------------------------------------------------------------

    async def snapshot(self, code: str) -> Snapshot | None:
        live = await self._get_live(code)
        if live is None:
            return None
        session = live.shown
        question = session.current_question
        return Snapshot(
            code=code,
            epoch=session.epoch,
            seq=live.seq,
            state=session.state,
            question=question,
            data=None if question is None else live.data(question, lists_ballots(question)),
            participants=live.presence,
            host_key_hash=session.host_key_hash,
            now=time.time(),
            qa=session.qa,
            qa_versions=tuple(live.counts.get(c, {}).get(VERSION, 0) for c in (ASKED, UPVOTES)) if session.qa.enabled
            else (),
            session=session,
        )

    async def watch(self, code: str) -> None:
        self._watched.add(code)

    async def unwatch(self, code: str) -> None:
        self._watched.discard(code)

    async def report_presence(self, code: str, participants: int) -> None:
        live = self._live.get(code)
        if live is not None and live.presence != participants:
            live.presence = participants
            self._notify(code)

    def _notify(self, code: str) -> None:
        if code in self._watched:
            self.on_change(code)

    def health(self) -> BackendHealth:
        ready = self._db is not None and self._writer is not None and not self._writer.done()
        return BackendHealth(
            ready=ready and self._last_error is None,
            detail={
                "backend": "embedded",
                "path": str(self.path),
                "pending_writes": self._queue.qsize(),
                "commits": self.commits,
                "last_error": self._last_error,
            },
        )

    # Guess budgets (one process: in memory) --------------------------------------------------------------

    _guesses: GuessBuckets | None = None

    async def spend_guess_budget(self, budget: GuessBudget, address_key: str, misses: int) -> float:
        if self._guesses is None:
            self._guesses = GuessBuckets()
        return self._guesses.spend(budget, address_key, misses, time.monotonic())


def _gate_refusal(session: Session, question_id: str, gate: str, now: float) -> BallotOutcome | None:
    """Why a ballot may not count now (see base.QUESTION_GATE), or None."""
    state = session.state
    if gate == ALWAYS_OPEN:
        return None
    if gate not in (QUESTION_GATE, SESSION_GATE):
        return None if getattr(state, gate, False) else BallotOutcome.VOTING_CLOSED
    if gate == QUESTION_GATE and state.current != question_id:
        return BallotOutcome.NOT_CURRENT
    if not state.open_at(now):
        return BallotOutcome.VOTING_CLOSED
    return None


def _fail(write: _Write, message: str) -> None:
    if not write.future.done():
        write.future.set_exception(BackendUnavailable(message))

