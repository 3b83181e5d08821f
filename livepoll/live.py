"""Fan-out: who watches which session, and how each of them gets the newest state.

Every change notice marks a session's room dirty. A room ticks at most `presenter_rate` times a second:
it reads the snapshot once, encodes each kind of frame once, and offers the same string to every viewer's
outbox. An outbox holds one pending frame (policy: latest-wins), so a viewer that stops reading costs one
frame of memory and gets the newest state when it catches up; it never delays the others.

A participant also gets its own ballot on the current question (a `ballot` frame), from the server: when
it joins and whenever the question, the epoch, the reset count or a quiz's reveal changes. Those are looked
up per room in one batch (one backend call for every participant waiting), and sit in a second latest-wins
slot of the outbox, after the shared frame. A host panel gets the presenter's frame with the host's fields
(pending entries, blocked words), encoded once per tick when a host is watching.

A timer's deadline needs no notice: the room ticks again when it passes, on every process, and the frames say
voting is closed. The quiz leaderboard is read when a reveal or the leaderboard's visibility changes.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace

from livepoll.backends.base import Backend
from livepoll.leaderboard import Standing
from livepoll.live_frames import (
    encode_ballot,
    encode_participant,
    encode_presenter,
    encode_qa,
    encode_qa_mine,
    participant_key,
    quiz_outcome,
    speaks_languages,
)
from livepoll.model import Session, Snapshot, StoredBallot
from livepoll.polls import read_standings
from livepoll.polls_qa import qa_view
from livepoll.qa import ASKED, UPVOTES, asked_of, upvoted_of

log = logging.getLogger("livepoll.live")

SendText = Callable[[str], Awaitable[None]]
Close = Callable[[int], Awaitable[None]]

# Close codes sent to viewers (4000-4999 are for applications, RFC 6455 section 7.4.2).
CLOSE_SESSION_DELETED = 4410
# The host key this presenter connected with was rotated: reconnect with the current credentials.
CLOSE_KEY_CHANGED = 4401
# Presence is written to the backend at most this often per session (a reconnect storm is one write).
PRESENCE_INTERVAL = 0.25
# A room ticks this long after a timer's deadline, so the store's clock has passed it too.
DEADLINE_MARGIN = 0.02


class Role(enum.Enum):
    PRESENTER = "presenter"
    HOST = "host"  # the host panel: the presenter's frame with what only the host may see
    PARTICIPANT = "participant"


class Outbox:
    """Latest-wins outbox of one connection: at most one frame waits; a newer one replaces it."""

    __slots__ = ("_close", "_drain_task", "_pending", "_personal", "_send", "closed", "replaced")

    def __init__(self, send: SendText, close: Close) -> None:
        self._send = send
        self._close = close
        self._pending: str | None = None
        self._personal: dict[str, str] = {}
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

    def offer_personal(self, frame: str, slot: str = "ballot") -> None:
        """The newest frame of one kind (`slot`) for this viewer only; sent after the shared one."""
        if self.closed:
            return
        self._personal[slot] = frame
        self._start()

    def _start(self) -> None:
        if self._drain_task is None:
            self._drain_task = asyncio.create_task(self._drain())

    @property
    def pending(self) -> str | None:
        return self._pending

    async def _drain(self) -> None:
        try:
            while not self.closed and (self._pending is not None or self._personal):
                if self._pending is not None:
                    frame, self._pending = self._pending, None
                else:
                    frame = self._personal.pop(next(iter(self._personal)))
                await self._send(frame)
        except Exception:  # the peer went away; its handler notices and leaves the room
            self.closed = True
            self._pending = None
            self._personal.clear()
        finally:
            self._drain_task = None

    async def close(self, code: int) -> None:
        self.closed = True
        self._pending = None
        self._personal.clear()
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
    # The language a participant reads texts in (None: the session's default).
    language: str | None = None


@dataclass(eq=False)
class Room:
    code: str
    presenters: set[Viewer] = field(default_factory=set)
    hosts: set[Viewer] = field(default_factory=set)
    participants: set[Viewer] = field(default_factory=set)
    presenter_frame: str | None = None
    host_frame: str | None = None
    # The participants' frame in each language some participant reads (one, keyed None, when the session's
    # texts have a single language).
    participant_frames: dict[str | None, str] = field(default_factory=dict)
    participant_key: object = None
    last_tick: float = 0.0
    tokens: float = 0.0  # ticks the room may make at once (LiveHub._tokens)
    tokens_at: float = 0.0
    last_phone_results: float = 0.0
    dirty: bool = False
    timer: asyncio.TimerHandle | None = None
    ticking: asyncio.Task[None] | None = None
    first_frames: asyncio.Future[None] | None = None
    presence_timer: asyncio.TimerHandle | None = None
    reported_presence: int = 0
    # What participants' `ballot` frames are about (epoch, current question, resets, revealed), and who
    # waits for one.
    ballot_key: tuple[str, str | None, int, bool] | None = None
    ballots_wanted: set[Viewer] = field(default_factory=set)
    ballot_lookup: asyncio.Task[None] | None = None
    snapshot: Snapshot | None = None
    deadline_timer: asyncio.TimerHandle | None = None
    # The quiz leaderboard and what it was read for (re-read when that changes).
    board: list[Standing] = field(default_factory=list)
    board_key: object = None
    # The Q&A frames (audience, host) and what they were read for; when phones last got one.
    qa_key: object = None
    qa_frame: str | None = None
    qa_host_frame: str | None = None
    qa_phones_at: float = 0.0
    qa_phones_sent: str | None = None

    @property
    def empty(self) -> bool:
        return not self.presenters and not self.hosts and not self.participants

    def audience(self, role: Role) -> set[Viewer]:
        return {Role.PRESENTER: self.presenters, Role.HOST: self.hosts, Role.PARTICIPANT: self.participants}[role]


class LiveHub:
    def __init__(
        self, backend: Backend, presenter_rate: float = 10.0, phone_rate: float = 2.0, language: str = "pl",
        burst: int = 3, min_gap: float = 0.02,
    ) -> None:
        self.backend = backend
        self.language = language  # of the friendly names on the leaderboard
        # Ticks of a room follow a token bucket: `presenter_rate` a second on average, up to `burst` at once
        # after a quiet spell, never closer than `min_gap`: a lone ballot shows at once, a flood is coalesced.
        self.tick_rate = presenter_rate
        self.burst = burst
        self.min_gap = min_gap
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
        language: str | None = None,
    ) -> Viewer:
        """Add a viewer and give it the current frame at once (from memory when the room is live); a
        participant (with its `voter` pseudonym) then gets its own ballot on the current question, and
        reads texts in `language` where the session has it."""
        room = self.rooms.get(code)
        if room is None:
            room = self.rooms[code] = Room(code)
            await self.backend.watch(code)
        viewer = Viewer(code, role, Outbox(send, close), voter, key_hash, language)
        room.audience(role).add(viewer)
        if role is Role.PARTICIPANT:
            self._presence_changed(room)
        if room.first_frames is None:
            room.first_frames = asyncio.get_running_loop().create_future()
            await self._tick(room)
        await asyncio.shield(room.first_frames)
        if role is Role.HOST and room.host_frame is None and room.snapshot is not None:
            room.host_frame = encode_presenter(room.snapshot, host=True, board=room.board)
        frame = {Role.PRESENTER: room.presenter_frame, Role.HOST: room.host_frame,
                 Role.PARTICIPANT: self._participant_frame(room, viewer)}[role]
        if frame is not None:
            viewer.outbox.offer(frame)
        qa_frame = room.qa_host_frame if role is Role.HOST else room.qa_frame
        if qa_frame is not None:
            viewer.outbox.offer_personal(qa_frame, "qa")
        if voter is not None and room.ballot_key is not None:
            self._want_ballots(room, (viewer,))
        return viewer

    def live_session(self, code: str) -> Session | None:
        """The session as the live room of `code` last read it (kept current by the session's change
        notices), or None when no room is live: a handshake into a live room needs no store read."""
        room = self.rooms.get(code)
        if room is None or room.snapshot is None or room.snapshot.state_lost:
            return None
        return room.snapshot.session

    async def leave(self, viewer: Viewer) -> None:
        room = self.rooms.get(viewer.code)
        if room is None:
            return
        room.presenters.discard(viewer)
        room.hosts.discard(viewer)
        room.ballots_wanted.discard(viewer)
        if viewer in room.participants:
            room.participants.discard(viewer)
            self._presence_changed(room)
        if room.empty:
            await self._close_room(room)

    async def _close_room(self, room: Room) -> None:
        if self.rooms.get(room.code) is room:
            del self.rooms[room.code]
        for handle in (room.timer, room.presence_timer, room.deadline_timer):
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
        now = time.monotonic()
        tokens = self._tokens(room, now)
        wait_token = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.tick_rate
        delay = max(0.0, wait_token, room.last_tick + self.min_gap - now)
        room.timer = asyncio.get_running_loop().call_later(delay, self._start_tick, room)

    def _tokens(self, room: Room, now: float) -> float:
        """The room's tick tokens at `now`: refilled at `tick_rate` a second up to `burst`."""
        room.tokens = min(float(self.burst), room.tokens + (now - room.tokens_at) * self.tick_rate)
        room.tokens_at = now
        return room.tokens

    def _start_tick(self, room: Room) -> None:
        room.timer = None
        if self.rooms.get(room.code) is room:
            room.ticking = asyncio.create_task(self._tick(room))

    async def _tick(self, room: Room) -> None:
        room.dirty = False
        room.last_tick = time.monotonic()
        room.tokens = max(0.0, self._tokens(room, room.last_tick) - 1.0)
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
                await self._read_board(room, snapshot)
                self._publish(room, snapshot)
                await self._publish_qa(room, snapshot)
        finally:
            self.ticks += 1
            room.ticking = None
            if room.first_frames is not None and not room.first_frames.done():
                room.first_frames.set_result(None)
            if room.dirty and self.rooms.get(room.code) is room:
                self._schedule(room)

    def _publish(self, room: Room, snapshot: Snapshot) -> None:
        room.snapshot = snapshot
        room.presenter_frame = encode_presenter(snapshot, board=room.board)
        self.encodes += 1
        room.host_frame = None
        if room.hosts:
            room.host_frame = encode_presenter(snapshot, host=True, board=room.board)
            self.encodes += 1
        for audience, frame in ((room.presenters, room.presenter_frame), (room.hosts, room.host_frame)):
            for viewer in list(audience):
                if viewer.key_hash is not None and viewer.key_hash != snapshot.host_key_hash:
                    self._drop(room, viewer, CLOSE_KEY_CHANGED)  # its host key was rotated
                elif frame is not None:
                    viewer.outbox.offer(frame)
        self._watch_deadline(room, snapshot)
        state = snapshot.state
        revealed = state.current is not None and state.current in state.revealed
        ballot_key = (snapshot.epoch, state.current, state.resets, revealed)
        if ballot_key != room.ballot_key:
            room.ballot_key = ballot_key
            self._want_ballots(room, [v for v in room.participants if v.voter is not None])
        show_results = state.results_on_phones and snapshot.tally is not None
        key = participant_key(snapshot)
        now = time.monotonic()
        if key == room.participant_key and room.participant_frames:
            if not show_results:
                return
            if now - room.last_phone_results < self.phone_interval:
                room.dirty = True  # send the newest results when the phone interval allows
                return
        room.participant_key = key
        room.last_phone_results = now
        room.participant_frames = {}
        for viewer in room.participants:
            frame = self._participant_frame(room, viewer)
            if frame is not None:
                viewer.outbox.offer(frame)

    def _participant_frame(self, room: Room, viewer: Viewer) -> str | None:
        """The participants' frame in the viewer's language, encoded once per language per tick."""
        snapshot = room.snapshot
        if snapshot is None:
            return None
        language = viewer.language if speaks_languages(snapshot) else None
        frame = room.participant_frames.get(language)
        if frame is None:
            frame = room.participant_frames[language] = encode_participant(snapshot, language)
            self.encodes += 1
        return frame

    def _watch_deadline(self, room: Room, snapshot: Snapshot) -> None:
        """Tick again when a running timer's deadline passes, so screens and phones show voting closed."""
        if room.deadline_timer is not None:
            room.deadline_timer.cancel()
            room.deadline_timer = None
        state = snapshot.state
        if state.deadline is None or not state.open_at(snapshot.now):
            return
        delay = state.deadline - snapshot.now + DEADLINE_MARGIN
        room.deadline_timer = asyncio.get_running_loop().call_later(delay, self._deadline_passed, room)

    def _deadline_passed(self, room: Room) -> None:
        room.deadline_timer = None
        if self.rooms.get(room.code) is room:
            room.dirty = True
            self._schedule(room)

    async def _publish_qa(self, room: Room, snapshot: Snapshot) -> None:
        """Read the Q&A again when it changed (its channels' versions, its live state) and offer its frames:
        to presenters and hosts at once, to phones at most every phone interval (then the room ticks again)."""
        if not snapshot.qa.enabled:
            return
        state = snapshot.state
        key = (snapshot.epoch, snapshot.qa_versions, state.qa_open, state.qa_pinned)
        if key != room.qa_key:
            session = await self.backend.get_session(room.code)
            if session is None:
                return
            view = await qa_view(self.backend, replace(session, state=state))
            room.qa_key = key
            room.qa_frame = encode_qa(snapshot, view, host=False)
            room.qa_host_frame = encode_qa(snapshot, view, host=True)
            for viewer in room.presenters:
                viewer.outbox.offer_personal(room.qa_frame, "qa")
            for viewer in room.hosts:
                viewer.outbox.offer_personal(room.qa_host_frame, "qa")
        if room.qa_frame is None or room.qa_frame == room.qa_phones_sent:
            return
        now = time.monotonic()
        if now - room.qa_phones_at < self.phone_interval:
            room.dirty = True  # the phones get the newest list when their interval allows
            return
        room.qa_phones_at, room.qa_phones_sent = now, room.qa_frame
        for viewer in room.participants:
            viewer.outbox.offer_personal(room.qa_frame, "qa")

    async def _read_board(self, room: Room, snapshot: Snapshot) -> None:
        """The quiz standings, read again when a reveal, the leaderboard's visibility or (while it is shown)
        anything else changed."""
        state = snapshot.state
        if not state.revealed:
            room.board, room.board_key = [], None
            return
        key = (snapshot.epoch, state.revealed, state.resets, state.leaderboard and snapshot.seq)
        if key == room.board_key:
            return
        session = await self.backend.get_session(room.code)
        if session is None:
            return
        room.board = await read_standings(self.backend, replace(session, state=state), self.language)
        room.board_key = key

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
                epoch, question_id, resets, revealed = key
                found: dict[str, StoredBallot] = {}
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
                places = {place.voter: place for place in room.board} if revealed else {}
                for viewer in waiting:
                    if viewer.voter is None:
                        continue
                    mine = found.get(viewer.voter)
                    value, cast_at = (None, None) if mine is None else (mine.value, mine.cast_at)
                    outcome = None
                    if revealed and room.snapshot is not None:
                        outcome = quiz_outcome(room.snapshot, value, cast_at, places, viewer.voter, len(room.board))
                    viewer.outbox.offer_personal(encode_ballot(epoch, question_id, resets, value, outcome))
                if room.snapshot is not None and room.snapshot.qa.enabled:
                    await self._send_qa_mine(room, waiting)
        finally:
            room.ballot_lookup = None

    async def _send_qa_mine(self, room: Room, viewers: set[Viewer]) -> None:
        """Each participant's own Q&A questions and upvotes (one lookup per channel for all of them)."""
        voters = {v.voter for v in viewers if v.voter is not None}
        asked = await self.backend.own_ballots(room.code, ASKED, voters)
        upvoted = await self.backend.own_ballots(room.code, UPVOTES, voters)
        for viewer in viewers:
            if viewer.voter is None:
                continue
            mine, up = asked.get(viewer.voter), upvoted.get(viewer.voter)
            ids = [str(q["id"]) for q in asked_of(None if mine is None else mine.value)]
            viewer.outbox.offer_personal(encode_qa_mine(ids, upvoted_of(None if up is None else up.value)), "qa_mine")

    async def _session_gone(self, room: Room) -> None:
        viewers = list(room.presenters | room.hosts | room.participants)
        room.presenters.clear()
        room.hosts.clear()
        room.participants.clear()
        await self._close_room(room)
        await asyncio.gather(*(v.outbox.close(CLOSE_SESSION_DELETED) for v in viewers))

    async def close_all(self, code: int) -> None:
        """Close every viewer (server shutdown: 1012 tells clients to reconnect at once)."""
        viewers = [v for room in self.rooms.values() for v in (*room.presenters, *room.hosts, *room.participants)]
        await asyncio.gather(*(v.outbox.close(code) for v in viewers))


