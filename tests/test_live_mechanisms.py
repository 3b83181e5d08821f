"""The mechanisms behind the capacity figures (issue 4), tested without timing anything:

- a latest-wins outbox holds at most one frame for a reader that stopped, and sends the newest when it resumes;
- a snapshot tick encodes once, however many viewers the room has, and all of them get the same string;
- coalescing caps the snapshot rate: a burst of ballots makes at most duration * rate + 1 ticks;
- exactness under a concurrent burst, on both backends: every participant's last ballot is counted once.

Waits below are bounded safety nets (`within`), never the thing asserted.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from support.redis_server import RedisServer, RedisServerMissing
from support.stores import tallies
from support.waiting import stays

from livepoll.backends.base import Backend
from livepoll.backends.embedded import EmbeddedBackend
from livepoll.backends.redis_presence import THROTTLE
from livepoll.kinds import choices_answer, make_question
from livepoll.live import LiveHub, Outbox, Role
from livepoll.model import Ballot, LiveState, Session, hash_host_key, new_join_code
from livepoll.questions import Question

WITHIN = 10.0


async def wait_for(check: Callable[[], bool], what: str, within: float = WITHIN) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {within}s waiting for {what}")
        await asyncio.sleep(0.001)


def question() -> Question:
    return make_question(1, "Który dzień?", ["poniedziałek", "wtorek", "środa", "czwartek"], None, True)


def session_with(q: Question) -> Session:
    return Session(
        code=new_join_code(), title="Pomiar", host_key_hash=hash_host_key("k"), questions=(q,),
        state=LiveState(current=q.id), created_at=time.time(),
    )


def ballot(q: Question, voter: str, choice: str) -> Ballot:
    return Ballot.of(q.id, voter, choices_answer(q, [choice]), time.time())


class Viewer:
    """A fake WebSocket: `send` appends to a list (and can be made to block, like a reader that stopped)."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.blocked = 0

    async def send(self, frame: str) -> None:
        if not self.gate.is_set():
            self.blocked += 1
            await self.gate.wait()
        self.frames.append(frame)

    async def close(self, code: int) -> None:
        pass

    def seq(self) -> int:
        return int(json.loads(self.frames[-1])["seq"]) if self.frames else -1


# Outbox ---------------------------------------------------------------------------------------------------


async def test_outbox_keeps_one_frame_for_a_stalled_reader_and_sends_the_newest() -> None:
    """L3: a viewer that stopped reading holds one pending frame, however many come; it gets the newest."""
    viewer = Viewer()
    viewer.gate.clear()  # the reader stopped: the first send blocks
    box = Outbox(viewer.send, viewer.close)
    box.offer("frame 0")
    await wait_for(lambda: viewer.blocked == 1, "the first send to block")
    for n in range(1, 1001):
        box.offer(f"frame {n}")
    assert box.pending == "frame 1000"  # one frame waits, whatever was offered
    assert box.replaced == 999  # every older pending frame was replaced, none queued
    viewer.gate.set()  # the reader catches up
    await wait_for(lambda: box.pending is None and len(viewer.frames) == 2, "the outbox to drain")
    assert viewer.frames == ["frame 0", "frame 1000"]


async def test_closed_outbox_takes_nothing() -> None:
    viewer = Viewer()
    box = Outbox(viewer.send, viewer.close)
    await box.close(1001)
    box.offer("late")
    assert box.pending is None
    assert viewer.frames == []


# Hub ------------------------------------------------------------------------------------------------------


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[EmbeddedBackend]:
    backend = EmbeddedBackend(tmp_path / "data")
    await backend.start()
    try:
        yield backend
    finally:
        await backend.stop()


def _all_at(screens: list[Viewer], seq: int) -> Callable[[], bool]:
    return lambda: all(s.seq() >= seq for s in screens)


async def _encodes_for(tmp_path: Path, viewers: int, rounds: int) -> tuple[int, int, list[Viewer]]:
    """Run `rounds` ballots, one at a time, each waited for on every screen; return (encodes, ticks)."""
    backend = EmbeddedBackend(tmp_path / f"data-{viewers}")
    await backend.start()
    try:
        q = question()
        session = session_with(q)
        await backend.create_session(session)
        hub = LiveHub(backend, presenter_rate=1000.0)  # fast ticks keep the test short; counts do not depend on it
        screens = [Viewer() for _ in range(viewers)]
        for screen in screens:
            await hub.join(session.code, Role.PRESENTER, screen.send, screen.close)
        await wait_for(lambda: all(s.frames for s in screens), "the first frame on every screen")
        for n in range(rounds):
            await backend.cast_ballot(session.code, q, ballot(q, f"voter-{n}", "o1"), 1)
            seq = (await backend.snapshot(session.code)).seq  # type: ignore[union-attr]
            await wait_for(_all_at(screens, seq), f"ballot {n} on every screen")
        return hub.encodes, hub.ticks, screens
    finally:
        await backend.stop()


