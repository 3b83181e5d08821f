"""How the Redis backend lays a session out in Redis: key names, record formats, Lua scripts, pipeline steps.

Every key of a session carries its join code as a Cluster hash tag, so each script touches one slot:

    {p}:{CODE}:session        string: the definition (title, host key hash, created_at, questions,
                              definition version) as JSON
    {p}:{CODE}:state          hash: the live state (current, open, visible, phones, resets), epoch, seq (the
                              version screens see), cv (control version), dv (definition version), active, lost
    {p}:{CODE}:ballots:{Q}    hash: voter -> value RS counts RS cast_at (see model.Answer, records.py)
    {p}:{CODE}:tally:{Q}      hash: count key -> sum
    {p}:{CODE}:first:{Q}      hash: count key starting with `~` -> when it first appeared (model.FIRST_SEEN)
    {p}:{CODE}:marks:{Q}      hash: word key or entry id -> the host's mark (hidden, visible)
    {p}:{CODE}:presence       hash: process id -> "participants reported_at"
    {p}:{CODE}:gone           tombstone of a deleted session, so that no process rebuilds it
    {p}:{CODE}:notices        pub/sub channel: "changed" notices carrying the new version
    {p}:sessions              sorted set: code -> last activity (the index for listing and expiry)
    {p}:secret:{NAME}         string: a secret all processes share
    {p}:guesses:{BUDGET}:{H}  hash: one address's guess budget (level, at, till); H is a keyed hash of the
                              address; expires when the budget is full again (redis_guesses.lua)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from livepoll.backends.records import COUNT_SEPARATOR, encode_counts
from livepoll.model import (
    Ballot,
    LiveState,
    QuestionData,
    Response,
    Session,
    StoredBallot,
    Tally,
    ballot_value,
)
from livepoll.questions import SESSION_CHANNELS, Question

# A stored ballot is `value RS counts RS cast_at`; values are JSON, whose text never holds a raw control
# character, and counts hold none but their own separator.
RECORD_SEPARATOR = "\x1e"

# One command of a pipeline: a function that adds it to the pipeline, and its arguments.
Step = tuple[Callable[..., None], tuple[Any, ...]]


class Script:
    """A Lua script (`backends/redis_<name>.lua`) run by SHA, loaded again when Redis answers NOSCRIPT."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.source = resources.files("livepoll.backends").joinpath(f"redis_{name}.lua").read_text("utf-8")
        self.sha = ""

    async def load(self, client: Redis) -> None:
        self.sha = str(await client.script_load(self.source))

    async def run(self, client: Redis, keys: Sequence[str], arguments: Sequence[object]) -> Any:
        args = [a if isinstance(a, str | int | float) else str(a) for a in arguments]
        if not self.sha:
            await self.load(client)
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            # NOSCRIPT means the script did not run (Redis restarted), so running it again cannot apply it
            # twice.
            await self.load(client)
            return await client.evalsha(self.sha, len(keys), *keys, *args)


class SessionKeys:
    def __init__(self, prefix: str, code: str) -> None:
        base = f"{prefix}:{{{code}}}"
        self.definition = f"{base}:session"
        self.state = f"{base}:state"
        self.presence = f"{base}:presence"
        self.tombstone = f"{base}:gone"
        self.notices = f"{base}:notices"
        self._base = base

    def ballots(self, question_id: str) -> str:
        return f"{self._base}:ballots:{question_id}"

    def tally(self, question_id: str) -> str:
        return f"{self._base}:tally:{question_id}"

    def first_seen(self, question_id: str) -> str:
        return f"{self._base}:first:{question_id}"

    def marks(self, question_id: str) -> str:
        return f"{self._base}:marks:{question_id}"

    def per_session(self, question_ids: Iterable[str]) -> list[str]:
        """The per-question keys of these questions and of every session-wide channel (nicknames, Q&A)."""
        return self.per_question([*question_ids, *SESSION_CHANNELS])

    def per_question(self, question_ids: Iterable[str]) -> list[str]:
        return [
            key
            for q in question_ids
            for key in (self.ballots(q), self.tally(q), self.first_seen(q), self.marks(q))
        ]


def valid_code(code: str) -> bool:
    # The code goes inside a hash tag: braces or separators in it would change the key layout.
    return 0 < len(code) <= 32 and code.isascii() and code.isalnum()


def redacted_url(url: str) -> str:
    """The URL without its password, for logs and health details (any form of redis_clients.py)."""
    scheme, separator, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    path = re.sub(r"(sentinel_password=)[^&#]*", r"\1***", path)
    if not separator or not at or ":" not in userinfo:
        return f"{scheme}{separator}{netloc}{slash}{path}"
    user = userinfo.partition(":")[0]
    return f"{scheme}://{user}:***@{hosts}{slash}{path}"


# Records -------------------------------------------------------------------------------------------------


def flag(value: bool) -> str:
    return "1" if value else "0"


def _time(value: float | None) -> str:
    return "" if value is None else repr(value)


def state_fields(session: Session) -> list[str]:
    """The live state (and definition version) as field, value pairs of the state hash."""
    state = session.state
    return [
        "current", state.current or "",
        "open", flag(state.voting_open),
        "visible", flag(state.results_visible),
        "phones", flag(state.results_on_phones),
        "resets", str(state.resets),
        "deadline", _time(state.deadline),
        "opened", ",".join(f"{qid}={at!r}" for qid, at in state.opened),
        "revealed", ",".join(state.revealed),
        "board", flag(state.leaderboard),
        "qa_open", flag(state.qa_open),
        "qa_visible", flag(state.qa_visible),
        "clean", flag(state.clean_screen),
        "qa_pinned", state.qa_pinned or "",
        "dv", str(session.definition),
    ]


