"""The embedded store's promises that only it can break: screens move only after a commit, a failed commit
takes back nothing that was shown, deleted sessions leave the data directory, files are private, and a
database written by livepoll 0.1 opens with its ballots counted.

Faults are real: another connection holds SQLite's write lock (as a backup tool or a second process would),
so the store's commit fails after its busy timeout."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import stat
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from support.stores import tallies

from livepoll.backends.base import BackendUnavailable
from livepoll.backends.embedded import EmbeddedBackend
from livepoll.kinds import choices_answer, make_question
from livepoll.model import Ballot, BallotOutcome, Change, LiveState, Session, Snapshot, hash_host_key, new_join_code
from livepoll.questions import Question


def poll() -> Session:
    question = make_question(1, "Z kim współpracujemy przy migracji?", ["miasto", "NGO", "szkoły"], None, None)
    return Session(new_join_code(), "Sekretny tytuł Żółw-42", hash_host_key("k"), (question,),
                   LiveState(current=question.id), time.time())


def ballot(question: Question, voter: str, choice: str) -> Ballot:
    return Ballot.of(question.id, voter, choices_answer(question, [choice]), time.time())


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedBackend]:
    backend = EmbeddedBackend(tmp_path / "data")
    await backend.start()
    try:
        yield backend
    finally:
        await backend.stop()


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Another connection holding the database's write lock until the block ends."""
    other = sqlite3.connect(path, isolation_level=None, timeout=1)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_screens_never_show_a_ballot_whose_commit_failed(store: EmbeddedBackend) -> None:
    """While the commit of new ballots waits for a lock and then fails, every snapshot shows only what was
    committed before: the same voters and a seq that never goes back. The failed ballots are refused as
    unavailable (never acknowledged); later ballots are counted and the seq grows past the old one."""
    session = poll()
    question = session.questions[0]
    await store.create_session(session)
    assert await store.cast_ballot(session.code, question, ballot(question, "ala", "o1"), 1) is BallotOutcome.ACCEPTED
    before = await store.snapshot(session.code)
    assert before is not None and before.tally is not None and before.tally.voters == 1

    seen: list[Snapshot] = []
    with write_lock(store.path):
        casts = [
            asyncio.create_task(store.cast_ballot(session.code, question, ballot(question, f"v{n}", "o2"), 1))
            for n in range(20)
        ]
        # The store now holds the 20 decisions in memory while its commit waits for the lock: look at what
        # a screen would see until they are refused.
        while not all(task.done() for task in casts):
            snap = await store.snapshot(session.code)
            assert snap is not None
            seen.append(snap)
            await asyncio.sleep(0.05)
        results = await asyncio.gather(*casts, return_exceptions=True)
    assert all(isinstance(r, BackendUnavailable) for r in results), results
    assert len(seen) > 5  # the screens were really looked at during the wait
    assert {(s.tally.voters if s.tally else -1) for s in seen} == {1}
    assert all(s.seq == before.seq for s in seen)

    assert await store.cast_ballot(session.code, question, ballot(question, "ola", "o3"), 1) is BallotOutcome.ACCEPTED
    after = await store.snapshot(session.code)
    assert after is not None and after.tally is not None
    assert after.epoch == before.epoch and after.seq > before.seq
    assert (after.tally.voters, dict(after.tally.votes)) == (2, {"o1": 1, "o2": 0, "o3": 1})
    assert sorted(r.voter for r in await store.responses(session.code)) == ["ala", "ola"]


async def test_a_control_whose_commit_failed_is_never_shown(store: EmbeddedBackend) -> None:
    """Closing voting while the disk refuses the write: screens keep saying open, the host gets an
    error, and the session is as it was."""
    session = poll()
    await store.create_session(session)
    with write_lock(store.path):
        closing = asyncio.create_task(
            store.change_session(
                session.code, lambda s, now: Change(LiveState(current=s.state.current, voting_open=False))
            )
        )
        while not closing.done():
            snap = await store.snapshot(session.code)
            assert snap is not None and snap.state.voting_open
            await asyncio.sleep(0.05)
        with pytest.raises(BackendUnavailable):
            await closing
    stored = await store.get_session(session.code)
    assert stored is not None and stored.state.voting_open


