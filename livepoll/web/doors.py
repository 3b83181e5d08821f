"""Who gets through a door that takes a join code: one rule for the API, the pages and the sockets.

- Public doors (participant page, `GET /api/v1/sessions/{code}`, `qr.svg`, ballots, the participant socket)
  look a typed code up. A request carrying the session's join token (`?t=`, from the join link or the QR
  code), or from a browser that already joined the session (its signed `lp_joined` cookie), is never
  refused and never counted. Any other is refused (429) while its address cools, before the code is looked
  up; an unknown code spends the address's budget (`limits.CODE_GUESSES`).
- Host doors (results, exports, control, delete, host pages, the presenter socket) need the session's host
  key or the admin login. No key: 401 without a lookup. A key that does not open the session answers the
  same whether the session exists or not (403, or 429 while the address cools), and spends the budget.
- The admin token, typed into the login form or sent as `Authorization: Bearer` to an admin route, has its
  own budget (`limits.ADMIN_GUESSES`); while it cools every typed token is refused, the right one too.
- `guard_change`: state changes from a browser must come from this server's own pages, and those a cookie
  authenticates must be JSON (CSRF), for every participant or host POST of the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import HTTPConnection, Request

from livepoll.model import PollError, Session, host_key_matches
from livepoll.web.limits import ADMIN_GUESSES, CODE_GUESSES, TooManyAttempts, limiter_of
from livepoll.web.state import credentials_of, polls_of

T = TypeVar("T")

JSON_MEDIA_TYPE = "application/json"


# Public doors ---------------------------------------------------------------------------------------------


async def public(conn: HTTPConnection, code: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` (a lookup or a ballot of session `code`) behind the public door's rule; a
    PollError `not_found` from it is a miss."""
    if credentials_of(conn).admitted(conn, code):
        return await attempt()
    limiter = limiter_of(conn)
    await limiter.refuse_while_cooling(conn, CODE_GUESSES)
    try:
        return await attempt()
    except PollError as exc:
        if exc.code != "not_found":
            raise
        wait = await limiter.miss(conn, CODE_GUESSES)
        if wait > 0:
            raise TooManyAttempts(wait) from None
        raise


async def public_session(conn: HTTPConnection, code: str) -> Session:
    """The session a participant typed (or followed a link to)."""
    polls = polls_of(conn)
    return await public(conn, code, lambda: polls.session(code))


# Host doors -----------------------------------------------------------------------------------------------


async def host_session(conn: HTTPConnection, code: str, key: str | None, *, admin: bool) -> Session:
    """The session, for a request with its host `key` or with `admin` rights (admins see 404 for a missing
    code: they may list every session anyway)."""
    polls = polls_of(conn)
    if admin:
        return await polls.session(code)
    if key is None:
        raise PollError("host_key_required", "This needs the session's host key.", 401)
    session = await polls.backend.get_session(code)
    if session is not None and host_key_matches(session, key):
        return session
    wait = await limiter_of(conn).miss(conn, CODE_GUESSES)
    if wait > 0:
        raise TooManyAttempts(wait)
    raise PollError("wrong_host_key", "This is not the host key of this session.", 403)


# Admin ----------------------------------------------------------------------------------------------------


async def admin_token_ok(conn: HTTPConnection, token: str | None) -> bool:
    """Is `token` (typed into the login form, or a Bearer on an admin route) the admin token? Raises
    TooManyAttempts while this address's admin budget cools, whatever the token; no token is no attempt."""
    if token is None:
        return False
    limiter = limiter_of(conn)
    await limiter.refuse_while_cooling(conn, ADMIN_GUESSES)
    if credentials_of(conn).admin_token_matches(token):
        return True
    wait = await limiter.miss(conn, ADMIN_GUESSES)
    if wait > 0:
        raise TooManyAttempts(wait)
    return False


async def admin_bearer(conn: HTTPConnection, bearer: str | None) -> bool:
    """On a host door: is this Bearer the admin token? A wrong one is a wrong host key there (it spends the
    code budget, at most 1 a second). While the admin budget cools the right one counts as a host key too
    (and fails like any wrong one), so the answer cannot tell a guesser that it was right."""
    if bearer is None or not credentials_of(conn).admin_token_matches(bearer):
        return False
    return await limiter_of(conn).wait(conn, ADMIN_GUESSES) == 0


# Cross-site requests --------------------------------------------------------------------------------------


def guard_change(request: Request, *, cookie: bool) -> None:
    """A state change through the API: refused (403) when a browser says it came from another site's or
    origin's page (`Origin`, or `Sec-Fetch-Site` when there is no `Origin`); when a cookie authenticates it
    (participant, host or admin cookie), its body must also be JSON (415): a page elsewhere can send
    text/plain or a form without asking, JSON only after a CORS preflight this server never grants.
    Scripts, which send neither header, are not affected."""
    if credentials_of(request).browser_origin_ok(request) is False:
        raise PollError("foreign_origin", "This request came from another site.", 403)
    if cookie and request.method == "POST":
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != JSON_MEDIA_TYPE:
            raise PollError("unsupported_media_type", "Send the body as Content-Type: application/json.", 415)
