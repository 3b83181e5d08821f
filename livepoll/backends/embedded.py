"""The embedded default: one process, SQLite (WAL) on local disk, change notices delivered in-process.

Live state is held in memory and decided on the event loop, so a ballot's checks and its effect are one
atomic step with respect to `close` and `goto`. Writes go through one writer that commits everything
queued since its last commit in one transaction (group commit: one fsync for many ballots); a ballot is
acknowledged when the transaction that holds it has committed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from livepoll.backends.base import Backend, BackendHealth, BackendUnavailable, CodeTaken
from livepoll.backends.guesses import GuessBuckets, GuessBudget
from livepoll.model import (
    Ballot,
    BallotOutcome,
    LiveState,
    Question,
    Response,
    Session,
    Snapshot,
    Tally,
)
from livepoll.tasks import cancel_and_wait

log = logging.getLogger("livepoll.embedded")

T = TypeVar("T")
Statement = tuple[str, tuple[Any, ...]]

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    host_key_hash TEXT NOT NULL,
    questions TEXT NOT NULL,
    state TEXT NOT NULL,
    epoch TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at REAL NOT NULL,
    last_active REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS ballots (
    code TEXT NOT NULL,
    question_id TEXT NOT NULL,
    voter TEXT NOT NULL,
    choices TEXT NOT NULL,
    cast_at REAL NOT NULL,
    PRIMARY KEY (code, question_id, voter)
) WITHOUT ROWID;
"""

# How many queued writes one transaction takes at most; bounds the latency of the batch behind it.
MAX_BATCH = 5000
# Writes waiting for the writer; past this, callers wait (backpressure) instead of the queue growing.
MAX_PENDING_WRITES = 20000
# A commit (with its fsync) costs ~350 µs of CPU whatever it carries. Starting commits at most this often
# makes ballots that arrive spread out share one (at 1,000 ballots/s: ~4 per commit instead of ~1.5), for
# at most this much added latency; a lone ballot after a quiet spell is committed at once.
MIN_COMMIT_INTERVAL = 0.004
CHOICE_SEPARATOR = ","


@dataclass(slots=True)
class _Write:
    statements: list[Statement]
    future: asyncio.Future[None]
    touch: tuple[str, int, float] | None = None


