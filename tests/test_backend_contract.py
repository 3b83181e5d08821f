"""The Backend contract, run against every backend: the embedded default (SQLite) and Redis (a real
redis-server on loopback, started by these tests; a fresh key prefix per test)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from support.redis_server import RedisServer
from support.redis_topologies import Cluster
from support.stores import tallies
from support.waiting import eventually, stays, wait_until

from livepoll.backends.base import Backend, CodeTaken
from livepoll.backends.redis_layout import SessionKeys
from livepoll.kinds import choices_answer, make_question
from livepoll.model import (
    Ballot,
    BallotOutcome,
    Change,
    ControlAction,
    LiveState,
    PollError,
    Session,
    Snapshot,
    decide_control,
    hash_host_key,
    new_join_code,
)
from livepoll.questions import Question

# Notices cross a real pub/sub on the Redis backend: allow them a moment, but a bounded one (generous: a
# loaded 2-core machine can stall a process for a second; only a failing test waits this long).
NOTICE_WAIT = 10.0
# Proving that something did *not* happen: a short bounded wait.
QUIET_WAIT = 0.3
# "cluster": the Redis backend on a three-primary Redis Cluster (fault-marked: it starts its own servers).
BACKENDS = ["embedded", "redis", pytest.param("cluster", marks=pytest.mark.fault)]


@pytest.fixture(scope="session")
def contract_cluster() -> Iterator[Cluster]:
    """A three-primary Redis Cluster of this suite's own."""
    with Cluster() as cluster:
        yield cluster


class Store:
    """One store (a data dir, or a Redis and a key prefix) that several backend instances ("processes")
    can open; every instance opened is stopped at the end of the test."""

    def __init__(self, kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self.request = request
        self.prefix = f"t{secrets.token_hex(4)}"
        self.opened: list[Backend] = []

    async def open(self) -> Backend:
        backend: Backend
        if self.kind == "embedded":
            from livepoll.backends.embedded import EmbeddedBackend

            backend = EmbeddedBackend(self.tmp_path / "data")
        else:
            from livepoll.backends.redis import RedisBackend

            backend = RedisBackend(self.redis_url, prefix=self.prefix, timeout=1.0)
        await backend.start()
        self.opened.append(backend)
        await wait_until(lambda: backend.health().ready, "the backend to become ready")
        return backend

    @property
    def redis_url(self) -> str:
        if self.kind == "cluster":
            cluster: Cluster = self.request.getfixturevalue("contract_cluster")
            return cluster.url
        server: RedisServer = self.request.getfixturevalue("store_redis")
        return server.url

    async def subscribed(self, code: str, subscribers: int = 1) -> None:
        """Wait until `subscribers` processes get the notices of `code`. On Redis `watch()` sends SUBSCRIBE
        without waiting for Redis to take it, so this waits until Redis lists that many subscribers on the
        session's channel; in-process notices reach a watcher from the moment `watch()` returns."""
        if self.kind == "embedded":
            return
        from redis.asyncio import Redis

        channel = SessionKeys(self.prefix, code).notices
        url = self.redis_url
        if self.kind == "cluster":  # a shard channel, on the node that owns its slot
            cluster: Cluster = self.request.getfixturevalue("contract_cluster")
            url = cluster.node_of(channel).url
        async with Redis.from_url(url, decode_responses=True) as raw:

            async def listed() -> bool:
                if self.kind == "cluster":
                    return dict(await raw.pubsub_shardnumsub(channel)).get(channel, 0) == subscribers
                return dict(await raw.pubsub_numsub(channel)).get(channel, 0) == subscribers

            await wait_until(listed, f"{subscribers} subscriber(s) on {channel}")

    async def close(self) -> None:
        for backend in reversed(self.opened):
            await backend.stop()


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store(request.param, tmp_path, request)
    yield opened
    await asyncio.wait_for(opened.close(), 10)


@pytest.fixture
async def backend(store: Store) -> Backend:
    return await store.open()


def new_session(
    *questions: Question,
    code: str | None = None,
    title: str = "Spotkanie",
    created_at: float | None = None,
    host_key: str = "host-key",
) -> Session:
    if not questions:
        questions = (
            make_question(1, "Który dzień?", ["poniedziałek", "wtorek", "środa"], None, None),
            make_question(2, "Z kim?", ["miasto", "NGO", "biznes", "media"], 3, None),
            make_question(3, "Na pewno?", ["tak", "nie"], None, False),
        )
    return Session(
        code=code or new_join_code(),
        title=title,
        host_key_hash=hash_host_key(host_key),
        questions=questions,
        state=LiveState(current=questions[0].id),
        created_at=time.time() if created_at is None else created_at,
    )


async def set_state(backend: Backend, code: str, state: LiveState) -> bool:
    """Make `state` the live state (one control); False if there is no such session."""
    return await backend.change_session(code, lambda session, now: Change(state)) is not None


async def reset_question(backend: Backend, code: str, question_id: str) -> None:
    await backend.change_session(code, lambda s, now: decide_control(s, ControlAction.RESET, question_id))


def ballot(question: Question, voter: str, *choices: str) -> Ballot:
    return Ballot.of(question.id, voter, choices_answer(question, choices), time.time())


class Changes:
    """Records on_change calls; `wait(code)` waits (bounded) for one after the last `clear()`."""

    def __init__(self, backend: Backend) -> None:
        self.codes: list[str] = []
        self._event = asyncio.Event()
        backend.on_change = self._record

    def _record(self, code: str) -> None:
        self.codes.append(code)
        self._event.set()

    def clear(self) -> None:
        self.codes.clear()
        self._event.clear()

    async def wait(self, code: str, within: float = NOTICE_WAIT) -> None:
        deadline = time.monotonic() + within
        while code not in self.codes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no change notice for {code} within {within}s (got {self.codes})")
            self._event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), remaining)

    async def quiet(self, code: str) -> None:
        """No notice for `code` arrives over a short bounded wait (fails the moment one does)."""
        await stays(lambda: code not in self.codes, f"no change notice for {code}", QUIET_WAIT)


