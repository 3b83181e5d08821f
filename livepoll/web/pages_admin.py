"""Admin pages: login and logout with the admin token, the session list and the create-session form.

The form works without JavaScript: "Add another question" posts the form back and gets it again with one
more question block, and "Change kind" with the chosen kind's fields, keeping what was typed (with
JavaScript, static/host-create.js switches the fields at once). The form's blocks, their checking by the
API's rules and the words for every problem, in the page's language, are in `pages_create.py`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll.backends.base import BackendUnavailable
from livepoll.model import MAX_QUESTIONS, PollError
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
from livepoll.web.state import credentials_of, polls_of

MAX_LISTED_SESSIONS = 200


async def _host_home(request: Request, page: Page, *, title: str = "", questions: list[QuestionForm] | None = None,
                     problems: Problems | None = None, status: int = 200) -> Response:
    try:
        sessions = (await polls_of(request).backend.list_sessions())[:MAX_LISTED_SESSIONS]
    except BackendUnavailable:
        sessions = []
    return page.render("host_home.html", {
        "sessions": sessions,
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
    return page.render("host_login.html", {"error": None})


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


async def create_session(request: Request) -> Response:
    page = Page(request)
    if not same_origin_form(request):
        return forbidden_form(page)
    credentials = credentials_of(request)
    if not credentials.has_admin_cookie(request):
        return page.render("host_login.html", {"error": page.gettext("Please log in first.")}, 401)
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


routes: list[BaseRoute] = [
    Route("/host", host_home, methods=["GET"]),
    Route("/host", host_login, methods=["POST"]),
    Route("/host/logout", host_logout_page, methods=["GET"]),
    Route("/host/logout", host_logout, methods=["POST"]),
    Route("/host/sessions", create_session, methods=["POST"]),
]
