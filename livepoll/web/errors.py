"""Every error leaves as HTTP status + {"error": code, "message": text}; nothing changed."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from livepoll.admission import Overloaded
from livepoll.backends.base import BackendUnavailable
from livepoll.model import PollError
from livepoll.web.responses import Error, json_response

# Seconds a client should wait before retrying a ballot the store could not take.
RETRY_AFTER = 1
UNCONFIRMED = "The vote store did not confirm your vote in time. Send it again: a repeated vote is counted once."
BUSY = "The server is busy. Send your vote again: a repeated vote is counted once."


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return json_response(Error(error=code, message=message), status, headers)


async def poll_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PollError)
    return error_response(exc.status, exc.code, exc.message, getattr(exc, "headers", None))


async def backend_unavailable(request: Request, exc: Exception) -> Response:
    # Refused before any work (admission) or not confirmed by the store: the same retryable code, and words
    # that say which, since only the second may have been stored (and counts once when sent again).
    message = BUSY if isinstance(exc, Overloaded) else UNCONFIRMED
    return error_response(503, "unavailable", message, {"Retry-After": str(RETRY_AFTER)})


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 400: "bad_request"}


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))


exception_handlers = {
    PollError: poll_error,
    BackendUnavailable: backend_unavailable,
    HTTPException: http_error,
}