def _files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.is_file()]


async def test_a_deleted_session_leaves_no_trace_in_the_data_directory(store: EmbeddedBackend) -> None:
    """After delete, neither the database, its WAL nor any other file of the data directory holds the
    session's title, question, options or a voter's pseudonym (P4)."""
    session = poll()
    question = session.questions[0]
    await store.create_session(session)
    for n in range(50):
        await store.cast_ballot(session.code, question, ballot(question, f"pseudonym{n:03}xyz", "o2"), 1)
    secrets = [session.title, question.text, "szkoły", "pseudonym007xyz", session.code]
    before = b"".join(p.read_bytes() for p in _files(store.path.parent))
    assert all(s.encode() in before for s in secrets)  # the search below can find them

    assert await store.delete_session(session.code) is True
    for path in _files(store.path.parent):
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret!r} is still in {path.name}"


async def test_the_data_directory_and_its_files_are_private(store: EmbeddedBackend) -> None:
    """The data directory is 0700 and every file in it (database, WAL, secrets) 0600."""
    await store.create_session(poll())
    await store.shared_secret("cookie_secret", lambda: "s")
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    files = _files(store.path.parent)
    assert {p.name for p in files} >= {"livepoll.sqlite3", "livepoll.sqlite3-wal", "cookie_secret"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


async def test_a_database_of_livepoll_0_1_opens_with_its_ballots_counted(tmp_path: Path) -> None:
    """Ballots stored by 0.1 (comma-joined option ids) are counted, can be changed and resent after the
    upgrade; nothing is lost."""
    data = tmp_path / "data"
    data.mkdir()
    session = poll()
    question = session.questions[0]
    old = sqlite3.connect(data / "livepoll.sqlite3", isolation_level=None)
    old.executescript("""
        CREATE TABLE sessions (code TEXT PRIMARY KEY, title TEXT NOT NULL, host_key_hash TEXT NOT NULL,
            questions TEXT NOT NULL, state TEXT NOT NULL, epoch TEXT NOT NULL, version INTEGER NOT NULL,
            created_at REAL NOT NULL, last_active REAL NOT NULL);
        CREATE TABLE ballots (code TEXT NOT NULL, question_id TEXT NOT NULL, voter TEXT NOT NULL,
            choices TEXT NOT NULL, cast_at REAL NOT NULL, PRIMARY KEY (code, question_id, voter)) WITHOUT ROWID;
    """)
    old.execute(
        "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session.code, session.title, session.host_key_hash, json.dumps([question.to_record()]),
         json.dumps({"current": "q1", "voting_open": True, "results_visible": True, "results_on_phones": False,
                     "resets": 0}), "e0", 7, session.created_at, session.created_at),
    )
    old.executemany("INSERT INTO ballots VALUES (?, ?, ?, ?, ?)",
                    [(session.code, "q1", "ala", "o1", 1000.0), (session.code, "q1", "ola", "o3", 1001.0)])
    old.close()

    backend = EmbeddedBackend(data)
    await backend.start()
    try:
        tally = (await tallies(backend, session.code))[question.id]
        assert (tally.voters, dict(tally.votes)) == (2, {"o1": 1, "o2": 0, "o3": 1})
        assert await backend.cast_ballot(session.code, question, ballot(question, "ala", "o1"), 1) is (
            BallotOutcome.UNCHANGED
        )
        assert await backend.cast_ballot(session.code, question, ballot(question, "ola", "o2"), 1) is (
            BallotOutcome.ACCEPTED
        )
        tally = (await tallies(backend, session.code))[question.id]
        assert (tally.voters, dict(tally.votes)) == (2, {"o1": 1, "o2": 1, "o3": 0})
        responses = await backend.responses(session.code)
        assert (responses[0].voter, responses[0].choices, responses[0].answered_at) == ("ala", ("o1",), 1000.0)
    finally:
        await backend.stop()
