"""Redis faults the backend survives (F1-F5 of the reliability guide), each against real redis-server
processes on loopback that the test starts, kills, restarts, stalls or cuts off itself.

Where a safeguard can be switched off, the tests come in pairs: one shows the failure without it, one the
recovery with it, and asserts the counter that proves the safeguard did the work.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis
from support.redis_server import RedisServer, RedisServerMissing, StallProxy, kill_pubsub_clients
from support.stores import tallies
from support.waiting import stays, wait_until

from livepoll.backends.base import BackendUnavailable
from livepoll.backends.redis import RedisBackend
from livepoll.backends.redis_notices import BACKOFF_CAP
from livepoll.kinds import choices_answer, make_question
from livepoll.model import Ballot, BallotOutcome, LiveState, Response, Session, hash_host_key
from livepoll.questions import Question

pytestmark = [pytest.mark.fault, pytest.mark.slow]

TIMEOUT = 1.0  # the backend's configured Redis timeout
# Headroom on every bound that is itself the behaviour under test ("refused at the timeout", "resubscribed
# within two probe intervals"): a loaded 2-core machine that also runs Chromium and Redis can hold a process
# back for over a second. Strict figures are measured by `livepoll bench`, not here.
MARGIN = 1.5
# How long Redis stays down in F1 (the fault's length, not a wait for something to happen).
OUTAGE = 5.0
# How long DEBUG SLEEP stalls Redis in F5: well past TIMEOUT + MARGIN, so the pair's two outcomes cannot meet.
STALL = 5


# Helpers -------------------------------------------------------------------------------------------------


@pytest.fixture
def servers() -> Iterator[Callable[..., RedisServer]]:
    """`servers(appendonly=...)`: a started redis-server of this test's own; all closed at teardown."""
    made: list[RedisServer] = []

    def make(appendonly: bool = False) -> RedisServer:
        try:
            server = RedisServer(appendonly=appendonly)
        except RedisServerMissing as exc:
            pytest.fail(str(exc))
        made.append(server)
        server.start()
        return server

    yield make
    for server in made:
        server.close()


@pytest.fixture
async def backends() -> AsyncIterator[Callable[..., RedisBackend]]:
    """`backends(url, **options)`: a RedisBackend, not yet started; all stopped at teardown."""
    made: list[RedisBackend] = []

    def make(url: str, **options: object) -> RedisBackend:
        backend = RedisBackend(url, **options)  # type: ignore[arg-type]
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await asyncio.wait_for(backend.stop(), 10)


class Changes:
    """on_change calls with their times."""

    def __init__(self, backend: RedisBackend) -> None:
        self.seen: list[tuple[float, str]] = []
        backend.on_change = lambda code: self.seen.append((time.monotonic(), code))

    def since(self, moment: float, code: str) -> int:
        return sum(1 for at, c in self.seen if at >= moment and c == code)


def poll_session(code: str = "72815366", allow_change: bool = True) -> Session:
    question = make_question(1, "Który wariant?", ["A", "B", "C", "D"], None, allow_change)
    return Session(
        code=code,
        title="Awaria",
        host_key_hash=hash_host_key("host"),
        questions=(question,),
        state=LiveState(current=question.id),
        created_at=time.time(),
    )


async def started(backend: RedisBackend, session: Session | None = None, watch: bool = True) -> RedisBackend:
    await asyncio.wait_for(backend.start(), 5)
    if session is not None:
        if await backend.get_session(session.code) is None:
            await backend.create_session(session)
        if watch:
            await backend.watch(session.code)
    await wait_until(lambda: backend.health().ready, "the backend to become ready")
    return backend


def ballot(question: Question, voter: str, choice: str) -> Ballot:
    return Ballot.of(question.id, voter, choices_answer(question, [choice]), time.time())


def probe_came_back(backend: RedisBackend) -> Callable[[], bool]:
    """A check that holds once the listener's probe age drops, i.e. a probe it published came back through
    its subscription after the first check."""
    ages: list[float] = []

    def check() -> bool:
        age = float(backend.health().detail["probe_age"])  # type: ignore[arg-type]
        if ages and age < ages[-1]:
            return True
        ages.append(age)
        return False

    return check