async def test_one_encode_per_tick_whatever_the_number_of_viewers(tmp_path: Path) -> None:
    one_encodes, one_ticks, _ = await _encodes_for(tmp_path, viewers=1, rounds=20)
    many_encodes, many_ticks, screens = await _encodes_for(tmp_path, viewers=50, rounds=20)
    assert many_ticks == one_ticks
    assert many_encodes == one_encodes
    assert many_encodes <= 2 * many_ticks  # at most one presenter and one participant frame per tick
    # Encode once, send many: every screen got the very same string object for the latest state.
    last = screens[0].frames[-1]
    assert all(s.frames[-1] is last for s in screens)


async def test_coalescing_caps_the_snapshot_rate(embedded: EmbeddedBackend) -> None:
    """L1: 600 ballots at once make at most rate x duration + burst ticks, and the last frame has them all."""
    rate = 10.0
    q = question()
    session = session_with(q)
    await embedded.create_session(session)
    hub = LiveHub(embedded, presenter_rate=rate)
    screen = Viewer()
    await hub.join(session.code, Role.PRESENTER, screen.send, screen.close)
    await wait_for(lambda: bool(screen.frames), "the first frame")
    ticks_before, frames_before = hub.ticks, len(screen.frames)
    started = time.monotonic()
    voters = 600
    await asyncio.gather(*(embedded.cast_ballot(session.code, q, ballot(q, f"v{n}", "o2"), 1) for n in range(voters)))
    final_seq = (await embedded.snapshot(session.code)).seq  # type: ignore[union-attr]
    await wait_for(lambda: screen.seq() >= final_seq, "the final state on the screen")
    elapsed = time.monotonic() - started
    ticks = hub.ticks - ticks_before
    assert ticks <= elapsed * rate + hub.burst  # hundreds of changes, a handful of ticks
    assert ticks < voters / 10
    assert 1 <= len(screen.frames) - frames_before <= ticks  # at most one frame per tick, none per ballot
    last = json.loads(screen.frames[-1])
    assert last["voters"] == voters  # coalescing never loses the newest state
    assert {o["id"]: o["votes"] for o in last["question"]["options"]}["o2"] == voters


async def test_a_change_after_a_quiet_spell_shows_without_waiting_for_a_tick(embedded: EmbeddedBackend) -> None:
    """With one tick per 5 s on average and bursts of 3, three ballots sent one after another (each once the
    previous one showed) all show long before a second tick would be due: the bucket, not the interval, lets
    them through; a fourth then waits for a token."""
    rate = 0.2
    q = question()
    session = session_with(q)
    await embedded.create_session(session)
    hub = LiveHub(embedded, presenter_rate=rate, burst=3, min_gap=0.0)
    screen = Viewer()
    await hub.join(session.code, Role.PRESENTER, screen.send, screen.close)
    await wait_for(lambda: bool(screen.frames), "the first frame")
    hub.rooms[session.code].tokens = 3.0  # a room that has been quiet for a while
    started = time.monotonic()
    for n in range(3):
        await embedded.cast_ballot(session.code, q, ballot(q, f"v{n}", "o1"), 1)
        await wait_for(lambda n=n: json.loads(screen.frames[-1])["voters"] == n + 1, f"ballot {n + 1} on the screen")
    assert time.monotonic() - started < 1 / rate  # a strict 1-per-5-s tick would take 10 s for these three
    await embedded.cast_ballot(session.code, q, ballot(q, "v3", "o1"), 1)
    await stays(lambda: json.loads(screen.frames[-1])["voters"] == 3, "the fourth ballot to wait for a token", 1.0)


# Exactness on both backends -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mechanisms_redis() -> Iterator[RedisServer]:
    try:
        server = RedisServer()
    except RedisServerMissing as exc:  # a missing Redis fails the Redis half loudly; it never skips it
        pytest.fail(str(exc))
    server.start()
    yield server
    server.close()