# Sessions ------------------------------------------------------------------------------------------------


async def test_create_then_get_returns_the_same_session(backend: Backend) -> None:
    """A stored session reads back field for field, with an epoch."""
    session = new_session()
    await backend.create_session(session)
    stored = await backend.get_session(session.code)
    assert stored is not None
    assert (stored.code, stored.title, stored.host_key_hash) == (session.code, session.title, session.host_key_hash)
    assert stored.questions == session.questions
    assert stored.state == session.state
    assert stored.created_at == pytest.approx(session.created_at)
    assert stored.epoch


async def test_unknown_session_is_none_everywhere(backend: Backend) -> None:
    """An unknown code reads as absent and refuses ballots as no_session."""
    session = new_session()
    question = session.questions[0]
    assert await backend.get_session(session.code) is None
    assert await backend.snapshot(session.code) is None
    assert await tallies(backend, session.code) == {}
    assert await backend.responses(session.code) == []
    assert await set_state(backend, session.code, LiveState(current=None)) is False
    outcome = await backend.cast_ballot(session.code, question, ballot(question, "v1", "o1"), 1)
    assert outcome is BallotOutcome.NO_SESSION


async def test_taken_code_raises_code_taken(backend: Backend) -> None:
    """A second session with a live session's code is refused and the first one is untouched."""
    first = new_session(title="first")
    await backend.create_session(first)
    with pytest.raises(CodeTaken):
        await backend.create_session(new_session(code=first.code, title="second", host_key="other-key"))
    stored = await backend.get_session(first.code)
    assert stored is not None and stored.title == "first"


async def test_list_sessions_newest_first(backend: Backend) -> None:
    """list_sessions returns every stored session, newest first."""
    now = time.time()
    sessions = [new_session(title=f"s{i}", created_at=now - 100 + i) for i in range(3)]
    for session in sessions:
        await backend.create_session(session)
    listed = await backend.list_sessions()
    assert [s.code for s in listed] == [s.code for s in reversed(sessions)]


async def test_delete_session_removes_it_and_its_ballots(backend: Backend) -> None:
    """Deleting removes the session and its ballots at once; a second delete reports False."""
    session = new_session()
    question = session.questions[0]
    await backend.create_session(session)
    await backend.cast_ballot(session.code, question, ballot(question, "v1", "o1"), 1)
    assert await backend.delete_session(session.code) is True
    assert await backend.get_session(session.code) is None
    assert await backend.snapshot(session.code) is None
    assert await tallies(backend, session.code) == {}
    assert await backend.responses(session.code) == []
    assert session.code not in [s.code for s in await backend.list_sessions()]
    assert await backend.delete_session(session.code) is False


