"""The host pages' door: a session's host pages open with the session's host cookie (set when the host created
it here, or opened a link carrying `?key=`) or with the admin login. A `?key=` in the address is exchanged for
the cookie and removed at once with a 303 to the bare URL: the presenter window is screen-shared in webinars.
The panel, its Q&A column and the editor all come in here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from livepoll.backends.base import BackendUnavailable
from livepoll.model import PollError, Session, normalize_join_code
from livepoll.web import doors
from livepoll.web.auth import HOST_COOKIE_PREFIX
from livepoll.web.limits import TooManyAttempts
from livepoll.web.pages_base import Page, forbidden_form, same_origin_form
from livepoll.web.pages_presenter import PRESENTER_VIEWS
from livepoll.web.state import credentials_of

# Access -----------------------------------------------------------------------------------------------------


def unavailable(page: Page) -> Response:
    _ = page.gettext
    return page.error(503, _("Temporarily unavailable"),
                      _("The server cannot reach its data just now. Please reload in a moment."))


def too_many_attempts(page: Page, refused: TooManyAttempts) -> Response:
    """The page of a refused door (429), the same whether the session exists or not (pages.py uses it too)."""
    _ = page.gettext
    response = page.error(429, _("Too many attempts"),
                          _("Too many wrong codes were tried from this network. Wait a minute and try again."))
    response.headers.update(refused.headers)
    return response


def _no_host_rights(page: Page, request: Request) -> Response:
    _ = page.gettext
    wrong = request.query_params.get("wrong_key") == "1"
    message = (
        _("The host key in that link is not valid for this session. Check the link you were given.")
        if wrong
        else _("Open the host link you got when the session was created, or log in as administrator.")
    )
    return page.render("host_denied.html", {"message": message}, 403)


async def host_session_of(request: Request, page: Page, code: str) -> Session | Response:
    """The host door (doors.host_session) with the session's host cookie or the admin login: without either,
    or with a cookie that does not open the session, the same 403 page whether the session exists or not."""
    credentials = credentials_of(request)
    key = request.cookies.get(HOST_COOKIE_PREFIX + code)
    try:
        return await doors.host_session(request, code, key, admin=credentials.has_admin_cookie(request))
    except TooManyAttempts as exc:
        return too_many_attempts(page, exc)
    except PollError as exc:
        if exc.status == 404:  # only an admin learns that a session does not exist
            _ = page.gettext
            return page.error(404, _("Session not found"),
                              _("There is no session with the code %(code)s.") % {"code": code})
        return _no_host_rights(page, request)
    except BackendUnavailable:
        return unavailable(page)


async def _exchange_key(request: Request, page: Page, code: str, key: str, path: str) -> Response:
    """`?key=` → host cookie → 303 to the bare path, so the key never stays in the address bar. A key that
    does not open the session goes to `?wrong_key=1`, whether the session exists or not."""
    try:
        session = await doors.host_session(request, code, key, admin=False)
    except TooManyAttempts as exc:
        return too_many_attempts(page, exc)
    except PollError:
        return page.redirect(f"{path}?wrong_key=1")
    except BackendUnavailable:
        return unavailable(page)
    view = request.query_params.get("view")  # a presenter's view (?view=qa) stays in the address
    response = page.redirect(path + (f"?view={view}" if view in PRESENTER_VIEWS else ""))
    credentials_of(request).set_host_cookie(response, request, session.code, key)
    return response


async def host_page(request: Request, page: Page, path: str) -> Session | Response:
    code = normalize_join_code(request.path_params["code"])
    if code is None:
        _ = page.gettext
        return page.error(404, _("Page not found"), _("There is no page at this address."))
    key = request.query_params.get("key")
    if key is not None:
        return await _exchange_key(request, page, code, key, path.format(code=code))
    return await host_session_of(request, page, code)


async def host_form(request: Request, page: Page) -> Session | Response:
    """The session of a host form post (same origin, the host's cookie or the admin login)."""
    if not same_origin_form(request):
        return forbidden_form(page)
    code = normalize_join_code(request.path_params["code"])
    if code is None:
        _ = page.gettext
        return page.error(404, _("Page not found"), _("There is no page at this address."))
    return await host_session_of(request, page, code)
