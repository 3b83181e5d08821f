"""How the Redis backend lays a session out in Redis: key names, record formats, Lua scripts, pipeline steps.

Every key of a session carries its join code as a Cluster hash tag, so each script touches one slot:

    {p}:{CODE}:session        string: the definition (title, host key hash, created_at, questions) as JSON
    {p}:{CODE}:state          hash: current, open, visible, phones, epoch, seq, active, lost
    {p}:{CODE}:ballots:{Q}    hash: voter -> choices (canonical order, joined by CHOICE_SEPARATOR)
    {p}:{CODE}:tally:{Q}      hash: option -> votes
    {p}:{CODE}:log            stream: one entry per counted ballot (q, v, c, t)
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
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from livepoll.model import LiveState, Question, Session, Tally

# Option ids never contain control characters (the model makes them `o<n>`), so \x1f joins choices.
CHOICE_SEPARATOR = "\x1f"

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
        self.log = f"{base}:log"
        self.presence = f"{base}:presence"
        self.tombstone = f"{base}:gone"
        self.notices = f"{base}:notices"
        self._base = base

    def ballots(self, question_id: str) -> str:
        return f"{self._base}:ballots:{question_id}"

    def tally(self, question_id: str) -> str:
        return f"{self._base}:tally:{question_id}"

    def per_question(self, question_ids: Iterable[str]) -> list[str]:
        return [key for q in question_ids for key in (self.ballots(q), self.tally(q))]


def valid_code(code: str) -> bool:
    # The code goes inside a hash tag: braces or separators in it would change the key layout.
    return 0 < len(code) <= 32 and code.isascii() and code.isalnum()


def redacted_url(url: str) -> str:
    """The URL without its password, for logs and health details."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


# Records -------------------------------------------------------------------------------------------------


def flag(value: bool) -> str:
    return "1" if value else "0"


def state_args(state: LiveState) -> list[str]:
    """The live state as the scripts take it: current ('' for none), open, visible, phones, resets."""
    return [
        state.current or "",
        flag(state.voting_open),
        flag(state.results_visible),
        flag(state.results_on_phones),
        str(state.resets),
    ]


def live_state(fields: dict[str, str]) -> LiveState:
    return LiveState(
        current=fields.get("current") or None,
        voting_open=fields.get("open") == "1",
        results_visible=fields.get("visible") == "1",
        results_on_phones=fields.get("phones") == "1",
        resets=int(fields.get("resets") or 0),
    )


def definition_json(session: Session) -> str:
    return json.dumps(
        {
            "title": session.title,
            "host_key_hash": session.host_key_hash,
            "created_at": session.created_at,
            "questions": [q.to_record() for q in session.questions],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def question_ids(definition: str) -> list[str]:
    return [str(q["id"]) for q in json.loads(definition)["questions"]]


def session_from(code: str, definition: str, state: dict[str, str]) -> Session:
    record = json.loads(definition)
    return Session(
        code=code,
        title=str(record["title"]),
        host_key_hash=str(record["host_key_hash"]),
        questions=tuple(Question.from_record(q) for q in record["questions"]),
        state=live_state(state),
        created_at=float(record["created_at"]),
        epoch=state.get("epoch") or "",
    )


def tally_from(question: Question, counts: dict[str, str], voters: int) -> Tally:
    votes = {o.id: int(counts.get(o.id, 0)) for o in question.options}
    return Tally(question.id, votes, voters)


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


def hlen(pipe: Any, key: str) -> None:
    pipe.hlen(key)


def xrange(pipe: Any, key: str) -> None:
    pipe.xrange(key)


def zadd(pipe: Any, key: str, mapping: dict[str, float]) -> None:
    pipe.zadd(key, mapping)


def pexpire(pipe: Any, key: str, ms: int) -> None:
    pipe.pexpire(key, ms)


def publish(pipe: Any, channel: str, message: int) -> None:
    pipe.publish(channel, message)


def eval_source(pipe: Any, script: Script, keys: Sequence[str], args: Sequence[object]) -> None:
    pipe.eval(script.source, len(keys), *keys, *args)