async def test_code_can_be_reused_after_delete(backend: Backend) -> None:
    """A deleted session's code is free again, and the new session starts with no ballots."""
    session = new_session()
    question = session.questions[0]
    await backend.create_session(session)
    await backend.cast_ballot(session.code, question, ballot(question, "v1", "o1"), 1)
    await backend.delete_session(session.code)
    again = new_session(code=session.code, title="again")
    await backend.create_session(again)
    stored_tallies = await tallies(backend, again.code)
    assert all(t.voters == 0 for t in stored_tallies.values())
    stored = await backend.get_session(again.code)
    assert stored is not None and stored.title == "again"


async def test_set_state_replaces_the_live_state(backend: Backend) -> None:
    """set_state stores the whole live state and reports whether the session exists."""
    session = new_session()
    await backend.create_session(session)
    state = LiveState(current="q2", voting_open=False, results_visible=False, results_on_phones=True)
    assert await set_state(backend, session.code, state) is True
    stored = await backend.get_session(session.code)
    assert stored is not None and stored.state == state
    assert await set_state(backend, session.code, LiveState(current=None)) is True
    stored = await backend.get_session(session.code)
    assert stored is not None and stored.state.current is None


# Ballots -------------------------------------------------------------------------------------------------


async def test_ballot_outcomes(backend: Backend) -> None:
    """accepted, unchanged, change, change_not_allowed, voting_closed and not_current, each as specified."""
    session = new_session()
    q1, q2, q3 = session.questions
    code = session.code
    await backend.create_session(session)

    assert await backend.cast_ballot(code, q1, ballot(q1, "ala", "o1"), 1) is BallotOutcome.ACCEPTED
    assert await backend.cast_ballot(code, q1, ballot(q1, "ala", "o1"), 1) is BallotOutcome.UNCHANGED
    assert await backend.cast_ballot(code, q1, ballot(q1, "ala", "o2"), 1) is BallotOutcome.ACCEPTED
    tally = (await tallies(backend, code))[q1.id]
    assert (dict(tally.votes), tally.voters) == ({"o1": 0, "o2": 1, "o3": 0}, 1)

    assert await backend.cast_ballot(code, q2, ballot(q2, "ala", "o1"), 1) is BallotOutcome.NOT_CURRENT

    await set_state(backend, code, LiveState(current=q3.id))
    assert await backend.cast_ballot(code, q3, ballot(q3, "ala", "o1"), 1) is BallotOutcome.ACCEPTED
    # Identical re-send is acknowledged also where changes are not allowed; a different one is refused.
    assert await backend.cast_ballot(code, q3, ballot(q3, "ala", "o1"), 1) is BallotOutcome.UNCHANGED
    assert await backend.cast_ballot(code, q3, ballot(q3, "ala", "o2"), 1) is BallotOutcome.CHANGE_NOT_ALLOWED
    tally = (await tallies(backend, code))[q3.id]
    assert (dict(tally.votes), tally.voters) == ({"o1": 1, "o2": 0}, 1)

    await set_state(backend, code, LiveState(current=q3.id, voting_open=False))
    assert await backend.cast_ballot(code, q3, ballot(q3, "ola", "o2"), 1) is BallotOutcome.VOTING_CLOSED
    assert (await tallies(backend, code))[q3.id].voters == 1


async def test_changed_multi_choice_ballot_moves_counts_exactly(backend: Backend) -> None:
    """Changing a multi-choice ballot removes every old choice and adds every new one."""
    session = new_session()
    q2 = session.questions[1]
    await backend.create_session(session)
    await set_state(backend, session.code, LiveState(current=q2.id))
    await backend.cast_ballot(session.code, q2, ballot(q2, "ala", "o1", "o2", "o3"), 1)
    await backend.cast_ballot(session.code, q2, ballot(q2, "ola", "o1"), 1)
    await backend.cast_ballot(session.code, q2, ballot(q2, "ala", "o4", "o1"), 1)
    tally = (await tallies(backend, session.code))[q2.id]
    assert dict(tally.votes) == {"o1": 2, "o2": 0, "o3": 0, "o4": 1}
    assert tally.voters == 2


