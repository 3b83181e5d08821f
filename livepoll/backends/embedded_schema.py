"""The embedded backend's SQLite file: opening it privately, its schema and migrations, and its rows."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from livepoll.backends.records import encode_counts
from livepoll.model import LiveState, Session, ballot_value
from livepoll.questions import Question

SCHEMA_VERSION = 1
BALLOTS_TABLE = """
CREATE TABLE IF NOT EXISTS ballots (
    code TEXT NOT NULL,
    question_id TEXT NOT NULL,
    voter TEXT NOT NULL,
    value TEXT NOT NULL,
    counts TEXT NOT NULL,
    cast_at REAL NOT NULL,
    PRIMARY KEY (code, question_id, voter)
) WITHOUT ROWID"""
MARKS_TABLE = """
CREATE TABLE IF NOT EXISTS marks (
    code TEXT NOT NULL,
    question_id TEXT NOT NULL,
    key TEXT NOT NULL,
    mark TEXT NOT NULL,
    PRIMARY KEY (code, question_id, key)
) WITHOUT ROWID"""
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS sessions (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    host_key_hash TEXT NOT NULL,
    questions TEXT NOT NULL,
    state TEXT NOT NULL,
    epoch TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at REAL NOT NULL,
    last_active REAL NOT NULL,
    definition INTEGER NOT NULL DEFAULT 1,
    settings TEXT NOT NULL DEFAULT '{{}}'
);
{BALLOTS_TABLE};
{MARKS_TABLE};
"""


def open_database(path: Path) -> sqlite3.Connection:
    """Open (or create) the database, readable by the server's user only, at the current schema."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    # Create the file 0600 before SQLite does: its WAL and shared-memory files take the same mode.
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed ballot survives power loss, not only a process crash; group commit pays for it.
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=5000")
    # Deleted rows are overwritten with zeros, so a deleted session's texts do not stay in free pages.
    db.execute("PRAGMA secure_delete=ON")
    _migrate(db)
    return db


def _migrate(db: sqlite3.Connection) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    columns = {row["name"] for row in db.execute("PRAGMA table_info(ballots)")}
    if version == 0 and "choices" in columns:
        _migrate_from_choices(db)
    db.executescript(SCHEMA)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _migrate_from_choices(db: sqlite3.Connection) -> None:
    """Version 0 stored choice ballots as comma-joined option ids: store them as values with counts."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("ALTER TABLE sessions ADD COLUMN definition INTEGER NOT NULL DEFAULT 1")
        db.execute("ALTER TABLE sessions ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'")
        db.execute("ALTER TABLE ballots RENAME TO ballots_v0")
        db.execute(BALLOTS_TABLE)
        rows = db.execute("SELECT code, question_id, voter, choices, cast_at FROM ballots_v0").fetchall()
        converted = []
        for row in rows:
            choices = [c for c in str(row["choices"]).split(",") if c]
            value = ballot_value({"choices": choices})
            counts = encode_counts((c, 1) for c in choices)
            converted.append((row["code"], row["question_id"], row["voter"], value, counts, row["cast_at"]))
        db.executemany("INSERT INTO ballots VALUES (?, ?, ?, ?, ?, ?)", converted)
        db.execute("DROP TABLE ballots_v0")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def session_row(session: Session, version: int, now: float) -> tuple[Any, ...]:
    return (
        session.code,
        session.title,
        session.host_key_hash,
        questions_json(session),
        state_json(session.state),
        session.epoch,
        version,
        session.created_at,
        now,
        session.definition,
        json.dumps(session_settings(session), ensure_ascii=False),
    )


def questions_json(session: Session) -> str:
    return json.dumps([q.to_record() for q in session.questions], ensure_ascii=False)


def session_settings(session: Session) -> dict[str, object]:
    """What a session has besides its title and questions (languages, mode, Q&A), as stored."""
    return session.settings_record()


def state_json(state: LiveState) -> str:
    return json.dumps(dataclasses.asdict(state))


def state_from_json(text: str) -> LiveState:
    fields = json.loads(text)
    fields["revealed"] = tuple(fields.get("revealed", ()))
    fields["opened"] = tuple((qid, at) for qid, at in fields.get("opened", ()))
    return LiveState(**fields)


def session_from_row(row: sqlite3.Row) -> Session:
    settings = Session.settings_from(json.loads(row["settings"]))
    return Session(
        code=row["code"],
        title=row["title"],
        host_key_hash=row["host_key_hash"],
        questions=tuple(Question.from_record(q, settings["default_language"]) for q in json.loads(row["questions"])),
        state=state_from_json(row["state"]),
        created_at=row["created_at"],
        epoch=row["epoch"],
        definition=int(row["definition"]),
        **settings,
    )
