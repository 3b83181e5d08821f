"""Admin pages: login and logout with the admin token, the session list and the create-session form.

The form works without JavaScript: "Add another question" posts the form back and gets it again with one
more question block, and "Change kind" with the chosen kind's fields, keeping what was typed (with
JavaScript, static/host-create.js switches the fields at once). The form's blocks, their checking by the
API's rules and the words for every problem, in the page's language, are in `pages_create.py`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll.backends.base import BackendUnavailable
from livepoll.model import MAX_QUESTIONS, MAX_TITLE_CHARS, PollError, Session, SessionMode
from livepoll.text import clean_text
from livepoll.web import doors
from livepoll.web.auth import ADMIN_COOKIE, HOST_COOKIE_PREFIX
from livepoll.web.limits import TooManyAttempts
from livepoll.web.pages_base import Page, forbidden_form, same_origin_form
from livepoll.web.pages_create import (
    MAX_FORM_FIELD_BYTES,
    MAX_FORM_FIELDS,
    Problems,
    QuestionForm,
    check,
    kind_names,
    limits,
    read_questions,
)
from livepoll.web.schemas import SessionIn, field_path, text_of
from livepoll.web.state import credentials_of, polls_of

MAX_LISTED_SESSIONS = 200
# With more sessions than this, the list gets a search box.
SEARCH_FROM = 20
# The largest definition file the "create from definition" form takes (the API's creation body may be as
# large: LIVEPOLL_MAX_LARGE_BODY_BYTES bounds the whole post).
MAX_DEFINITION_BYTES = 4 * 1024 * 1024


def iso_time(timestamp: float) -> str:
    """A moment as `<time datetime>` takes it (UTC); host-time.js shows it in the viewer's local time."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _matches(session: Session, search: str) -> bool:
    wanted = search.casefold()
    return wanted in session.title.casefold() or wanted.replace(" ", "") in session.code


async def _host_home(request: Request, page: Page, *, title: str = "", questions: list[QuestionForm] | None = None,
                     problems: Problems | None = None, status: int = 200) -> Response:
    try:
        listing = await polls_of(request).listing()
    except BackendUnavailable:
        listing = []
    search = request.query_params.get("q", "").strip()[:MAX_TITLE_CHARS]
    shown = [(s, a) for s, a in listing if not search or _matches(s, search)][:MAX_LISTED_SESSIONS]
    done = request.query_params.get("done")
    return page.render("host_home.html", {
        "sessions": shown,
        "total": len(listing),
        "search": search,
        "searchable": len(listing) > SEARCH_FROM or bool(search),
        "iso_time": iso_time,
        "notice": page.gettext("The session was deleted.") if done == "deleted" else None,
        "config": {"lang": page.lang,
                   "plurals": {"sessions": page.plural_forms("%(num)d session", "%(num)d sessions")}},
        "title_value": title,
        "questions": questions or [QuestionForm()],
        "problems": problems or Problems(),
        "limits": limits(),
        "kinds": kind_names(page.gettext),
        "max_questions": MAX_QUESTIONS,
    }, status)


async def host_home(request: Request) -> Response:
    page = Page(request)
    if credentials_of(request).has_admin_cookie(request):
        return await _host_home(request, page)
    notice = page.gettext("The session was deleted.") if request.query_params.get("done") == "deleted" else None
    return page.render("host_login.html", {"error": None, "notice": notice})


async def host_login(request: Request) -> Response:
    page = Page(request)
    if not same_origin_form(request):
        return forbidden_form(page)
    async with request.form(max_files=0, max_fields=8, max_part_size=4096) as form:
        token = str(form.get("token") or "").strip()
    credentials = credentials_of(request)
    try:
        right = await doors.admin_token_ok(request, token)
    except TooManyAttempts as exc:
        error = page.gettext("Too many wrong tokens were tried from this network. Wait a few minutes and try again.")
        response = page.render("host_login.html", {"error": error}, 429)
        response.headers.update(exc.headers)
        return response
    if not right:
        error = page.gettext("This is not the admin token. It was printed when the server first started.")
        return page.render("host_login.html", {"error": error}, 401)
    response = page.redirect("/host")
    credentials.set_admin_cookie(response, request)
    return response


async def host_logout_page(request: Request) -> Response:
    return Page(request).render("host_logout.html")