async def test_tallies_cover_every_question(backend: Backend) -> None:
    """tallies() has a tally per question; questions without ballots count zero."""
    session = new_session()
    q1, q2, q3 = session.questions
    await backend.create_session(session)
    for voter, choice in [("a", "o1"), ("b", "o1"), ("c", "o3")]:
        await backend.cast_ballot(session.code, q1, ballot(q1, voter, choice), 1)
    stored_tallies = await tallies(backend, session.code)
    assert dict(stored_tallies[q1.id].votes) == {"o1": 2, "o2": 0, "o3": 1}
    assert stored_tallies[q1.id].voters == 3
    assert set(stored_tallies) == {q1.id, q2.id, q3.id}
    for question in (q2, q3):
        assert stored_tallies[question.id].voters == 0
        assert dict(stored_tallies[question.id].votes) == {o.id: 0 for o in question.options}


async def test_responses_hold_the_latest_ballot_per_voter(backend: Backend) -> None:
    """One response per counted ballot, oldest first, with the latest choices and time after a change."""
    session = new_session()
    q1 = session.questions[0]
    code = session.code
    await backend.create_session(session)
    first = Ballot.of(q1.id, "ala", choices_answer(q1, ["o1"]), 1000.0)
    second = Ballot.of(q1.id, "ola", choices_answer(q1, ["o2"]), 1001.0)
    changed = Ballot.of(q1.id, "ala", choices_answer(q1, ["o3"]), 1002.0)
    for b in (first, second, changed):
        assert (await backend.cast_ballot(code, q1, b, 1)).acknowledged
    # An identical re-send changes nothing, not even the time.
    await backend.cast_ballot(code, q1, Ballot.of(q1.id, "ola", choices_answer(q1, ["o2"]), 1003.0), 1)
    rows = await backend.responses(code)
    assert [(r.question_id, r.voter, r.choices, r.answered_at) for r in rows] == [
        (q1.id, "ola", ("o2",), 1001.0),
        (q1.id, "ala", ("o3",), 1002.0),
    ]


async def test_reset_question_discards_its_ballots_only(backend: Backend) -> None:
    """reset_question empties one question's tally and responses; others keep theirs; voting starts over."""
    session = new_session()
    q1, q2, _ = session.questions
    code = session.code
    await backend.create_session(session)
    await backend.cast_ballot(code, q1, ballot(q1, "ala", "o1"), 1)
    await set_state(backend, code, LiveState(current=q2.id))
    await backend.cast_ballot(code, q2, ballot(q2, "ala", "o2"), 1)
    await set_state(backend, code, LiveState(current=q1.id))

    await reset_question(backend, code, q1.id)
    stored_tallies = await tallies(backend, code)
    assert stored_tallies[q1.id].voters == 0
    assert dict(stored_tallies[q1.id].votes) == {o.id: 0 for o in q1.options}
    assert stored_tallies[q2.id].voters == 1
    assert [(r.question_id, r.voter) for r in await backend.responses(code)] == [(q2.id, "ala")]
    # The same ballot as before the reset counts again.
    assert await backend.cast_ballot(code, q1, ballot(q1, "ala", "o1"), 1) is BallotOutcome.ACCEPTED
    assert (await tallies(backend, code))[q1.id].voters == 1


async def test_two_hundred_concurrent_voters_are_counted_exactly(backend: Backend) -> None:
    """200 voters casting at once: every ballot accepted, totals exact."""
    session = new_session()
    q1 = session.questions[0]
    await backend.create_session(session)
    choices = [f"o{1 + i % 3}" for i in range(200)]
    outcomes = await asyncio.wait_for(
        asyncio.gather(
            *(backend.cast_ballot(session.code, q1, ballot(q1, f"v{i}", c), 1) for i, c in enumerate(choices))
        ),
        10,
    )
    assert set(outcomes) == {BallotOutcome.ACCEPTED}
    tally = (await tallies(backend, session.code))[q1.id]
    assert tally.voters == 200
    assert dict(tally.votes) == {o: choices.count(o) for o in ("o1", "o2", "o3")}
    assert len(await backend.responses(session.code)) == 200