def live_state(fields: dict[str, str]) -> LiveState:
    deadline, opened, revealed = fields.get("deadline"), fields.get("opened"), fields.get("revealed")
    return LiveState(
        current=fields.get("current") or None,
        voting_open=fields.get("open") == "1",
        results_visible=fields.get("visible") == "1",
        results_on_phones=fields.get("phones") == "1",
        resets=int(fields.get("resets") or 0),
        deadline=float(deadline) if deadline else None,
        opened=tuple((qid, float(at)) for qid, _, at in (p.partition("=") for p in opened.split(","))) if opened
        else (),
        revealed=tuple(revealed.split(",")) if revealed else (),
        leaderboard=fields.get("board") == "1",
        qa_open=fields.get("qa_open", "1") == "1",
        qa_visible=fields.get("qa_visible") == "1",
        clean_screen=fields.get("clean") == "1",
        qa_pinned=fields.get("qa_pinned") or None,
    )


def definition_version(fields: dict[str, str]) -> int:
    return int(fields.get("dv") or 1)


def definition_json(session: Session) -> str:
    return json.dumps(
        {
            "title": session.title,
            "host_key_hash": session.host_key_hash,
            "created_at": session.created_at,
            "definition": session.definition,
            **session.settings_record(),
            "questions": [q.to_record() for q in session.questions],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def question_ids(definition: str) -> list[str]:
    return [str(q["id"]) for q in json.loads(definition)["questions"]]


def session_from(code: str, definition: str, state: dict[str, str]) -> Session:
    record = json.loads(definition)
    settings = Session.settings_from(record)
    return Session(
        code=code,
        title=str(record["title"]),
        host_key_hash=str(record["host_key_hash"]),
        questions=tuple(Question.from_record(q, settings["default_language"]) for q in record["questions"]),
        state=live_state(state),
        created_at=float(record["created_at"]),
        epoch=state.get("epoch") or "",
        definition=int(record.get("definition", 1)),
        **settings,
    )


def ballot_args(ballot: Ballot) -> list[str]:
    """A ballot as the ballot script takes it: voter, value, counts, cast_at, expected stored value."""
    expected = "" if not ballot.conditional else "-" if ballot.built_on is None else "=" + ballot.built_on
    return [ballot.voter, ballot.value, encode_counts(ballot.counts), repr(ballot.cast_at), expected]


def ballot_record(record: str) -> tuple[str, float]:
    """A stored ballot's value and time. Ballots stored by livepoll 0.1 were option ids joined by US,
    without a time (0.0)."""
    value, separator, rest = record.partition(RECORD_SEPARATOR)
    if not separator:
        return ballot_value({"choices": record.split(COUNT_SEPARATOR)}), 0.0
    return value, float(rest.rpartition(RECORD_SEPARATOR)[2] or 0.0)


def responses_from(question_id: str, ballots: dict[str, str]) -> list[Response]:
    return [Response(question_id, voter, *ballot_record(record)) for voter, record in ballots.items()]


def data_steps(keys: SessionKeys, question_id: str, with_ballots: bool) -> list[Step]:
    """The reads of one question's data (tally, voters, first-seen order, marks, and maybe its ballots)."""
    steps: list[Step] = [
        (hgetall, (keys.tally(question_id),)),
        (hlen, (keys.ballots(question_id),)),
        (hgetall, (keys.first_seen(question_id),)),
        (hgetall, (keys.marks(question_id),)),
    ]
    if with_ballots:
        steps.append((hgetall, (keys.ballots(question_id),)))
    return steps


def data_from(question: Question, replies: list[Any], with_ballots: bool) -> QuestionData:
    """A question's data from the replies of its `data_steps` (consumed from the front of `replies`)."""
    counts, voters, first, marks = replies[:4]
    del replies[:4]
    ballots: dict[str, StoredBallot] = {}
    if with_ballots:
        ballots = {voter: StoredBallot(*ballot_record(record)) for voter, record in replies.pop(0).items()}
    first_seen = {key: float(at) for key, at in first.items()}
    tally = Tally.of(question, ((key, int(value)) for key, value in counts.items()), int(voters), first_seen)
    return QuestionData(tally, dict(marks), ballots)


def participants_from(presence: dict[str, str], now: float, stale_after: float) -> int:
    """The sum of every process's report that is fresher than `stale_after` seconds."""
    total = 0
    for value in presence.values():
        count, _, reported_at = value.partition(" ")
        try:
            if now - float(reported_at) <= stale_after:
                total += int(count)
        except ValueError:
            continue
    return total


# Pipeline steps ------------------------------------------------------------------------------------------


def get(pipe: Any, key: str) -> None:
    pipe.get(key)


def hgetall(pipe: Any, key: str) -> None:
    pipe.hgetall(key)


def exists(pipe: Any, key: str) -> None:
    pipe.exists(key)


def hget(pipe: Any, key: str, field: str) -> None:
    pipe.hget(key, field)


def hvals(pipe: Any, key: str) -> None:
    pipe.hvals(key)


def hlen(pipe: Any, key: str) -> None:
    pipe.hlen(key)


def hmget(pipe: Any, key: str, fields: list[str]) -> None:
    pipe.hmget(key, fields)


def time(pipe: Any) -> None:
    pipe.time()


def zadd(pipe: Any, key: str, mapping: dict[str, float]) -> None:
    pipe.zadd(key, mapping)


def pexpire(pipe: Any, key: str, ms: int) -> None:
    pipe.pexpire(key, ms)


def publish(pipe: Any, channel: str, message: int) -> None:
    pipe.publish(channel, message)


def eval_source(pipe: Any, script: Script, keys: Sequence[str], args: Sequence[object]) -> None:
    pipe.eval(script.source, len(keys), *keys, *args)
