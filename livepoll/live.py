"""Fan-out: who watches which session, and how each of them gets the newest state.

Every change notice marks a session's room dirty. A room ticks at most `presenter_rate` times a second:
it reads the snapshot once, encodes each kind of frame once, and offers the same string to every viewer's
outbox. An outbox holds one pending frame (policy: latest-wins), so a viewer that stops reading costs one
frame of memory and gets the newest state when it catches up; it never delays the others.

A participant also gets its own ballot on the current question (a `ballot` frame), from the server: when
it joins and whenever the question, the epoch or the reset count changes. Those are looked up per room in
one batch (one backend call for every participant waiting), and sit in a second latest-wins slot of the
outbox, after the shared frame.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, cast

from livepoll.backends.base import Backend
from livepoll.frames import (
    BallotFrame,
    OptionCount,
    OptionVotes,
    ParticipantFrame,
    PhoneResults,
    PresenterFrame,
    PublicQuestion,
    QuestionVotes,
)
from livepoll.model import Snapshot, ballot_fields

log = logging.getLogger("livepoll.live")

SendText = Callable[[str], Awaitable[None]]
Close = Callable[[int], Awaitable[None]]

# Close codes sent to viewers (4000-4999 are for applications, RFC 6455 section 7.4.2).
CLOSE_SESSION_DELETED = 4410
# The host key this presenter connected with was rotated: reconnect with the current credentials.
CLOSE_KEY_CHANGED = 4401
# Presence is written to the backend at most this often per session (a reconnect storm is one write).
PRESENCE_INTERVAL = 0.25


class Role(enum.Enum):
    PRESENTER = "presenter"
    PARTICIPANT = "participant"


class Outbox:
    """Latest-wins outbox of one connection: at most one frame waits; a newer one replaces it."""

    __slots__ = ("_close", "_drain_task", "_pending", "_personal", "_send", "closed", "replaced")

    def __init__(self, send: SendText, close: Close) -> None:
        self._send = send
        self._close = close
        self._pending: str | None = None
        self._personal: str | None = None
        self._drain_task: asyncio.Task[None] | None = None
        self.closed = False
        self.replaced = 0

    def offer(self, frame: str) -> None:
        """The newest shared frame (the same string for every viewer of the room)."""
        if self.closed:
            return
        if self._pending is not None:
            self.replaced += 1
        self._pending = frame
        self._start()

    def offer_personal(self, frame: str) -> None:
        """The newest frame for this viewer only; sent after the shared one."""
        if self.closed:
            return
        self._personal = frame
        self._start()

    def _start(self) -> None:
        if self._drain_task is None:
            self._drain_task = asyncio.create_task(self._drain())

    @property
    def pending(self) -> str | None:
        return self._pending

    async def _drain(self) -> None:
        try:
            while not self.closed and (self._pending is not None or self._personal is not None):
                if self._pending is not None:
                    frame, self._pending = self._pending, None
                else:
                    frame, self._personal = self._personal or "", None
                await self._send(frame)
        except Exception:  # the peer went away; its handler notices and leaves the room
            self.closed = True
            self._pending = self._personal = None
        finally:
            self._drain_task = None

    async def close(self, code: int) -> None:
        self.closed = True
        self._pending = self._personal = None
        try:
            await self._close(code)
        except Exception:
            log.debug("closing a viewer that is already gone", exc_info=True)


@dataclass(eq=False, slots=True)
class Viewer:
    """One connection. A participant has its voter pseudonym; a presenter the hash of the host key it
    connected with (None when an administrator connected)."""

    code: str
    role: Role
    outbox: Outbox
    voter: str | None = None
    key_hash: str | None = None


@dataclass(eq=False)
class Room:
    code: str
    presenters: set[Viewer] = field(default_factory=set)
    participants: set[Viewer] = field(default_factory=set)
    presenter_frame: str | None = None
    participant_frame: str | None = None
    participant_key: object = None
    last_tick: float = 0.0
    last_phone_results: float = 0.0
    dirty: bool = False
    timer: asyncio.TimerHandle | None = None
    ticking: asyncio.Task[None] | None = None
    first_frames: asyncio.Future[None] | None = None
    presence_timer: asyncio.TimerHandle | None = None
    reported_presence: int = 0
    # What participants' `ballot` frames are about (epoch, current question, resets), and who waits for one.
    ballot_key: tuple[str, str | None, int] | None = None
    ballots_wanted: set[Viewer] = field(default_factory=set)
    ballot_lookup: asyncio.Task[None] | None = None

    @property
    def empty(self) -> bool:
        return not self.presenters and not self.participants


class LiveHub:
    def __init__(self, backend: Backend, presenter_rate: float = 10.0, phone_rate: float = 2.0) -> None:
        self.backend = backend
        self.tick_interval = 1.0 / presenter_rate
        self.phone_interval = 1.0 / phone_rate
        self.rooms: dict[str, Room] = {}
        self.encodes = 0
        self.ticks = 0
        self.tick_errors = 0
        self._background: set[asyncio.Task[None]] = set()
        backend.on_change = self.changed

    # Viewers ---------------------------------------------------------------------------------------------

    async def join(
        self,
        code: str,
        role: Role,
        send: SendText,
        close: Close,
        *,
        voter: str | None = None,
        key_hash: str | None = None,
    ) -> Viewer:
        """Add a viewer and give it the current frame at once (from memory when the room is live); a
        participant (with its `voter` pseudonym) then gets its own ballot on the current question."""
        room = self.rooms.get(code)
        if room is None:
            room = self.rooms[code] = Room(code)
            await self.backend.watch(code)
        viewer = Viewer(code, role, Outbox(send, close), voter, key_hash)
        (room.presenters if role is Role.PRESENTER else room.participants).add(viewer)
        if role is Role.PARTICIPANT:
            self._presence_changed(room)
        if room.first_frames is None:
            room.first_frames = asyncio.get_running_loop().create_future()
            await self._tick(room)
        await asyncio.shield(room.first_frames)
        frame = room.presenter_frame if role is Role.PRESENTER else room.participant_frame
        if frame is not None:
            viewer.outbox.offer(frame)
        if voter is not None and room.ballot_key is not None:
            self._want_ballots(room, (viewer,))
        return viewer

    async def leave(self, viewer: Viewer) -> None:
        room = self.rooms.get(viewer.code)
        if room is None:
            return
        room.presenters.discard(viewer)
        room.ballots_wanted.discard(viewer)
        if viewer in room.participants:
            room.participants.discard(viewer)
            self._presence_changed(room)
        if room.empty:
            await self._close_room(room)

    async def _close_room(self, room: Room) -> None:
        if self.rooms.get(room.code) is room:
            del self.rooms[room.code]
        for handle in (room.timer, room.presence_timer):
            if handle is not None:
                handle.cancel()
        if room.reported_presence:
            await self.backend.report_presence(room.code, 0)
        # A viewer may have joined while this room was closing: its new room watches the session (the
        # backend's watch was a no-op while this one still watched), so it must not be unwatched now. The
        # check and the unwatch call have no await in between.
        if room.code not in self.rooms:
            await self.backend.unwatch(room.code)

    def participants_here(self, code: str) -> int:
        room = self.rooms.get(code)
        return 0 if room is None else len(room.participants)

    # Presence --------------------------------------------------------------------------------------------

    def _presence_changed(self, room: Room) -> None:
        if room.presence_timer is None:
            loop = asyncio.get_running_loop()
            room.presence_timer = loop.call_later(PRESENCE_INTERVAL, self._flush_presence, room)

    def _flush_presence(self, room: Room) -> None:
        room.presence_timer = None
        count = len(room.participants)
        if count != room.reported_presence:
            room.reported_presence = count
            task = asyncio.create_task(self._report_presence(room.code, count))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _report_presence(self, code: str, count: int) -> None:
        try:
            await self.backend.report_presence(code, count)
        except Exception:
            log.warning("could not report presence of session %s", code, exc_info=True)

    # Ticks -----------------------------------------------------------------------------------------------

    def changed(self, code: str) -> None:
        """A change notice from the backend: schedule one coalesced tick for the session's room."""
        room = self.rooms.get(code)
        if room is None:
            return
        room.dirty = True
        self._schedule(room)

    def _schedule(self, room: Room) -> None:
        if room.timer is not None or room.ticking is not None or room.first_frames is None:
            return
        delay = max(0.0, room.last_tick + self.tick_interval - time.monotonic())
        room.timer = asyncio.get_running_loop().call_later(delay, self._start_tick, room)

    def _start_tick(self, room: Room) -> None:
        room.timer = None
        if self.rooms.get(room.code) is room:
            room.ticking = asyncio.create_task(self._tick(room))

    async def _tick(self, room: Room) -> None:
        room.dirty = False
        room.last_tick = time.monotonic()
        try:
            snapshot = await self.backend.snapshot(room.code)
        except Exception:
            self.tick_errors += 1
            log.warning("snapshot of session %s failed; retrying on the next tick", room.code, exc_info=True)
            room.dirty = True
            snapshot = None
            failed = True
        else:
            failed = False
        try:
            if snapshot is None and not failed:
                await self._session_gone(room)
            elif snapshot is not None:
                self._publish(room, snapshot)
        finally:
            self.ticks += 1
            room.ticking = None
            if room.first_frames is not None and not room.first_frames.done():
                room.first_frames.set_result(None)
            if room.dirty and self.rooms.get(room.code) is room:
                self._schedule(room)

    def _publish(self, room: Room, snapshot: Snapshot) -> None:
        room.presenter_frame = encode_presenter(snapshot)
        self.encodes += 1
        for viewer in list(room.presenters):
            if viewer.key_hash is not None and viewer.key_hash != snapshot.host_key_hash:
                self._drop(room, viewer, CLOSE_KEY_CHANGED)  # its host key was rotated
                continue
            viewer.outbox.offer(room.presenter_frame)
        ballot_key = (snapshot.epoch, snapshot.state.current, snapshot.state.resets)
        if ballot_key != room.ballot_key:
            room.ballot_key = ballot_key
            self._want_ballots(room, [v for v in room.participants if v.voter is not None])
        show_results = snapshot.state.results_on_phones and snapshot.tally is not None
        key = (
            snapshot.epoch,
            snapshot.state.current,
            snapshot.state.voting_open,
            snapshot.state.resets,
            show_results,
        )
        now = time.monotonic()
        if key == room.participant_key and room.participant_frame is not None:
            if not show_results:
                return
            if now - room.last_phone_results < self.phone_interval:
                room.dirty = True  # send the newest results when the phone interval allows
                return
        room.participant_key = key
        room.last_phone_results = now
        room.participant_frame = encode_participant(snapshot)
        self.encodes += 1
        for viewer in room.participants:
            viewer.outbox.offer(room.participant_frame)

    def _drop(self, room: Room, viewer: Viewer, code: int) -> None:
        room.presenters.discard(viewer)
        task = asyncio.create_task(viewer.outbox.close(code))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # Participants' own ballots -------------------------------------------------------------------------------

    def _want_ballots(self, room: Room, viewers: Iterable[Viewer]) -> None:
        room.ballots_wanted.update(viewers)
        if room.ballot_lookup is None and room.ballots_wanted:
            room.ballot_lookup = asyncio.create_task(self._send_ballots(room))

    async def _send_ballots(self, room: Room) -> None:
        """One lookup for every participant of the room waiting for its ballot frame; repeats while more
        came in meanwhile (a reconnect storm is a few large lookups, not thousands of small ones)."""
        try:
            while room.ballots_wanted and self.rooms.get(room.code) is room and room.ballot_key is not None:
                key = room.ballot_key
                waiting, room.ballots_wanted = room.ballots_wanted, set()
                epoch, question_id, resets = key
                found: dict[str, str] = {}
                if question_id is not None:
                    voters = {v.voter for v in waiting if v.voter is not None}
                    try:
                        found = await self.backend.own_ballots(room.code, question_id, voters)
                    except Exception:
                        log.warning("could not look up ballots of session %s", room.code, exc_info=True)
                        room.ballots_wanted |= waiting
                        return  # the next tick with a new key, or the next join, tries again
                if room.ballot_key != key:
                    room.ballots_wanted |= waiting  # the question moved meanwhile: look up the new one
                    continue
                for viewer in waiting:
                    if viewer.voter is not None:
                        viewer.outbox.offer_personal(encode_ballot(epoch, question_id, resets, found.get(viewer.voter)))
        finally:
            room.ballot_lookup = None

    async def _session_gone(self, room: Room) -> None:
        viewers = list(room.presenters | room.participants)
        room.presenters.clear()
        room.participants.clear()
        await self._close_room(room)
        await asyncio.gather(*(v.outbox.close(CLOSE_SESSION_DELETED) for v in viewers))

    async def close_all(self, code: int) -> None:
        """Close every viewer (server shutdown: 1012 tells clients to reconnect at once)."""
        viewers = [v for room in self.rooms.values() for v in (*room.presenters, *room.participants)]
        await asyncio.gather(*(v.outbox.close(code) for v in viewers))