async def host_logout(request: Request) -> Response:
    page = Page(request)
    if not same_origin_form(request):
        return forbidden_form(page)
    response = page.redirect("/host")
    # Logging out forgets the admin login and every session's host cookie in this browser.
    for name in request.cookies:
        if name == ADMIN_COOKIE or name.startswith(HOST_COOKIE_PREFIX):
            response.delete_cookie(name, path="/")
    return response


def _admin_form(request: Request) -> Page | Response:
    """The start of an admin's form post: our own page sent it (else 403) and the admin is logged in (else
    the login form, 401)."""
    page = Page(request)
    if not same_origin_form(request):
        return forbidden_form(page)
    if not credentials_of(request).has_admin_cookie(request):
        return page.render("host_login.html", {"error": page.gettext("Please log in first.")}, 401)
    return page


async def create_session(request: Request) -> Response:
    page = _admin_form(request)
    if isinstance(page, Response):
        return page
    credentials = credentials_of(request)
    async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_FIELD_BYTES) as form:
        title = clean_text(str(form.get("title") or ""))
        questions = read_questions(form)
        op = form.get("op")
    if op in ("add", "kind"):  # "add another question", or "change kind" without JavaScript: show it again
        if op == "add" and len(questions) < MAX_QUESTIONS:
            questions.append(QuestionForm())
        return await _host_home(request, page, title=title, questions=questions)
    _ = page.gettext
    drafts, problems = check(_, title, questions)
    if problems:
        return await _host_home(request, page, title=title, questions=questions, problems=problems, status=422)
    try:
        created = await polls_of(request).create(title, drafts)
    except PollError as exc:
        problems.add("title", _("The session could not be created: %(reason)s") % {"reason": exc.message})
        return await _host_home(request, page, title=title, questions=questions, problems=problems,
                                status=exc.status)
    except BackendUnavailable:
        problems.add("title", _("The server cannot reach its data just now. Please try again in a moment."))
        return await _host_home(request, page, title=title, questions=questions, problems=problems, status=503)
    code = created.session.code
    response = page.redirect(f"/host/{code}")
    credentials.set_host_cookie(response, request, code, created.host_key)
    return response


async def create_from_definition(request: Request) -> Response:
    """A new session from an uploaded definition (`definition.json` of another session, or any creation
    request): checked by the API's request model, created by the same use case."""
    page = _admin_form(request)
    if isinstance(page, Response):
        return page
    credentials = credentials_of(request)
    _ = page.gettext
    problems = Problems()
    async with request.form(max_files=1, max_fields=4, max_part_size=MAX_DEFINITION_BYTES) as form:
        upload = form.get("definition")
        raw = await upload.read(MAX_DEFINITION_BYTES + 1) if isinstance(upload, UploadFile) else b""
    if not raw:
        problems.add("definition", _("Choose a definition file (JSON) to upload."))
    elif len(raw) > MAX_DEFINITION_BYTES:
        problems.add("definition", _("The file is too large (at most %(num)d KiB).")
                     % {"num": MAX_DEFINITION_BYTES // 1024})
    else:
        try:
            body = SessionIn.model_validate(json.loads(raw.decode("utf-8-sig")))
            created = await polls_of(request).create(
                text_of(body.title) or "", body.drafts(), body.qa.settings(), default_language=body.default_language,
                present_languages=body.present_languages or (), mode=SessionMode(body.mode),
            )
        except (UnicodeDecodeError, json.JSONDecodeError):
            problems.add("definition", _("This file is not a session definition (JSON)."))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = field_path(first["loc"]) or "-"
            problems.add("definition", _("The definition is not valid at %(field)s: %(reason)s") % {
                "field": where, "reason": first["msg"]})
        except PollError as exc:
            problems.add("definition", _("The session could not be created: %(reason)s") % {"reason": exc.message})
        except BackendUnavailable:
            problems.add("definition", _("The server cannot reach its data just now. Please try again in a moment."))
        else:
            code = created.session.code
            response = page.redirect(f"/host/{code}/edit?done=created")
            credentials.set_host_cookie(response, request, code, created.host_key)
            return response
    return await _host_home(request, page, problems=problems, status=422)


routes: list[BaseRoute] = [
    Route("/host", host_home, methods=["GET"]),
    Route("/host", host_login, methods=["POST"]),
    Route("/host/logout", host_logout_page, methods=["GET"]),
    Route("/host/logout", host_logout, methods=["POST"]),
    Route("/host/sessions", create_session, methods=["POST"]),
    Route("/host/sessions/definition", create_from_definition, methods=["POST"]),
]
