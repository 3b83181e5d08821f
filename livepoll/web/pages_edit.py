"""The session editor (`/host/{code}/edit`): the session's title in each language, its languages, mode and
Q&A; its questions added (any kind: the create form's block), changed, deleted (after a confirmation) and
moved up or down; the texts of each question in the other languages beside it. Every button is a form that
works without JavaScript; each save is one edit of the polls use cases (as the API's), so phones and screens
follow within a second. Also here: duplicating and deleting the session (the panel's buttons).

The forms' blocks and their languages are in `pages_edit_forms.py`, the create form's rules in `pages_create.py`."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll import i18n
from livepoll.backends.base import BackendUnavailable
from livepoll.editing import definition_of
from livepoll.model import MAX_QUESTIONS, MAX_TITLE_CHARS, PollError, Session
from livepoll.web.auth import HOST_COOKIE_PREFIX
from livepoll.web.pages_access import host_form, host_page
from livepoll.web.pages_base import Page, Translate
from livepoll.web.pages_create import (
    FIELDS_PER_QUESTION,
    MAX_FORM_FIELD_BYTES,
    Problems,
    check,
    kind_names,
    limits,
)
from livepoll.web.pages_edit_forms import (
    EditorQuestion,
    blank_question,
    editor_question,
    item_of,
    other_languages,
    patch_of,
    read_editor_question,
)
from livepoll.web.schemas import SessionPatchIn, read_question as read_item
from livepoll.web.state import credentials_of, polls_of

PREFIX = "q1_"  # the one question block of a form
# A question block, its translations (six texts per language) and the form's own fields.
MAX_EDIT_FIELDS = FIELDS_PER_QUESTION + 6 * len(i18n.LANGUAGES) + 8
DIRECTIONS = ("up", "down")
# The settings form: a title per language, the default and screen languages, mode, Q&A switches, the token.
MAX_SETTINGS_FIELDS = 16
MAX_SETTINGS_FIELD_BYTES = 4096  # a 200-character title in any script is far below this


def _editor_path(code: str, **query: str) -> str:
    return f"/host/{code}/edit" + ("?" + urlencode(query) if query else "")


def _notice(page: Page, done: str) -> str | None:
    _ = page.gettext
    return {
        "saved": _("Saved. Phones and screens show the change."),
        "added": _("The question was added."),
        "deleted": _("The question was deleted."),
        "moved": _("The question was moved."),
        "settings": _("The session's settings were saved."),
        "duplicated": _("This is a copy of the session, with a new code and no votes."),
        "created": _("The session was created from the definition."),
    }.get(done)


def _poll_problem(_: Translate, exc: PollError) -> str:
    if exc.code == "has_ballots":
        return _("This question already has votes: its texts can be corrected and options added at the end, "
                 "but options cannot be removed or reordered, its kind cannot change and its settings must "
                 "fit the votes given.")
    if exc.code == "too_many_questions":
        return _("A session has at most %(num)d questions.") % {"num": MAX_QUESTIONS}
    if exc.code in ("unknown_question", "not_found"):
        return _("That question is no longer part of this session.")
    return _("The question could not be saved: %(reason)s") % {"reason": exc.message}


def _title_fields(session: Session) -> dict[str, str]:
    title = session.title_text
    if isinstance(title, str):
        return {session.default_language: title}
    return {str(lang): str(text) for lang, text in title.items()}


async def _editor(
    request: Request, page: Page, session: Session, *, editing: str | None = None,
    block: EditorQuestion | None = None, problems: Problems | None = None, status: int = 200,
) -> Response:
    """The editor page; `editing` is the question whose form is open (None: the new question's), `block`
    what that form holds when it comes back with problems (None: the question as stored, or a blank one)."""
    default = session.default_language
    definition = definition_of(session)
    questions: list[dict[str, Any]] = definition["questions"]  # type: ignore[assignment]
    if editing is not None and session.question(editing) is None:
        editing = None
    if block is None:
        if editing is not None:
            index = [q.id for q in session.questions].index(editing)
            block = editor_question(questions[index], default)
        else:
            block = blank_question(default)
    query = request.query_params
    return page.render("host_edit.html", {
        "session": session,
        "editing": editing,
        "block": block,
        "problems": problems or Problems(),
        "question_problems": [(f, m) for f, m in (problems or Problems()).summary if f.startswith(PREFIX)],
        "other_problems": [(f, m) for f, m in (problems or Problems()).summary if not f.startswith(PREFIX)],
        "notice": _notice(page, query.get("done", "")),
        "moved": query.get("moved"),
        "moved_dir": query.get("dir"),
        "kinds": kind_names(page.gettext),
        "kind_names": dict(kind_names(page.gettext)),
        "limits": limits(),
        "language_names": i18n.LANGUAGES,
        "default_language": default,
        "translated": other_languages(default),
        "title_fields": _title_fields(session),
        "max_questions": MAX_QUESTIONS,
    }, status)


async def editor(request: Request) -> Response:
    page = Page(request)
    found = await host_page(request, page, "/host/{code}/edit")
    if isinstance(found, Response):
        return found
    return await _editor(request, page, found, editing=request.query_params.get("question"))


async def _read_block(request: Request, session: Session) -> tuple[EditorQuestion, FormData]:
    async with request.form(max_files=0, max_fields=MAX_EDIT_FIELDS, max_part_size=MAX_FORM_FIELD_BYTES) as form:
        return read_editor_question(form, PREFIX, session.default_language), form


async def save_question(request: Request) -> Response:
    """Add a question (no id in the path) or save one: checked by the create form's rules, then one edit."""
    page = Page(request)
    found = await host_form(request, page)
    if isinstance(found, Response):
        return found
    session = found
    question_id = request.path_params.get("question")
    block, form = await _read_block(request, session)
    if form.get("op") == "kind":  # "Change kind" without JavaScript: the form again with that kind's fields
        return await _editor(request, page, session, editing=question_id, block=block)
    _ = page.gettext
    _drafts, problems = check(_, session.title, [block.form])
    item = item_of(block, session.default_language, 1, _, problems)
    if not problems:
        try:
            edits = polls_of(request).edits
            if question_id is None:
                _edited, question = await edits.add_question(session.code, item, None, read_item)
            else:
                _edited, question = await edits.edit_question(session.code, question_id, patch_of(item), read_item)
        except PollError as exc:
            problems.add(PREFIX + "text", _poll_problem(_, exc))
            return await _editor(request, page, session, editing=question_id, block=block, problems=problems,
                                 status=exc.status)
        except BackendUnavailable:
            problems.add(PREFIX + "text", _("The server cannot reach its data just now. Please try again in a moment."))
            return await _editor(request, page, session, editing=question_id, block=block, problems=problems,
                                 status=503)
        done = "added" if question_id is None else "saved"
        return page.redirect(_editor_path(session.code, done=done) + f"#item-{question.id}")
    return await _editor(request, page, session, editing=question_id, block=block, problems=problems, status=422)


async def delete_question(request: Request) -> Response:
    page = Page(request)
    found = await host_form(request, page)
    if isinstance(found, Response):
        return found
    return await _step(request, page, found, "deleted",
                       polls_of(request).edits.delete_question(found.code, request.path_params["question"]))


async def move_question(request: Request) -> Response:
    """Move a question one place up or down (keyboard users land on the same button again)."""
    page = Page(request)
    found = await host_form(request, page)
    if isinstance(found, Response):
        return found
    async with request.form(max_files=0, max_fields=4, max_part_size=64) as form:
        direction = str(form.get("direction") or "")
    question_id = request.path_params["question"]
    order = [q.id for q in found.questions]
    if direction not in DIRECTIONS or question_id not in order:
        return page.redirect(_editor_path(found.code))
    at = order.index(question_id)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    response = await _step(request, page, found, "moved", polls_of(request).edits.reorder(found.code, order))
    if response.status_code == 303:
        # No fragment: browsers skip `autofocus` on a page whose address has one (focus brings it into view).
        response.headers["location"] = _editor_path(found.code, done="moved", moved=question_id, dir=direction)
    return response


async def _step(request: Request, page: Page, session: Session, done: str, edit: Awaitable[object]) -> Response:
    """One edit that needs no form of its own; a refusal comes back as the editor with the reason."""
    _ = page.gettext
    problems = Problems()
    try:
        await edit
    except PollError as exc:
        problems.add("questions-title", _poll_problem(_, exc))
        return await _editor(request, page, session, problems=problems, status=exc.status)
    except BackendUnavailable:
        problems.add("questions-title", _("The server cannot reach its data just now. Please try again in a moment."))
        return await _editor(request, page, session, problems=problems, status=503)
    return page.redirect(_editor_path(session.code, done=done) + "#questions")


async def save_settings(request: Request) -> Response:
    """The session's title (in each language), default language, languages on the screen, mode and Q&A."""
    page = Page(request)
    found = await host_form(request, page)
    if isinstance(found, Response):
        return found
    session = found
    limits = {"max_fields": MAX_SETTINGS_FIELDS, "max_part_size": MAX_SETTINGS_FIELD_BYTES}
    async with request.form(max_files=0, **limits) as form:
        titles = {lang: str(form.get(f"title_{lang}") or "").strip() for lang in i18n.LANGUAGES}
        default = str(form.get("default_language") or session.default_language)
        present = [str(v) for v in form.getlist("present")]
        body: dict[str, Any] = {
            "default_language": default,
            "mode": str(form.get("mode") or session.mode.value),
            "qa": {"enabled": form.get("qa_enabled") is not None, "moderated": form.get("qa_moderated") is not None,
                   "max_per_participant": session.qa.max_per_participant},
        }
    typed = {lang: text for lang, text in titles.items() if text}
    body["title"] = typed.get(default, "") if set(typed) <= {default} else typed
    if present:
        body["present_languages"] = present
    _ = page.gettext
    problems = Problems()
    try:
        patch = SessionPatchIn.model_validate(body).patch()
        await polls_of(request).edits.patch_session(session.code, patch)
    except ValidationError as exc:
        for error in exc.errors():
            if error["loc"][:1] == ("present_languages",):
                problems.add("present", _("Choose one or two languages for the screen."))
            elif error["loc"][:1] == ("title",):
                problems.add("title_" + default, _("Give the session a title (at most %(num)d characters).")
                             % {"num": MAX_TITLE_CHARS})
            else:
                problems.add("title_" + default, _("This value is not valid."))
        return await _editor(request, page, session, problems=problems, status=422)
    except PollError as exc:
        problems.add("title_" + default, _("The settings could not be saved: %(reason)s") % {"reason": exc.message})
        return await _editor(request, page, session, problems=problems, status=exc.status)
    except BackendUnavailable:
        problems.add("title_" + default, _("The server cannot reach its data just now. Please try again in a moment."))
        return await _editor(request, page, session, problems=problems, status=503)
    return page.redirect(_editor_path(session.code, done="settings"))


async def duplicate(request: Request) -> Response:
    """A copy of the session (new code and host key, no ballots): this browser gets its host cookie."""
    page = Page(request)
    found = await host_form(request, page)
    if isinstance(found, Response):
        return found
    try:
        created = await polls_of(request).edits.duplicate(found)
    except (PollError, BackendUnavailable):
        return page.redirect(f"/host/{found.code}?" + urlencode({"error": "unavailable"}))
    code = created.session.code
    response = page.redirect(_editor_path(code, done="duplicated"))
    credentials_of(request).set_host_cookie(response, request, code, created.host_key)
    return response


async def delete_session(request: Request) -> Response:
    """Delete the session for good, once the host ticked the confirmation."""
    page = Page(request)
    found = await host_form(request, page)
    if isinstance(found, Response):
        return found
    async with request.form(max_files=0, max_fields=4, max_part_size=64) as form:
        confirmed = form.get("confirm") is not None
    if not confirmed:
        return page.redirect(f"/host/{found.code}?" + urlencode({"error": "confirm_delete"}))
    try:
        await polls_of(request).delete(found)
    except BackendUnavailable:
        return page.redirect(f"/host/{found.code}?" + urlencode({"error": "unavailable"}))
    response = page.redirect("/host?" + urlencode({"done": "deleted"}))
    response.delete_cookie(HOST_COOKIE_PREFIX + found.code, path="/")
    return response


routes: list[BaseRoute] = [
    Route("/host/{code}/edit", editor, methods=["GET"]),
    Route("/host/{code}/edit/settings", save_settings, methods=["POST"]),
    Route("/host/{code}/edit/add", save_question, methods=["POST"]),
    Route("/host/{code}/edit/q/{question}", save_question, methods=["POST"]),
    Route("/host/{code}/edit/q/{question}/delete", delete_question, methods=["POST"]),
    Route("/host/{code}/edit/q/{question}/move", move_question, methods=["POST"]),
    Route("/host/{code}/duplicate", duplicate, methods=["POST"]),
    Route("/host/{code}/delete", delete_session, methods=["POST"]),
]