async def test_hundred_concurrent_ballots_from_one_voter_count_once(backend: Backend) -> None:
    """One participant sending 100 ballots at once is one voter: identical ones count once, different ones
    leave exactly one choice counted (B8)."""
    session = new_session()
    q1, _, q3 = session.questions
    code = session.code
    await backend.create_session(session)

    same = await asyncio.wait_for(
        asyncio.gather(*(backend.cast_ballot(code, q1, ballot(q1, "ala", "o2"), 1) for _ in range(100))), 10
    )
    assert sorted(same).count(BallotOutcome.ACCEPTED) == 1
    assert set(same) == {BallotOutcome.ACCEPTED, BallotOutcome.UNCHANGED}

    mixed = await asyncio.wait_for(
        asyncio.gather(*(backend.cast_ballot(code, q1, ballot(q1, "ola", f"o{1 + i % 3}"), 1) for i in range(100))),
        10,
    )
    assert all(o.acknowledged for o in mixed)
    tally = (await tallies(backend, code))[q1.id]
    assert tally.voters == 2 and sum(tally.votes.values()) == 2

    await set_state(backend, code, LiveState(current=q3.id))
    fixed = await asyncio.wait_for(
        asyncio.gather(*(backend.cast_ballot(code, q3, ballot(q3, "ala", f"o{1 + i % 2}"), 1) for i in range(100))),
        10,
    )
    assert fixed.count(BallotOutcome.ACCEPTED) == 1
    assert set(fixed) <= {BallotOutcome.ACCEPTED, BallotOutcome.UNCHANGED, BallotOutcome.CHANGE_NOT_ALLOWED}
    tally = (await tallies(backend, code))[q3.id]
    assert tally.voters == 1 and sum(tally.votes.values()) == 1


# Live ----------------------------------------------------------------------------------------------------


async def test_snapshot_shows_the_current_question_and_its_tally(backend: Backend) -> None:
    """A snapshot carries the state, the current question and its tally; no question, no tally."""
    session = new_session()
    q1, q2, _ = session.questions
    await backend.create_session(session)
    await backend.cast_ballot(session.code, q1, ballot(q1, "ala", "o3"), 1)
    snap = await backend.snapshot(session.code)
    assert snap is not None
    assert (snap.code, snap.state, snap.question, snap.state_lost) == (session.code, session.state, q1, False)
    assert snap.tally is not None and snap.tally.voters == 1 and snap.tally.votes["o3"] == 1
    stored = await backend.get_session(session.code)
    assert stored is not None and snap.epoch == stored.epoch

    await set_state(backend, session.code, LiveState(current=q2.id))
    snap = await backend.snapshot(session.code)
    assert snap is not None and snap.question == q2
    assert snap.tally is not None and snap.tally.voters == 0

    await set_state(backend, session.code, LiveState(current=None))
    snap = await backend.snapshot(session.code)
    assert snap is not None and snap.question is None and snap.tally is None


async def test_snapshot_seq_grows_on_every_change(backend: Backend) -> None:
    """seq grows with each accepted ballot, state change and reset, and not with refused ballots."""
    session = new_session()
    q1 = session.questions[0]
    code = session.code
    await backend.create_session(session)

    async def seq() -> int:
        snap = await backend.snapshot(code)
        assert snap is not None
        return snap.seq

    seen = [await seq()]
    await backend.cast_ballot(code, q1, ballot(q1, "ala", "o1"), 1)
    seen.append(await seq())
    await backend.cast_ballot(code, q1, ballot(q1, "ala", "o2"), 1)
    seen.append(await seq())
    await set_state(backend, code, LiveState(current=q1.id, voting_open=False))
    seen.append(await seq())
    assert await backend.cast_ballot(code, q1, ballot(q1, "ola", "o2"), 1) is BallotOutcome.VOTING_CLOSED
    assert await seq() == seen[-1]
    await reset_question(backend, code, q1.id)
    seen.append(await seq())
    assert seen == sorted(set(seen)), seen


async def test_snapshot_counts_reported_participants(backend: Backend) -> None:
    """participants is what report_presence said last."""
    session = new_session()
    code = session.code
    await backend.create_session(session)
    await backend.get_session(code)

    async def participants() -> int | None:
        snap = await backend.snapshot(code)
        return None if snap is None else snap.participants

    assert await participants() == 0
    await backend.report_presence(code, 3)
    await eventually(participants, 3)
    await backend.report_presence(code, 5)
    await eventually(participants, 5)
    await backend.report_presence(code, 0)
    await eventually(participants, 0)


