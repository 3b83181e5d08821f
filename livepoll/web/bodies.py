"""Bounded request bodies: no request can make the server hold much memory, or a connection for long.

`BoundedBodies` is a plain ASGI middleware in front of every HTTP route. It refuses with 413 a body whose
declared `Content-Length` is over its route's limit before the app runs (reading and dropping it first when
it is at most DRAIN_REFUSED_BYTES, so that a client that writes its whole body before reading the answer
gets the 413 rather than a reset; a larger one is never read), counts the bytes of a streamed
(chunked) body and stops it with 413 as soon as the count passes the limit, and answers 408 to a body that
pauses too long or takes too long in all. Every refusal closes the connection, so the rest of the body is
never read. When the app answers without reading the body (e.g. 401), the rest of the body is read and
dropped first, within the same limits, so the connection can carry the next request; past them it closes.

Every route gets `max_body_bytes` (LIVEPOLL_MAX_BODY_BYTES) unless its path is in `LARGE_BODY_ROUTES`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from starlette.requests import ClientDisconnect
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livepoll.config import Settings
from livepoll.web.errors import error_response

log = logging.getLogger("livepoll")

# Routes whose bodies may reach `max_large_body_bytes` (LIVEPOLL_MAX_LARGE_BODY_BYTES), as Starlette path
# templates: a new route that takes large bodies (e.g. "/api/v1/sessions/{code}/definition") adds its path.
LARGE_BODY_ROUTES = (
    "/api/v1/sessions",  # create a session: every question and option in one JSON body
    "/host/sessions",  # the same from the host's create form
    "/host/sessions/definition",  # the same as an uploaded definition.json
)
_LARGE_BODY_PATTERNS = tuple(compile_path(path)[0] for path in LARGE_BODY_ROUTES)
_CLOSE = (b"connection", b"close")
# A body declared over its limit but not over this many bytes is read and dropped before the 413 (see
# BoundedBodies); a larger one is refused at once and its connection closed, so it is never read.
DRAIN_REFUSED_BYTES = 16 * 1024 * 1024


class BodyRefused(Exception):
    """Raised from `receive` when a body goes over its limit or stalls; the middleware answers it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def too_large(limit: int) -> BodyRefused:
    return BodyRefused(413, "too_large", f"The request body is over {limit} bytes.")


def too_slow() -> BodyRefused:
    return BodyRefused(408, "request_timeout", "The request body did not arrive in time.")


@dataclass(frozen=True)
class BodyLimits:
    max_bytes: int
    max_large_bytes: int
    idle_timeout: float  # seconds a body may pause between two pieces
    total_timeout: float  # seconds for a whole body, from the app's first read

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        return cls(settings.max_body_bytes, settings.max_large_body_bytes, settings.body_idle_timeout,
                   settings.body_timeout)

    def limit_for(self, path: str) -> int:
        if any(pattern.match(path) for pattern in _LARGE_BODY_PATTERNS):
            return self.max_large_bytes
        return self.max_bytes


@dataclass(frozen=True)
class _Declared:
    """What a request's headers (as the parser accepted them) say about its body."""

    has_body: bool
    length: int | None
    expects_continue: bool

    @classmethod
    def of(cls, scope: Scope) -> _Declared:
        has_body, length, expects_continue = False, None, False
        for name, value in scope["headers"]:
            if name == b"content-length":
                has_body, length = True, int(value) if value.isdigit() else None
            elif name == b"transfer-encoding":
                has_body = True
            elif name == b"expect":
                expects_continue = value.lower() == b"100-continue"
        return cls(has_body, length, expects_continue)


class _BodyReader:
    """The app's `receive`, counting bytes against `limit` and timing the pauses."""

    def __init__(self, receive: Receive, limit: int, limits: BodyLimits, expects_continue: bool) -> None:
        self._receive = receive
        self.limit = limit
        self.limits = limits
        self.expects_continue = expects_continue
        self.received = 0
        self.done = False
        self.refused = False
        self._deadline: float | None = None

    async def receive(self) -> Message:
        if self.done:  # the body is in; later reads only wait for a disconnect
            return await self._receive()
        now = asyncio.get_running_loop().time()
        if self._deadline is None:
            self._deadline = now + self.limits.total_timeout
        try:
            async with asyncio.timeout(min(self.limits.idle_timeout, self._deadline - now)):
                message = await self._receive()
        except TimeoutError:
            self.refused = True
            raise too_slow() from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.refused = True
                raise too_large(self.limit)
            self.done = not message.get("more_body", False)
        else:
            self.done = True
        return message

    async def discard_rest(self) -> bool:
        """Read and drop what is left of the body; False when it is too large or too slow, or when the client
        has not sent it yet because it waits for "100 Continue" (then the connection must close instead)."""
        if self.refused or (self.expects_continue and self.received == 0):
            return False
        try:
            while not self.done:
                await self.receive()
        except BodyRefused:
            return False
        return True


class BoundedBodies:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _Declared.of(scope)
        if not declared.has_body:
            await self.app(scope, receive, send)
            return
        limit = self.limits.limit_for(scope["path"])
        if declared.length is not None and declared.length > limit:
            if declared.length <= DRAIN_REFUSED_BYTES and not declared.expects_continue:
                # Most clients send the whole body before they read the answer: read and drop a moderate one
                # (within the usual timeouts; memory stays flat), so they get the 413 and not a reset.
                drained = _BodyReader(receive, declared.length, self.limits, expects_continue=False)
                if await drained.discard_rest():
                    await error_response(413, "too_large", too_large(limit).message)(scope, receive, send)
                    return
            await _refuse(too_large(limit), scope, receive, send)
            return

        reader = _BodyReader(receive, limit, self.limits, declared.expects_continue)
        response_started = False

        async def send_after_body(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                if not reader.done and not await reader.discard_rest():
                    message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        try:
            await self.app(scope, reader.receive, send_after_body)
        except BodyRefused as refused:
            if response_started:
                raise
            await _refuse(refused, scope, receive, send)
        except ClientDisconnect:
            # The client went away mid-upload: nothing to answer, and not the server's error.
            log.debug("client left during a request body (%s %s, %d bytes in)", scope["method"], scope["path"],
                      reader.received)


async def _refuse(refused: BodyRefused, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(refused.status, refused.code, refused.message, {"Connection": "close"})
    await response(scope, receive, send)