# F1 ------------------------------------------------------------------------------------------------------


@dataclass
class Ack:
    ballot: Ballot
    outcome: BallotOutcome
    started: float
    ended: float


async def test_f1_redis_killed_while_200_vote_loses_no_acknowledged_ballot(
    servers: Callable[..., RedisServer], backends: Callable[..., RedisBackend]
) -> None:
    """Redis SIGKILLed for 5 s under 200 voters: every acknowledged ballot counted once, outage ballots fail
    fast and are never acknowledged, and the listener resubscribes by itself afterwards."""
    server = servers(appendonly=True)  # acknowledged writes must survive the kill (appendfsync always)
    session = poll_session()
    question = session.questions[0]
    backend = await started(backends(server.url, timeout=TIMEOUT, probe_interval=0.5), session)
    changes = Changes(backend)

    acks: dict[str, list[Ack]] = {f"v{i:03}": [] for i in range(200)}
    failures: list[tuple[float, float]] = []  # (started, seconds until BackendUnavailable)
    voting = True

    async def voter(name: str) -> None:
        turn = random.randrange(4)
        while voting:
            turn += 1
            cast = ballot(question, name, f"o{1 + turn % 4}")
            # A client resends the same ballot until it is acknowledged (its ref makes that safe).
            while True:
                began = time.monotonic()
                try:
                    outcome = await backend.cast_ballot(session.code, question, cast, 1)
                except BackendUnavailable:
                    failures.append((began, time.monotonic() - began))
                    await asyncio.sleep(0.05 + random.random() * 0.05)
                    continue
                assert outcome.acknowledged, outcome
                acks[name].append(Ack(cast, outcome, began, time.monotonic()))
                break
            await asyncio.sleep(random.uniform(0.01, 0.04))

    voters = [asyncio.create_task(voter(name)) for name in acks]
    try:
        await wait_until(lambda: all(acks.values()), "every voter to have a ballot acknowledged")
        await asyncio.to_thread(server.kill)
        killed_at = time.monotonic()
        await wait_until(lambda: not backend.health().ready, "readiness to drop")
        await asyncio.sleep(OUTAGE)  # Redis stays dead this long while the voters keep trying
        restarting_at = time.monotonic()
        await asyncio.to_thread(server.restart, False)
        back_at = time.monotonic()
        fresh_after = await wait_until(
            lambda: changes.since(back_at, session.code) > 0, "a change notice after Redis returned"
        )
        await wait_until(lambda: backend.health().ready, "readiness after Redis returned")
        await wait_until(
            lambda: all(any(a.started >= back_at for a in acked) for acked in acks.values()),
            "every voter to have a ballot acknowledged after Redis returned",
        )
    finally:
        voting = False
        await asyncio.wait_for(asyncio.gather(*voters), 15)

    outage = [seconds for began, seconds in failures if killed_at <= began <= restarting_at]
    assert outage, "no ballot was refused while Redis was down"
    assert max(outage) <= TIMEOUT + MARGIN, f"slowest refusal during the outage took {max(outage):.2f}s"
    false_acks = [a for acked in acks.values() for a in acked if killed_at < a.started and a.ended < restarting_at]
    assert not false_acks, f"{len(false_acks)} ballot(s) acknowledged while Redis was dead"
    # The listener's reconnect backoff is capped, so screens are fresh about BACKOFF_CAP after Redis returns.
    assert fresh_after <= BACKOFF_CAP + MARGIN, f"first change notice {fresh_after:.2f}s after Redis returned"
    assert backend.health().detail["reconnects"] >= 1

    # Each voter's stored ballot is the last one acknowledged to it (value and time: not an older one, not a
    # ballot that was never acknowledged), and the tally is the sum of exactly those.
    stored = {r.voter: (r.value, r.answered_at) for r in await backend.responses(session.code)}
    missing = [
        name for name, acked in acks.items()
        if acked and stored.get(name) != (acked[-1].ballot.value, acked[-1].ballot.cast_at)
    ]
    assert not missing, f"{len(missing)} voter(s) whose last acknowledged ballot is not the stored one: {missing[:5]}"

    tally = (await tallies(backend, session.code))[question.id]
    last = [Response("", "", acked[-1].ballot.value, 0.0).choices[0] for acked in acks.values() if acked]
    assert tally.voters == len(last) == 200
    assert dict(tally.votes) == {o.id: last.count(o.id) for o in question.options}
    total = sum(len(acked) for acked in acks.values())
    logging.getLogger(__name__).info("F1: %d acknowledged, %d refused during the outage", total, len(outage))


