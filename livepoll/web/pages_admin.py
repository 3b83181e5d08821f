"""Admin pages: login and logout with the admin token, the session list and the create-session form.

The form works without JavaScript: "Add another question" posts the form back and gets it again with one
more question block, keeping what was typed. Every problem is reported in the page's language.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll.backends.base import BackendUnavailable
from livepoll.model import MAX_QUESTIONS, MAX_TITLE_CHARS, PollError
from livepoll.questions import MAX_OPTION_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS, MIN_OPTIONS, Draft, QuestionKind
from livepoll.text import clean_text
from livepoll.web import doors
from livepoll.web.auth import ADMIN_COOKIE, HOST_COOKIE_PREFIX
from livepoll.web.limits import TooManyAttempts
from livepoll.web.pages_base import Page, forbidden_form, same_origin_form
from livepoll.web.state import credentials_of, polls_of

MAX_LISTED_SESSIONS = 200
MAX_FORM_FIELDS = 8 * MAX_QUESTIONS
MAX_FORM_FIELD_BYTES = 64 * 1024


def _blank_draft() -> dict[str, str | bool]:
    return {"text": "", "options": "", "max_choices": "1", "allow_change": True}


async def _host_home(request: Request, page: Page, *, title: str = "",
                     drafts: list[dict[str, str | bool]] | None = None, errors: list[str] | None = None,
                     status: int = 200) -> Response:
    try:
        sessions = (await polls_of(request).backend.list_sessions())[:MAX_LISTED_SESSIONS]
    except BackendUnavailable:
        sessions = []
    return page.render("host_home.html", {
        "sessions": sessions,
        "title_value": title,
        "drafts": drafts or [_blank_draft()],
        "errors": errors or [],
        "limits": {"title": MAX_TITLE_CHARS, "question": MAX_QUESTION_CHARS, "options": MAX_OPTIONS},
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


def _read_drafts(form: FormData) -> list[dict[str, str | bool]]:
    try:
        count = min(max(int(str(form.get("count") or "1")), 1), MAX_QUESTIONS)
    except ValueError:
        count = 1
    drafts: list[dict[str, str | bool]] = []
    for n in range(1, count + 1):
        drafts.append({
            "text": str(form.get(f"q{n}_text") or ""),
            "options": str(form.get(f"q{n}_options") or ""),
            "max_choices": str(form.get(f"q{n}_max_choices") or "1"),
            "allow_change": form.get(f"q{n}_allow_change") is not None,
        })
    return drafts


def _validate(page: Page, title: str, drafts: list[dict[str, str | bool]]) -> tuple[list[Draft], list[str]]:
    """Form drafts → question drafts, with every problem in the page's language. Empty blocks are skipped."""
    _ = page.gettext
    errors: list[str] = []
    if not title:
        errors.append(_("Give the session a title."))
    elif len(title) > MAX_TITLE_CHARS:
        errors.append(_("The title is too long (at most %(num)d characters).") % {"num": MAX_TITLE_CHARS})
    questions: list[Draft] = []
    for n, draft in enumerate(drafts, start=1):
        text = clean_text(str(draft["text"]))
        options = [label for line in str(draft["options"]).splitlines() if (label := clean_text(line))]
        if not text and not options:
            continue
        where = {"num": n}
        if not text:
            errors.append(_("Question %(num)d: write the question.") % where)
        elif len(text) > MAX_QUESTION_CHARS:
            errors.append(_("Question %(num)d: the question is too long (at most %(max)d characters).")
                          % {**where, "max": MAX_QUESTION_CHARS})
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            errors.append(_("Question %(num)d: write between %(min)d and %(max)d options, one per line.")
                          % {**where, "min": MIN_OPTIONS, "max": MAX_OPTIONS})
        too_long = [o for o in options if len(o) > MAX_OPTION_CHARS]
        if too_long:
            errors.append(_("Question %(num)d: an option is too long (at most %(max)d characters).")
                          % {**where, "max": MAX_OPTION_CHARS})
        seen: set[str] = set()
        for option in options:
            if option in seen:
                errors.append(_("Question %(num)d: the option “%(option)s” is there twice.")
                              % {**where, "option": option})
                break
            seen.add(option)
        try:
            max_choices = int(str(draft["max_choices"]).strip() or "1")
        except ValueError:
            max_choices = 0
        if not 1 <= max_choices <= max(len(options), 1):
            errors.append(_("Question %(num)d: “how many options can one person choose” must be a "
                            "whole number from 1 to %(max)d.") % {**where, "max": max(len(options), 1)})
        questions.append(Draft(QuestionKind.CHOICE, text, options, max_choices, bool(draft["allow_change"])))
    if not questions and not errors:
        errors.append(_("Write at least one question with its options."))
    return questions, errors


async def create_session(request: Request) -> Response:
    page = Page(request)
    if not same_origin_form(request):
        return forbidden_form(page)
    credentials = credentials_of(request)
    if not credentials.has_admin_cookie(request):
        return page.render("host_login.html", {"error": page.gettext("Please log in first.")}, 401)
    async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_FIELD_BYTES) as form:
        title = clean_text(str(form.get("title") or ""))
        drafts = _read_drafts(form)
        adding = form.get("op") == "add"
    if adding:
        if len(drafts) < MAX_QUESTIONS:
            drafts.append(_blank_draft())
        return await _host_home(request, page, title=title, drafts=drafts)
    questions, errors = _validate(page, title, drafts)
    if errors:
        return await _host_home(request, page, title=title, drafts=drafts, errors=errors, status=422)
    _ = page.gettext
    try:
        created = await polls_of(request).create(title, questions)
    except PollError as exc:
        errors = [_("The session could not be created: %(reason)s") % {"reason": exc.message}]
        return await _host_home(request, page, title=title, drafts=drafts, errors=errors, status=exc.status)
    except BackendUnavailable:
        errors = [_("The server cannot reach its data just now. Please try again in a moment.")]
        return await _host_home(request, page, title=title, drafts=drafts, errors=errors, status=503)
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