@dataclass(slots=True)
class _LiveSession:
    session: Session
    version: int
    ballots: dict[str, dict[str, tuple[tuple[str, ...], float]]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    presence: int = 0

    def tally(self, question: Question) -> Tally:
        counts = self.counts.get(question.id)
        if counts is None:
            return Tally.empty(question)
        return Tally(question.id, dict(counts), len(self.ballots.get(question.id, ())))


def _session_row(session: Session, version: int, now: float) -> tuple[Any, ...]:
    return (
        session.code,
        session.title,
        session.host_key_hash,
        json.dumps([q.to_record() for q in session.questions], ensure_ascii=False),
        _state_json(session.state),
        session.epoch,
        version,
        session.created_at,
        now,
    )


def _state_json(state: LiveState) -> str:
    return json.dumps(
        {
            "current": state.current,
            "voting_open": state.voting_open,
            "results_visible": state.results_visible,
            "results_on_phones": state.results_on_phones,
            "resets": state.resets,
        }
    )


def _session_from_row(row: sqlite3.Row) -> Session:
    state = json.loads(row["state"])
    return Session(
        code=row["code"],
        title=row["title"],
        host_key_hash=row["host_key_hash"],
        questions=tuple(Question.from_record(q) for q in json.loads(row["questions"])),
        state=LiveState(**state),
        created_at=row["created_at"],
        epoch=row["epoch"],
    )


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
        self._watched: set[str] = set()
        self._last_error: str | None = None
        self.commits = 0

    # Lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await self._in_thread(self._open)
        self._writer = asyncio.create_task(self._write_loop(), name="livepoll-sqlite-writer")

    def _open(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed ballot survives power loss, not only a process crash; group commit pays for it.
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(SCHEMA)
        self._db = db

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

    async def _write(self, statements: list[Statement], touch: tuple[str, int, float] | None = None) -> None:
        """Queue statements for the next transaction and wait until it has committed."""
        if self._writer is None:
            raise BackendUnavailable("the embedded store is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Write(statements, future, touch))
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
                await self._in_thread(self._commit, batch)
            except Exception as exc:
                self._last_error = repr(exc)
                log.exception("SQLite commit of %d writes failed", len(batch))
                # The in-memory state may hold effects that never reached disk: reload from disk.
                self._live.clear()
                for write in batch:
                    if not write.future.done():
                        write.future.set_exception(BackendUnavailable("the write did not reach the disk"))
            else:
                self._last_error = None
                self.commits += 1
                for write in batch:
                    if not write.future.done():
                        write.future.set_result(None)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _commit(self, batch: list[_Write]) -> None:
        db = self._conn()
        touched: dict[str, tuple[int, float]] = {}
        db.execute("BEGIN IMMEDIATE")
        try:
            for write in batch:
                for sql, params in write.statements:
                    db.execute(sql, params)
                if write.touch is not None:
                    code, version, now = write.touch
                    touched[code] = (max(version, touched.get(code, (0, 0.0))[0]), now)
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
        row = _session_row(session, 1, time.time())
        await self._write([("INSERT OR IGNORE INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)])

        def stored_key() -> str | None:
            found = self._conn().execute("SELECT host_key_hash FROM sessions WHERE code = ?", (session.code,))
            hit = found.fetchone()
            return None if hit is None else str(hit["host_key_hash"])

        if await self._in_thread(stored_key) != session.host_key_hash:
            raise CodeTaken(session.code)
        self._live[session.code] = _LiveSession(session, 1)

    async def _get_live(self, code: str) -> _LiveSession | None:
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
        live = _LiveSession(_session_from_row(row), int(row["version"]))
        for question in live.session.questions:
            live.counts[question.id] = {o.id: 0 for o in question.options}
            live.ballots[question.id] = {}
        for b in db.execute("SELECT question_id, voter, choices, cast_at FROM ballots WHERE code = ?", (code,)):
            choices = tuple(b["choices"].split(CHOICE_SEPARATOR))
            _add_ballot(live, b["question_id"], b["voter"], choices, b["cast_at"])
        return live

    async def get_session(self, code: str) -> Session | None:
        live = await self._get_live(code)
        return None if live is None else live.session

    async def list_sessions(self) -> list[Session]:
        def rows() -> list[Session]:
            cursor = self._conn().execute("SELECT * FROM sessions ORDER BY created_at DESC")
            return [_session_from_row(row) for row in cursor]

        stored = await self._in_thread(rows)
        return [self._live[s.code].session if s.code in self._live else s for s in stored]

    async def delete_session(self, code: str) -> bool:
        existed = await self._get_live(code) is not None
        await self._write(
            [("DELETE FROM ballots WHERE code = ?", (code,)), ("DELETE FROM sessions WHERE code = ?", (code,))]
        )
        self._live.pop(code, None)
        self._notify(code)
        return existed

    async def set_state(self, code: str, state: LiveState) -> bool:
        live = await self._get_live(code)
        if live is None:
            return False
        live.session = replace(live.session, state=state)
        live.version += 1
        await self._write(
            [("UPDATE sessions SET state = ? WHERE code = ?", (_state_json(state), code))],
            (code, live.version, time.time()),
        )
        self._notify(code)
        return True

    async def reset_question(self, code: str, question_id: str) -> None:
        live = await self._get_live(code)
        if live is None:
            return
        question = live.session.question(question_id)
        if question is None:
            return
        live.ballots[question_id] = {}
        live.counts[question_id] = {o.id: 0 for o in question.options}
        live.version += 1
        await self._write(
            [("DELETE FROM ballots WHERE code = ? AND question_id = ?", (code, question_id))],
            (code, live.version, time.time()),
        )
        self._notify(code)

    # Ballots ---------------------------------------------------------------------------------------------

    async def cast_ballot(self, code: str, question: Question, ballot: Ballot) -> BallotOutcome:
        live = await self._get_live(code)
        if live is None:
            return BallotOutcome.NO_SESSION
        # From here to the queueing of the write there is no await: the checks and the effect are atomic.
        state = live.session.state
        if state.current != question.id:
            return BallotOutcome.NOT_CURRENT
        if not state.voting_open:
            return BallotOutcome.VOTING_CLOSED
        previous = live.ballots.setdefault(question.id, {}).get(ballot.voter)
        if previous is not None and previous[0] == ballot.choices:
            # Identical re-send: acknowledge once the write that stored the original is durable.
            await self._write([])
            return BallotOutcome.UNCHANGED
        if previous is not None and not question.allow_change:
            return BallotOutcome.CHANGE_NOT_ALLOWED
        counts = live.counts.setdefault(question.id, {o.id: 0 for o in question.options})
        if previous is not None:
            for choice in previous[0]:
                counts[choice] -= 1
        _add_ballot(live, question.id, ballot.voter, ballot.choices, ballot.cast_at)
        live.version += 1
        await self._write(
            [
                (
                    "INSERT OR REPLACE INTO ballots VALUES (?, ?, ?, ?, ?)",
                    (code, question.id, ballot.voter, CHOICE_SEPARATOR.join(ballot.choices), ballot.cast_at),
                )
            ],
            (code, live.version, ballot.cast_at),
        )
        self._notify(code)
        return BallotOutcome.ACCEPTED

    async def tallies(self, code: str) -> dict[str, Tally]:
        live = await self._get_live(code)
        if live is None:
            return {}
        return {q.id: live.tally(q) for q in live.session.questions}

    async def responses(self, code: str) -> list[Response]:
        live = await self._get_live(code)
        if live is None:
            return []
        rows = [
            Response(question_id, voter, choices, cast_at)
            for question_id, ballots in live.ballots.items()
            for voter, (choices, cast_at) in ballots.items()
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
        session = live.session
        question = session.current_question
        return Snapshot(
            code=code,
            epoch=session.epoch,
            seq=live.version,
            state=session.state,
            question=question,
            tally=None if question is None else live.tally(question),
            participants=live.presence,
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


def _add_ballot(live: _LiveSession, question_id: str, voter: str, choices: Iterable[str], cast_at: float) -> None:
    choices = tuple(choices)
    live.ballots.setdefault(question_id, {})[voter] = (choices, cast_at)
    counts = live.counts.setdefault(question_id, {})
    for choice in choices:
        counts[choice] = counts.get(choice, 0) + 1
