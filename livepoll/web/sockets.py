"""Participant and presenter WebSockets.

Frames to viewers go through the live hub's latest-wins outboxes; replies to a participant's own vote
(`ack`/`error`) are sent directly, because each one answers a specific `ref` and must not be replaced.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from pydantic import ValidationError
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from livepoll.admission import ROOM_WAIT
from livepoll.backends.base import BackendUnavailable
from livepoll.frames import encode_ack, encode_error
from livepoll.live import Close, LiveHub, Role, Viewer
from livepoll.metrics import BALLOT_OUTCOMES, CONNECTIONS
from livepoll.model import PollError, Session, hash_host_key
from livepoll.polls import Polls
from livepoll.web import doors
from livepoll.web.auth import Credentials
from livepoll.web.errors import BUSY, UNCONFIRMED
from livepoll.web.schemas import VoteMessage, ballot_refusal, field_path
from livepoll.web.state import reader_language

log = logging.getLogger("livepoll.sockets")

# Close codes (RFC 6455 section 7.4.1; 4000-4999 are ours).
CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
# A refused door (doors.py) as a close code: 401/403 → 4403, 404 → 4404, 429 → 4429.
CLOSE_FOR_STATUS = {401: CLOSE_FORBIDDEN, 403: CLOSE_FORBIDDEN, 404: CLOSE_NOT_FOUND, 429: CLOSE_TOO_MANY}

# The answer to a ballot refused by overload admission (livepoll/admission.py): sending it again is safe.

# A participant sends a ballot now and then; more messages than this per second is a broken or hostile
# client, and so is a run of malformed messages.
MAX_MESSAGES_PER_SECOND = 20
MAX_CONSECUTIVE_VIOLATIONS = 10


def _state(ws: WebSocket) -> tuple[Polls, Credentials, LiveHub]:
    app_state = ws.app.state
    return app_state.polls, app_state.credentials, app_state.hub


async def _refuse_foreign_origin(ws: WebSocket, credentials: Credentials) -> bool:
    """Browsers send Origin on every WebSocket handshake; a foreign one is refused before accept (403)."""
    if credentials.same_origin(ws) is False:
        log.info("refused WebSocket handshake from a foreign origin")
        await ws.close(code=CLOSE_POLICY)
        return True
    return False


async def _refuse(ws: WebSocket, exc: PollError, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Accept, then close with the code of the refusal: a browser's script only ever sees close codes."""
    await ws.accept(headers=headers)
    await ws.close(code=CLOSE_FOR_STATUS.get(exc.status, CLOSE_POLICY), reason=exc.message[:120])


async def participant_socket(ws: WebSocket) -> None:
    polls, credentials, hub = _state(ws)
    code = ws.path_params["code"]
    if await _refuse_foreign_origin(ws, credentials):
        return
    participant = credentials.participant(ws)
    headers: list[tuple[bytes, bytes]] = []
    if participant is None:
        participant, cookie = credentials.new_participant()
        headers.append(credentials.participant_cookie_header(ws, cookie))

    async def lookup() -> Session:
        # A live room's session is current (its change notices keep it so) and is what the first frame is
        # made from: a reconnect storm into a live room reads nothing from the store.
        live = hub.live_session(code)
        return live if live is not None else await polls.session(code)

    try:
        session = await doors.public(ws, code, lookup)
    except PollError as exc:
        await _refuse(ws, exc, headers)
        return
    language = reader_language(ws, session)
    joined = credentials.joined_cookie_header(ws, code)
    if joined is not None:
        headers.append(joined)
    await ws.accept(headers=headers)
    voter = polls.voter(code, participant)
    viewer = await hub.join(code, Role.PARTICIPANT, ws.send_text, _closer(ws), voter=voter, language=language)
    CONNECTIONS.labels("participant").inc()
    try:
        await _participant_loop(ws, polls, code, voter)
    except WebSocketDisconnect:
        pass
    finally:
        CONNECTIONS.labels("participant").dec()
        await hub.leave(viewer)