@pytest.fixture(params=["embedded", "redis"])
async def any_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    backend: Backend
    if request.param == "embedded":
        backend = EmbeddedBackend(tmp_path / "data")
    else:
        from livepoll.backends.redis import RedisBackend

        redis: RedisServer = request.getfixturevalue("mechanisms_redis")
        backend = RedisBackend(redis.url, prefix=f"m{secrets.token_hex(4)}", timeout=5.0)
    await backend.start()
    try:
        await wait_for(lambda: backend.health().ready, "the backend to become ready")
        yield backend
    finally:
        await backend.stop()


async def test_concurrent_burst_is_counted_exactly(any_backend: Backend) -> None:
    """L1: 200 participants each change their ballot 5 times while all the others do the same, one of them also
    re-sends the same ballot 100 times at once: the tally equals every participant's last ballot."""
    q = question()
    session = session_with(q)
    await any_backend.create_session(session)
    options = [o.id for o in q.options]
    final: dict[str, str] = {}

    async def participant(n: int) -> None:
        voter = f"voter-{n}"
        for k in range(5):
            choice = options[(n + k) % len(options)]
            outcome = await any_backend.cast_ballot(session.code, q, ballot(q, voter, choice), 1)
            assert outcome.acknowledged
            final[voter] = choice

    async def resender() -> None:
        b = ballot(q, "resender", "o3")
        outcomes = await asyncio.gather(*(any_backend.cast_ballot(session.code, q, b, 1) for _ in range(100)))
        assert all(o.acknowledged for o in outcomes)
        final["resender"] = "o3"

    await asyncio.gather(*(participant(n) for n in range(200)), resender())
    tally = (await tallies(any_backend, session.code))[q.id]
    expected = Counter(final.values())
    assert tally.voters == len(final) == 201
    assert dict(tally.votes) == {o: expected.get(o, 0) for o in options}
    assert sum(tally.votes.values()) == 201  # single-choice: one vote per voter, never two
    # The responses export agrees: one row per participant, with their last ballot.
    responses = await any_backend.responses(session.code)
    assert sorted(r.voter for r in responses) == sorted(final)
    assert {r.voter: r.choices for r in responses} == {voter: (choice,) for voter, choice in final.items()}


async def test_a_room_stays_subscribed_while_its_last_viewer_leaves_and_another_joins(any_backend: Backend) -> None:
    """The last participant leaving (its room closing: presence written, then unwatch) while another joins
    must not leave the new room unsubscribed: each round, a ballot cast afterwards reaches the new viewer."""
    q = question()
    session = session_with(q)
    await any_backend.create_session(session)
    hub = LiveHub(any_backend, presenter_rate=1000.0)
    for n in range(12):
        leaving = Viewer()
        first = await hub.join(session.code, Role.PARTICIPANT, leaving.send, leaving.close)
        # Wait until this room has reported its participant, so that closing it writes presence (an await)
        # before it stops watching: the window in which a new viewer's room starts watching.
        room = hub.rooms[session.code]
        await wait_for(lambda room=room: room.reported_presence == 1, "the presence report")  # type: ignore[misc]
        # On Redis a presence change within THROTTLE of the last write is left to the background loop (no
        # await): a participant who stays a moment longer, as in a real session, makes the leave write it.
        reported = time.monotonic()
        await wait_for(lambda reported=reported: time.monotonic() - reported > THROTTLE, "the presence throttle")  # type: ignore[misc]
        staying = Viewer()
        _, second = await asyncio.gather(
            hub.leave(first), hub.join(session.code, Role.PRESENTER, staying.send, staying.close)
        )
        outcome = await any_backend.cast_ballot(session.code, q, ballot(q, f"voter-{n}", "o2"), 1)
        assert outcome.acknowledged
        await wait_for(
            lambda staying=staying, n=n: any(  # type: ignore[misc]
                json.loads(f).get("voters") == n + 1 for f in staying.frames
            ),
            f"round {n}: the new viewer to see the ballot",
        )
        await hub.leave(second)


@pytest.mark.parametrize("ref", ["", "12:3456.789012", 'ż"\\\n\u2028<>&', "r" * 64])
def test_ack_and_error_frames_are_the_bytes_the_frame_models_give(ref: str) -> None:
    """The ack and error frames are built as strings on the ballot path (no model, no encoder object per
    ballot): byte for byte what the documented frame models encode to."""
    from livepoll.frames import AckFrame, ErrorFrame, encode_ack, encode_error

    assert encode_ack(ref) == json.dumps(AckFrame(ref=ref).model_dump())
    message = "Głos „nie” — spróbuj\nznowu"
    expected = json.dumps(ErrorFrame(ref=ref, error="unavailable", message=message).model_dump(), ensure_ascii=False)
    assert encode_error(ref, "unavailable", message) == expected