async def test_on_change_fires_for_watched_sessions_only(store: Store, backend: Backend) -> None:
    """Ballots, state changes, resets and deletion notify a watched session; an unwatched one stays quiet."""
    changes = Changes(backend)
    session = new_session()
    q1 = session.questions[0]
    code = session.code
    await backend.create_session(session)
    await backend.watch(code)
    await store.subscribed(code)

    for action in (
        lambda: backend.cast_ballot(code, q1, ballot(q1, "ala", "o1"), 1),
        lambda: set_state(backend, code, LiveState(current=q1.id, voting_open=False)),
        lambda: reset_question(backend, code, q1.id),
    ):
        changes.clear()
        await action()
        await changes.wait(code)

    await backend.unwatch(code)
    await set_state(backend, code, LiveState(current=q1.id))
    changes.clear()
    await backend.cast_ballot(code, q1, ballot(q1, "ola", "o2"), 1)
    await changes.quiet(code)

    await backend.watch(code)
    await store.subscribed(code)  # the subscription has landed before the delete
    changes.clear()
    await backend.delete_session(code)
    await changes.wait(code)


async def test_expire_sessions_deletes_only_inactive_ones(backend: Backend) -> None:
    """P1: expire_sessions removes sessions with no activity since the given time, whole."""
    session = new_session()
    q1 = session.questions[0]
    await backend.create_session(session)
    await backend.cast_ballot(session.code, q1, ballot(q1, "ala", "o1"), 1)
    assert await backend.expire_sessions(time.time() - 60) == 0
    assert await backend.get_session(session.code) is not None
    assert await backend.expire_sessions(time.time() + 1) == 1
    assert await backend.get_session(session.code) is None
    assert await tallies(backend, session.code) == {}
    assert await backend.responses(session.code) == []


async def test_shared_secret_is_shared_between_processes(store: Store) -> None:
    """The first process to ask creates the secret; every other one reads the same value."""
    first, second = await store.open(), await store.open()
    value, created = await first.shared_secret("cookie", lambda: "generated-first")
    assert (value, created) == ("generated-first", True)
    assert await second.shared_secret("cookie", lambda: "generated-second") == ("generated-first", False)
    assert await first.shared_secret("cookie", lambda: "again") == ("generated-first", False)


async def test_health_is_ready_when_started(backend: Backend) -> None:
    """A started backend reports ready, with details."""
    health = backend.health()
    assert health.ready is True
    assert isinstance(health.detail, dict) and health.detail


# Several processes on one store (Redis only: the embedded backend is one process by design) -------------


@pytest.fixture
async def redis_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store("redis", tmp_path, request)
    yield opened
    await asyncio.wait_for(opened.close(), 10)


async def test_processes_see_each_others_ballots_and_presence(redis_store: Store) -> None:
    """A ballot cast in one process notifies and shows in another; participants sum over processes."""
    a, b = await redis_store.open(), await redis_store.open()
    changes = Changes(b)
    session = new_session()
    q1 = session.questions[0]
    await a.create_session(session)
    await b.watch(session.code)
    await redis_store.subscribed(session.code)
    changes.clear()
    assert await a.cast_ballot(session.code, q1, ballot(q1, "ala", "o2"), 1) is BallotOutcome.ACCEPTED
    await changes.wait(session.code)
    snap: Snapshot | None = await b.snapshot(session.code)
    assert snap is not None and snap.tally is not None and snap.tally.votes["o2"] == 1

    await a.report_presence(session.code, 3)
    await b.report_presence(session.code, 4)

    async def participants() -> int | None:
        snap = await a.snapshot(session.code)
        return None if snap is None else snap.participants

    await eventually(participants, 7)
    await b.stop()  # a stopping process takes its participants with it
    await eventually(participants, 3)


async def test_redis_keys_share_the_session_hash_tag_and_carry_a_ttl(redis_store: Store) -> None:
    """Every key of a session is `{prefix}:{CODE}:...` (one Cluster slot) and expires by itself."""
    from redis.asyncio import Redis

    backend = await redis_store.open()
    session = new_session()
    q1 = session.questions[0]
    await backend.create_session(session)
    await backend.cast_ballot(session.code, q1, ballot(q1, "ala", "o1"), 1)
    await backend.report_presence(session.code, 2)
    prefix = redis_store.prefix
    async with Redis.from_url(redis_store.redis_url, decode_responses=True) as raw:
        keys = set(await raw.keys(f"{prefix}:*"))
        session_keys = keys - {f"{prefix}:sessions"}
        tag = f"{prefix}:{{{session.code}}}:"
        assert {k.removeprefix(tag) for k in session_keys} == {
            "session",
            "state",
            "ballots:q1",
            "tally:q1",
            "presence",
        }
        for key in session_keys:
            assert 0 < await raw.pttl(key) <= 30 * 86400 * 1000, key