async def _participant_loop(ws: WebSocket, polls: Polls, code: str, voter: str) -> None:
    admission = polls.admission
    placed = False  # admission handed this socket a place (after a refusal): its next ballot takes it
    try:
        window_start, in_window, violations = time.monotonic(), 0, 0
        while True:
            if placed:
                try:
                    async with asyncio.timeout(ROOM_WAIT):
                        message = await ws.receive()
                except TimeoutError:  # the phone did not send again: the place goes to the next one
                    placed = False
                    admission.leave()
                    continue
            else:
                message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            now = time.monotonic()
            if now - window_start >= 1.0:
                window_start, in_window = now, 0
            in_window += 1
            if in_window > MAX_MESSAGES_PER_SECOND:
                await ws.close(code=CLOSE_POLICY, reason="too many messages")
                return
            text = message.get("text")
            if text is None:
                await ws.close(code=CLOSE_UNSUPPORTED, reason="text frames only")
                return
            if not placed and not admission.enter():
                # Past the limit of ballots in progress: refused before any work (retryable, nothing
                # stored); this socket reads its next message when a place is handed to it.
                BALLOT_OUTCOMES["unavailable"].inc()
                await ws.send_text(encode_error(_ref_of(text), "unavailable", BUSY))
                placed = await admission.room()
                continue
            placed = False
            try:
                reply, ok = await _handle_vote(polls, code, voter, text)
            finally:
                admission.leave(now)
            violations = 0 if ok else violations + 1
            await ws.send_text(reply)
            if violations >= MAX_CONSECUTIVE_VIOLATIONS:
                await ws.close(code=CLOSE_POLICY, reason="too many invalid messages")
                return
    finally:
        if placed:
            admission.leave()


def _ref_of(text: str) -> str:
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: deeply nested arrays (B2)
        return ""
    ref = raw.get("ref") if isinstance(raw, dict) else None
    return ref[:64] if isinstance(ref, str) else ""


async def _handle_vote(polls: Polls, code: str, voter: str, text: str) -> tuple[str, bool]:
    """The reply frame to one message, and whether the message was well-formed."""
    try:
        vote = VoteMessage.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            return encode_error(_ref_of(text), "invalid_json", "The message is not valid JSON."), False
        precise = ballot_refusal(exc)
        if precise is not None:  # a ballot text of the wrong length: refused like the kind refuses it
            return encode_error(_ref_of(text), precise.code, precise.message), True
        where = field_path(first["loc"]) or "message"
        return encode_error(_ref_of(text), "invalid_message", f"{where}: {first['msg']}"), False
    try:
        await polls.vote_as(code, voter, vote.question, vote.ballot(vote.ref), admitted=True)
    except PollError as exc:
        return encode_error(vote.ref, exc.code, exc.message), True
    except BackendUnavailable:
        return encode_error(vote.ref, "unavailable", UNCONFIRMED), True
    return encode_ack(vote.ref), True


async def presenter_socket(ws: WebSocket) -> None:
    _, credentials, hub = _state(ws)
    code = ws.path_params["code"]
    if await _refuse_foreign_origin(ws, credentials):
        return
    # Without Origin this is not a browser: host rights need the key itself, not a cookie.
    browser = credentials.same_origin(ws) is True
    key = credentials.host_key(ws, code, cookie=browser)
    admin = browser and credentials.has_admin_cookie(ws)
    try:
        await doors.host_session(ws, code, key, admin=admin)
    except PollError as exc:
        await _refuse(ws, exc)
        return
    await ws.accept()
    # A presenter that came in with the host key is closed when the key is rotated; an administrator is not.
    key_hash = None if admin or key is None else hash_host_key(key)
    # `?view=host`: the host panel, which also gets what only the host may see (pending entries, blocked
    # words, "other" texts); the presenter screen is shared, so it never does.
    role = Role.HOST if ws.query_params.get("view") == "host" else Role.PRESENTER
    viewer: Viewer = await hub.join(code, role, ws.send_text, _closer(ws), key_hash=key_hash)
    CONNECTIONS.labels("presenter").inc()
    try:
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass  # presenters only listen; anything they send is ignored
    finally:
        CONNECTIONS.labels("presenter").dec()
        await hub.leave(viewer)


def _closer(ws: WebSocket) -> Close:
    async def close(code: int) -> None:
        await ws.close(code=code)

    return close


routes: list[BaseRoute] = [
    WebSocketRoute("/ws/v1/sessions/{code:code}", participant_socket),
    WebSocketRoute("/ws/v1/sessions/{code:code}/presenter", presenter_socket),
]