# F2 ------------------------------------------------------------------------------------------------------


async def test_f2_redis_restarted_empty_gives_a_new_epoch_never_old_numbers(
    servers: Callable[..., RedisServer], backends: Callable[..., RedisBackend]
) -> None:
    """Redis comes back empty: within 2 s the snapshot has a new epoch, says state_lost and shows zero,
    never the old numbers as current; voting goes on in the new epoch."""
    server = servers()
    session = poll_session()
    question = session.questions[0]
    backend = await started(backends(server.url, timeout=TIMEOUT, probe_interval=0.5), session)
    for i in range(5):
        await backend.cast_ballot(session.code, question, ballot(question, f"v{i}", "o2"), 1)
    before = await backend.snapshot(session.code)
    assert before is not None and before.tally is not None and before.tally.voters == 5
    assert not before.state_lost

    await asyncio.to_thread(server.restart, True)
    back_at = time.monotonic()
    seen = []
    while True:
        # The promise is 2 s; MARGIN is headroom for a loaded machine.
        assert time.monotonic() - back_at <= 2.0 + MARGIN, f"no new epoch within 2 s (+ margin); saw {seen}"
        try:
            snap = await backend.snapshot(session.code)
        except BackendUnavailable:
            await asyncio.sleep(0.05)
            continue
        assert snap is not None, "the session vanished instead of being rebuilt"
        seen.append((snap.epoch, snap.seq, snap.tally))
        assert snap.epoch != before.epoch, "the old epoch was shown as current after Redis lost it"
        break
    assert snap.state_lost is True
    assert snap.tally is not None and snap.tally.voters == 0 and set(snap.tally.votes.values()) == {0}
    assert snap.state == before.state and snap.question == before.question

    # Another process that never saw the session reads the rebuilt one; ballots count in the new epoch.
    other = await started(backends(server.url, timeout=TIMEOUT), watch=False)
    rebuilt = await other.get_session(session.code)
    assert rebuilt is not None and rebuilt.epoch == snap.epoch
    outcome = await other.cast_ballot(session.code, question, ballot(question, "v0", "o1"), 1)
    assert outcome is BallotOutcome.ACCEPTED
    after = await backend.snapshot(session.code)
    assert after is not None and after.epoch == snap.epoch and after.seq > snap.seq and after.state_lost
    assert after.tally is not None and after.tally.voters == 1


async def test_deleted_session_is_not_rebuilt_by_a_process_that_cached_it(
    servers: Callable[..., RedisServer], backends: Callable[..., RedisBackend]
) -> None:
    """A session deleted in one process stays deleted in another that knew it (no resurrection)."""
    server = servers()
    session = poll_session()
    knows = await started(backends(server.url, timeout=TIMEOUT), session, watch=False)
    deleter = await started(backends(server.url, timeout=TIMEOUT), watch=False)
    assert await deleter.delete_session(session.code) is True
    assert await knows.get_session(session.code) is None
    assert await knows.snapshot(session.code) is None
    async with Redis.from_url(server.url, decode_responses=True) as raw:
        assert await raw.exists(f"lp:{{{session.code}}}:state") == 0


# F3 ------------------------------------------------------------------------------------------------------