def _question_frame(snapshot: Snapshot) -> QuestionVotes | None:
    question, tally = snapshot.question, snapshot.tally
    if question is None:
        return None
    votes = {} if tally is None else tally.votes
    return QuestionVotes(
        id=question.id, kind=cast(Literal["choice"], question.kind.value), text=question.text,
        max_choices=question.max_choices,
        allow_change=question.allow_change,
        options=[OptionVotes(id=o.id, label=o.label, votes=votes.get(o.id, 0)) for o in question.options],
    )


def _presenter(snapshot: Snapshot) -> PresenterFrame:
    state = snapshot.state
    return PresenterFrame(
        seq=snapshot.seq,
        epoch=snapshot.epoch,
        state_lost=snapshot.state_lost,
        question=_question_frame(snapshot),
        voters=0 if snapshot.tally is None else snapshot.tally.voters,
        voting_open=state.voting_open,
        results_visible=state.results_visible,
        results_on_phones=state.results_on_phones,
        participants=snapshot.participants,
    )


def presenter_frame(snapshot: Snapshot) -> dict[str, object]:
    """The presenter's `results` message as data; pages also render their first screen from it."""
    return _presenter(snapshot).model_dump(mode="json")


def encode_presenter(snapshot: Snapshot) -> str:
    return _presenter(snapshot).model_dump_json()


def encode_ballot(epoch: str, question_id: str | None, resets: int, value: str | None) -> str:
    """A participant's own counted ballot on the question (its fields as sent), or null."""
    ballot = None if value is None else ballot_fields(value)
    return BallotFrame(epoch=epoch, question=question_id, resets=resets, ballot=ballot).model_dump_json()


def encode_participant(snapshot: Snapshot) -> str:
    state, tally, question = snapshot.state, snapshot.tally, snapshot.question
    results = None
    if state.results_on_phones and tally is not None:
        options = [OptionCount(id=oid, votes=votes) for oid, votes in tally.votes.items()]
        results = PhoneResults(voters=tally.voters, options=options)
    return ParticipantFrame(
        seq=snapshot.seq,
        epoch=snapshot.epoch,
        state_lost=snapshot.state_lost,
        question=None if question is None else PublicQuestion.of(question),
        voting_open=state.voting_open,
        resets=state.resets,
        results=results,
    ).model_dump_json()