async def test_redis_scripts_are_reloaded_after_script_flush(redis_store: Store) -> None:
    """A Redis that forgot the scripts (restart, SCRIPT FLUSH) answers NOSCRIPT; the backend reloads them."""
    from redis.asyncio import Redis

    backend = await redis_store.open()
    session = new_session()
    q1 = session.questions[0]
    await backend.create_session(session)
    assert await backend.cast_ballot(session.code, q1, ballot(q1, "ala", "o1"), 1) is BallotOutcome.ACCEPTED
    async with Redis.from_url(redis_store.redis_url) as raw:
        await raw.script_flush()
    assert await backend.cast_ballot(session.code, q1, ballot(q1, "ola", "o2"), 1) is BallotOutcome.ACCEPTED
    assert await set_state(backend, session.code, LiveState(current=q1.id, voting_open=False)) is True
    assert (await tallies(backend, session.code))[q1.id].voters == 2


async def test_redis_sessions_past_retention_expire_and_stay_gone(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """P1: Redis drops an inactive session's keys after the retention time by itself, and the process that
    created it does not rebuild it from its cache."""
    from redis.asyncio import Redis

    from livepoll.backends.redis import RedisBackend

    server: RedisServer = request.getfixturevalue("store_redis")
    prefix = f"t{secrets.token_hex(4)}"
    backend = RedisBackend(server.url, prefix=prefix, retention_seconds=1.0)
    await backend.start()
    try:
        session = new_session()
        keys = SessionKeys(prefix, session.code)
        await backend.create_session(session)
        assert await backend.get_session(session.code) is not None
        async with Redis.from_url(server.url) as raw:

            async def expired() -> bool:
                return await raw.exists(keys.definition, keys.state) == 0

            await wait_until(expired, "Redis to expire the session's keys")
            assert await backend.get_session(session.code) is None
            assert await backend.snapshot(session.code) is None
            assert await backend.list_sessions() == []
            assert await expired(), "the process rebuilt an expired session"
    finally:
        await backend.stop()


# Hardening (issue 7): atomic controls, resends after close, own ballots, definitions ------------------------


async def test_an_identical_resend_is_acknowledged_after_close_and_goto(backend: Backend) -> None:
    """A phone retrying a ballot whose ack was lost gets it acknowledged as unchanged even once voting
    closed or the session moved on (it did count); a different ballot then is refused, and a resend after a
    reset no longer matches anything stored."""
    session = new_session()
    q1, q2, _ = session.questions
    code = session.code
    await backend.create_session(session)
    assert await backend.cast_ballot(code, q1, ballot(q1, "ala", "o2"), 1) is BallotOutcome.ACCEPTED
    await set_state(backend, code, LiveState(current=q1.id, voting_open=False))
    assert await backend.cast_ballot(code, q1, ballot(q1, "ala", "o2"), 1) is BallotOutcome.UNCHANGED
    assert await backend.cast_ballot(code, q1, ballot(q1, "ala", "o3"), 1) is BallotOutcome.VOTING_CLOSED
    await set_state(backend, code, LiveState(current=q2.id))
    assert await backend.cast_ballot(code, q1, ballot(q1, "ala", "o2"), 1) is BallotOutcome.UNCHANGED
    assert await backend.cast_ballot(code, q1, ballot(q1, "ola", "o2"), 1) is BallotOutcome.NOT_CURRENT
    tally = (await tallies(backend, code))[q1.id]
    assert (dict(tally.votes), tally.voters) == ({"o1": 0, "o2": 1, "o3": 0}, 1)
    await reset_question(backend, code, q1.id)
    assert await backend.cast_ballot(code, q1, ballot(q1, "ala", "o2"), 1) is BallotOutcome.NOT_CURRENT


async def test_own_ballots_are_looked_up_per_voter(backend: Backend) -> None:
    """own_ballots answers each asked voter's stored ballot on one question (the value as checked), skips
    voters without one, and forgets ballots a reset discarded."""
    session = new_session()
    q1, q2, _ = session.questions
    code = session.code
    await backend.create_session(session)
    await backend.cast_ballot(code, q1, ballot(q1, "ala", "o2"), 1)
    await backend.cast_ballot(code, q1, ballot(q1, "ola", "o1"), 1)
    await backend.cast_ballot(code, q1, ballot(q1, "ala", "o3"), 1)
    found = await backend.own_ballots(code, q1.id, ["ala", "ola", "ela"])
    assert {voter: b.value for voter, b in found.items()} == {
        "ala": choices_answer(q1, ["o3"]).value, "ola": choices_answer(q1, ["o1"]).value
    }
    assert all(b.cast_at > 0 for b in found.values())
    assert await backend.own_ballots(code, q2.id, ["ala"]) == {}
    assert await backend.own_ballots("12345678", q1.id, ["ala"]) == {}
    await reset_question(backend, code, q1.id)
    assert await backend.own_ballots(code, q1.id, ["ala", "ola"]) == {}


async def test_racing_controls_are_each_applied_to_the_state_the_other_left(store: Store) -> None:
    """B13: a presenter key press and a panel click at the same moment (many tasks; on Redis two processes):
    each control is applied to the current state, so closing voting and hiding results both take effect,
    whatever the order; a close is never undone by a control that read the state before it."""
    first = await store.open()
    second = first if store.kind == "embedded" else await store.open()
    session = new_session()
    q1 = session.questions[0]
    code = session.code
    await first.create_session(session)

    def act(action: ControlAction) -> Callable[[Session, float], Change]:
        return lambda current, now: decide_control(current, action, None)

    for _round in range(25):
        await first.change_session(code, lambda s, now: Change(LiveState(current=q1.id)))
        await asyncio.wait_for(
            asyncio.gather(
                *(first.change_session(code, act(ControlAction.CLOSE)) for _ in range(4)),
                *(second.change_session(code, act(ControlAction.HIDE_RESULTS)) for _ in range(4)),
                *(first.change_session(code, act(ControlAction.SHOW_ON_PHONES)) for _ in range(4)),
            ),
            10,
        )
        for backend in (first, second):
            stored = await backend.get_session(code)
            assert stored is not None
            assert stored.state == LiveState(
                current=q1.id, voting_open=False, results_visible=False, results_on_phones=True
            )


async def test_a_control_that_the_rules_refuse_changes_nothing(backend: Backend) -> None:
    """decide raising (an unknown question) leaves the session and its version as they were."""
    session = new_session()
    code = session.code
    await backend.create_session(session)
    before = await backend.snapshot(code)
    with pytest.raises(PollError):
        await backend.change_session(code, lambda s, now: decide_control(s, ControlAction.GOTO, "q99"))
    after = await backend.snapshot(code)
    assert before is not None and after is not None
    assert (after.state, after.seq) == (before.state, before.seq)
    assert await backend.change_session("12345678", lambda s, now: Change(s.state)) is None


async def test_a_rotated_key_is_a_new_definition_and_stale_ballots_are_checked_again(store: Store) -> None:
    """rotate_key stores the new key's hash for every process; a ballot checked against the definition
    before it is answered STALE (stored nothing), and counts once checked against the new one."""
    first = await store.open()
    second = first if store.kind == "embedded" else await store.open()
    session = new_session()
    q1 = session.questions[0]
    code = session.code
    await first.create_session(session)
    assert await second.get_session(code) is not None  # the second process caches the definition
    rotated = await first.change_session(
        code, lambda s, now: decide_control(s, ControlAction.ROTATE_KEY, None, hash_host_key("new key"))
    )
    assert rotated is not None and rotated.definition == 2
    for backend in (first, second):
        stored = await backend.get_session(code)
        assert stored is not None and stored.host_key_hash == hash_host_key("new key") and stored.definition == 2
        snap = await backend.snapshot(code)
        assert snap is not None and snap.host_key_hash == hash_host_key("new key")
    assert await second.cast_ballot(code, q1, ballot(q1, "ala", "o1"), 1) is BallotOutcome.STALE
    assert (await tallies(second, code))[q1.id].voters == 0
    assert await second.cast_ballot(code, q1, ballot(q1, "ala", "o1"), 2) is BallotOutcome.ACCEPTED
    assert (await tallies(first, code))[q1.id].voters == 1