async def test_f3_pubsub_connection_killed_ten_times_listener_comes_back_each_time(
    servers: Callable[..., RedisServer], backends: Callable[..., RedisBackend], caplog: pytest.LogCaptureFixture
) -> None:
    """CLIENT KILL TYPE pubsub ten times: the listener resubscribes each time (counter and one log line per
    kill), readiness comes back, and notices flow afterwards."""
    caplog.set_level(logging.WARNING, logger="livepoll.redis.notices")
    server = servers()
    session = poll_session()
    question = session.questions[0]
    backend = await started(backends(server.url, timeout=TIMEOUT), session)
    changes = Changes(backend)

    for kill in range(1, 11):
        killed = await asyncio.to_thread(kill_pubsub_clients, server)
        assert killed == 1
        await wait_until(lambda k=kill: backend.health().detail["reconnects"] == k, f"reconnect #{kill}")
        await wait_until(lambda: backend.health().ready, "readiness")

    lost = [r for r in caplog.records if "lost its subscription" in r.getMessage()]
    assert len(lost) == 10, [r.getMessage() for r in caplog.records]
    assert all(r.exc_info for r in lost), "the listener must log the error with its traceback"
    moment = time.monotonic()
    await backend.cast_ballot(session.code, question, ballot(question, "ala", "o1"), 1)
    await wait_until(lambda: changes.since(moment, session.code) > 0, "a notice after the kills")


async def test_f3_readiness_is_false_while_the_listener_cannot_resubscribe(
    servers: Callable[..., RedisServer], backends: Callable[..., RedisBackend]
) -> None:
    """While Redis refuses the listener's new connection (maxclients reached) readiness stays false; it
    turns true again once the listener is back."""
    server = servers()
    session = poll_session()
    backend = await started(backends(server.url, timeout=TIMEOUT), session)
    async with Redis.from_url(server.url, single_connection_client=True) as admin:
        await admin.config_set("maxclients", 1)
        try:
            assert await admin.client_kill_filter(_type="pubsub") == 1
            await wait_until(lambda: not backend.health().ready, "readiness to drop")
            # Did not come back: a short bounded wait, over which the listener retries several times.
            await stays(
                lambda: not backend.health().ready and backend.health().detail["listener_connected"] is False,
                "readiness false and the listener disconnected while Redis refuses it",
                0.5,
            )
        finally:
            await admin.config_set("maxclients", 10000)
    await wait_until(lambda: backend.health().ready, "readiness after Redis accepts connections again")
    assert backend.health().detail["reconnects"] == 1


# F4 ------------------------------------------------------------------------------------------------------


@pytest.fixture
async def proxy(servers: Callable[..., RedisServer]) -> AsyncIterator[StallProxy]:
    server = servers()
    stall = StallProxy(server.port)
    await stall.start()
    yield stall
    await asyncio.wait_for(stall.stop(), 5)


async def test_f4_without_probe_a_half_open_subscriber_starves_silently(
    proxy: StallProxy, backends: Callable[..., RedisBackend]
) -> None:
    """Safeguard off: a subscriber whose connection goes silent (no FIN) gets no notices, never notices
    it, and still claims to be ready."""
    session = poll_session()
    question = session.questions[0]
    backend = await started(backends(proxy.url, timeout=TIMEOUT, probe_interval=None), session)
    changes = Changes(backend)
    assert proxy.freeze_subscribers() == 1
    moment = time.monotonic()
    for i in range(3):
        assert await backend.cast_ballot(session.code, question, ballot(question, f"v{i}", "o1"), 1) is (
            BallotOutcome.ACCEPTED
        )
    # Did not arrive: a short bounded wait (an unfrozen notice takes milliseconds).
    await stays(lambda: changes.since(moment, session.code) == 0, "no notice through a frozen connection", 1.5)
    detail = backend.health().detail
    assert detail["reconnects"] == 0 and detail["probes_missed"] == 0
    assert backend.health().ready, "without the probe the listener cannot know it is deaf"


async def test_f4_probe_detects_a_half_open_subscriber_and_reconnects(
    proxy: StallProxy, backends: Callable[..., RedisBackend]
) -> None:
    """Safeguard on: the self-published probe goes missing, the listener reconnects within two probe
    intervals (plus scheduling), resyncs watched sessions and receives notices again."""
    interval = 0.2
    session = poll_session()
    question = session.questions[0]
    backend = await started(backends(proxy.url, timeout=TIMEOUT, probe_interval=interval), session)
    changes = Changes(backend)
    await wait_until(probe_came_back(backend), "a probe to make the round trip before the stall")
    assert backend.health().detail["probes_missed"] == 0
    assert proxy.freeze_subscribers() == 1
    frozen_at = time.monotonic()
    took = await wait_until(lambda: backend.health().detail["reconnects"] == 1, "the probe to trigger a reconnect")
    # Two intervals without a probe, checked every half interval; MARGIN is headroom for a loaded machine.
    assert took <= 3 * interval + MARGIN, f"reconnected {took:.2f}s after the stall"
    assert backend.health().detail["probes_missed"] == 1
    assert changes.since(frozen_at, session.code) >= 1, "watched sessions were not resynced after reconnecting"
    moment = time.monotonic()
    await backend.cast_ballot(session.code, question, ballot(question, "ala", "o1"), 1)
    await wait_until(lambda: changes.since(moment, session.code) > 0, "a notice after the reconnect")
    assert backend.health().ready


# F5 ------------------------------------------------------------------------------------------------------


async def test_f5_stalled_redis_fails_ballots_at_the_timeout(
    servers: Callable[..., RedisServer], backends: Callable[..., RedisBackend]
) -> None:
    """DEBUG SLEEP 5: a ballot fails as unavailable at the configured timeout and health answers at once;
    the pair, a backend configured with a 10 s timeout, hangs for the whole stall (what the bound prevents)."""
    server = servers()
    session = poll_session()
    question = session.questions[0]
    bounded = await started(backends(server.url, timeout=TIMEOUT), session, watch=False)
    unbounded = await started(backends(server.url, timeout=2 * STALL), watch=False)
    await unbounded.get_session(session.code)

    sleeper = asyncio.create_task(asyncio.to_thread(server.command, "DEBUG", "SLEEP", str(STALL), timeout=3 * STALL))
    # Redis is stalled once a PING goes unanswered for half a second (it answers in microseconds otherwise).
    await wait_until(lambda: asyncio.to_thread(lambda: not server.answers(0.5)), "Redis to stall in DEBUG SLEEP")

    async def timed(backend: RedisBackend, voter: str) -> tuple[BallotOutcome | BackendUnavailable, float]:
        began = time.monotonic()
        try:
            result: BallotOutcome | BackendUnavailable = await backend.cast_ballot(
                session.code, question, ballot(question, voter, "o1"), 1
            )
        except BackendUnavailable as exc:
            result = exc
        return result, time.monotonic() - began

    fast, slow = await asyncio.wait_for(asyncio.gather(timed(bounded, "ala"), timed(unbounded, "ola")), 4 * STALL)
    began = time.monotonic()
    health = bounded.health()
    # health() reads what the backend already knows, never Redis: far below TIMEOUT even on a loaded machine.
    assert time.monotonic() - began < 0.5
    assert not health.ready and health.detail["last_error"]
    assert await asyncio.wait_for(sleeper, 4 * STALL) == b"+OK"

    assert isinstance(fast[0], BackendUnavailable), fast
    assert TIMEOUT - 0.05 <= fast[1] <= TIMEOUT + MARGIN, f"refused after {fast[1]:.2f}s"
    # The unbounded one waited out the stall (it started at most a moment into it): longer than any refusal.
    assert slow[0] is BallotOutcome.ACCEPTED and slow[1] > TIMEOUT + MARGIN, slow

    # Redis is awake again: ballots go through and readiness comes back.
    outcome = await bounded.cast_ballot(session.code, question, ballot(question, "ala", "o1"), 1)
    assert outcome.acknowledged
    assert bounded.health().ready
