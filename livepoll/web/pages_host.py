"""Host pages of one session: the control panel and the presenter screen (admin pages: `pages_admin.py`;
the door, host cookie or admin login: `pages_access.py`; the panel's Q&A column: `pages_host_qa.py`; the
editor: `pages_edit.py`, whose routes are included here).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll.backends.base import BackendUnavailable
from livepoll.live_frames import presenter_frame
from livepoll.model import ControlAction, PollError, Session, host_key_matches
from livepoll.qr import join_link, qr_path
from livepoll.questions import QuestionKind
from livepoll.web import pages_edit, pages_host_qa
from livepoll.web.auth import HOST_COOKIE_PREFIX
from livepoll.web.pages_access import host_form, host_page, too_many_attempts
from livepoll.web.pages_base import Page
from livepoll.web.pages_host_qa import qa_column, qa_strings
from livepoll.web.pages_panel import (
    MAX_LISTED_ITEMS,
    PANEL_PLACES,
    host_strings,
    panel_view,
    standings_of,
    with_leaderboard,
)
from livepoll.web.pages_presenter import presenter_config
from livepoll.web.schemas import ControlIn
from livepoll.web.state import credentials_of, polls_of


def join_display(request: Request) -> str:
    """The join address as people type it: no scheme, no trailing slash."""
    base = credentials_of(request).base_url(request)
    parts = urlsplit(base)
    return (parts.netloc + parts.path).rstrip("/")


def _questions_config(session: Session) -> list[dict[str, str]]:
    return [{"id": q.id, "text": q.text} for q in session.questions]


async def _host_screen(
    request: Request, page: Page, path: str, *, host: bool = False
) -> tuple[Session, dict[str, object]] | Response:
    """The session of a host page and the first frame it draws, in the presenter socket's own shape
    (live.presenter_frame; `host`: the host panel's, with the host's fields), so the screen is right before
    the socket's first message arrives."""
    found = await host_page(request, page, path)
    if isinstance(found, Response):
        return found
    _ = page.gettext
    try:
        snapshot = await polls_of(request).backend.snapshot(found.code)
    except BackendUnavailable:
        return page.error(503, _("Temporarily unavailable"),
                          _("The server cannot reach its data just now. Please reload in a moment."))
    if snapshot is None:  # deleted since the door let the host in
        return page.error(404, _("Session not found"),
                          _("There is no session with the code %(code)s.") % {"code": found.code})
    return found, presenter_frame(snapshot, host=host)


def live_strings(page: Page) -> dict[str, Any]:
    """Texts presenter.js and host.js show."""
    _ = page.gettext
    return {
        "strings": {
            "voting_open": _("Voting is open"),
            "voting_closed": _("Voting is closed"),
            "results_hidden": _("Results are hidden"),
            "results_shown": _("Results are shown on the screen"),
            "results_hidden_screen": _("Results are hidden on the screen"),
            "phones_shown": _("Results are shown on phones"),
            "phones_hidden": _("Results are not shown on phones"),
            "open": _("Open voting"),
            "close": _("Close voting"),
            "show_results": _("Show results on the screen"),
            "hide_results": _("Hide results on the screen"),
            "show_on_phones": _("Show results on phones"),
            "hide_on_phones": _("Hide results on phones"),
            "current": _("Current question"),
            "no_question": _("No question is selected."),
            "state_lost": _("The server lost the live state of this session. The numbers start again from "
                            "what it could restore."),
            "reconnecting": _("Connection lost. Reconnecting…"),
            "session_gone": _("This session has been deleted."),
            "forbidden": _("The host key is no longer valid here. Open the host link again."),
            "control_failed": _("The change was not made: %(reason)s"),
            "network_error": _("No connection to the server"),
            "copied": _("Link copied."),
            "copy_failed": _("Could not copy. Select the link and copy it by hand."),
            "summary_question": _("Question: %(text)s."),
            "summary_option": _("%(label)s: %(votes)s (%(percent)s)."),
            "no_fullscreen": _("Full screen is not available in this browser."),
            "participants_unknown": _("Connected: –"),
            "key_rotated": _("A new host key was made: the old host and presenter links no longer work. "
                             "Use the links below."),
            # The presenter's question kinds (static/views/).
            "other": _("Other"),
            "correct_answer": _("Correct answer"),
            "time_left": _("Time left: %(time)s"),
            "times_up": _("Time's up"),
            "leaderboard": _("Leaderboard"),
            "no_answers": _("No answers yet."),
            "average_rank": _("avg. place %(rank)s"),
            "summary_words": _("Most frequent words: %(words)s."),
            "summary_entry": _("Answer: %(text)s"),
            "summary_statement": _("%(label)s: average %(average)s, %(ratings)s."),
            "summary_ranked": _("Place %(place)s: %(label)s, %(points)s, average place %(rank)s."),
            "summary_correct": _("Correct answer: %(labels)s."),
            "summary_standing": _("%(rank)s. %(name)s: %(points)s, correct answers: %(correct)s."),
        },
        "plurals": {
            "voters": page.plural_forms("%(num)d person voted", "%(num)d people voted"),
            "participants": page.plural_forms("%(num)d person connected", "%(num)d people connected"),
            "votes": page.plural_forms("%(num)d vote", "%(num)d votes"),
            "more_options": page.plural_forms("+%(num)d more option", "+%(num)d more options"),
            "more_words": page.plural_forms("+%(num)d more word", "+%(num)d more words"),
            "more_entries": page.plural_forms("+%(num)d more answer", "+%(num)d more answers"),
            "more_statements": page.plural_forms("+%(num)d more statement", "+%(num)d more statements"),
            "more_places": page.plural_forms("+%(num)d more place", "+%(num)d more places"),
            "points": page.plural_forms("%(num)d point", "%(num)d points"),
            "ratings": page.plural_forms("%(num)d rating", "%(num)d ratings"),
            "entries": page.plural_forms("%(num)d answer", "%(num)d answers"),
        },
    }


def control_error_message(page: Page, error: str) -> str:
    _ = page.gettext
    messages = {
        "unknown_question": _("That question is not part of this session."),
        "invalid_control": _("The server did not understand that button."),
        "not_found": _("That question from the audience is no longer there."),
        "qa_disabled": _("This session has no questions from the audience."),
        "confirm_delete": _("Tick the box to confirm that the session should be deleted."),
        "unavailable": _("The server cannot reach its data just now. Please try again in a moment."),
    }
    return messages.get(error, _("The change was not made. Please try again."))


# Control panel and presenter ---------------------------------------------------------------------------------


async def control_panel(request: Request) -> Response:
    page = Page(request)
    found = await _host_screen(request, page, "/host/{code}", host=True)
    if isinstance(found, Response):
        return found
    session, initial = found
    code = session.code
    credentials = credentials_of(request)
    base = credentials.base_url(request)
    token = credentials.join_token(code)
    host_key = request.cookies.get(HOST_COOKIE_PREFIX + code)
    if host_key is not None and not host_key_matches(session, host_key):
        host_key = None
    notice = {
        "reset": page.gettext("The votes of that question were deleted."),
        "rotated": page.gettext("A new host key was made: the old host and presenter links no longer work. "
                                "Use the links below."),
    }.get(request.query_params.get("done", ""))
    error = request.query_params.get("error")
    has_quiz = any(q.kind is QuestionKind.QUIZ for q in session.questions)
    standings = await standings_of(polls_of(request), session, page.lang) if has_quiz else []
    initial = with_leaderboard(initial, session, standings)
    view = panel_view(session, initial, page)
    strings = live_strings(page)
    texts = host_strings(page)
    qa_texts = qa_strings(page)
    column = await qa_column(request, session)
    return page.render("host_panel.html", {
        "session": session,
        "join_url": join_link(base, code, token),
        "qr_url": qr_path(code, token),
        "join_display": join_display(request),
        "host_link": None if host_key is None else f"{base}/host/{code}?key={host_key}",
        "present_link": None if host_key is None else f"{base}/present/{code}?key={host_key}",
        "results": initial,
        "notice": notice,
        "error": None if not error else control_error_message(page, error),
        "has_quiz": has_quiz,
        "standings": standings,
        "qa": column,
        **view,
        "config": {
            "code": code, "lang": page.lang, "questions": _questions_config(session), "initial": initial,
            "revealed": list(session.state.revealed), "has_quiz": has_quiz, "max_listed": MAX_LISTED_ITEMS,
            "qa": column is not None,
            "strings": {**strings["strings"], **texts["strings"], **qa_texts["strings"]},
            "plurals": {**strings["plurals"], **texts["plurals"], **qa_texts["plurals"]},
        },
    })


async def control_form(request: Request) -> Response:
    """The control panel's buttons without JavaScript (with it, host.js calls the JSON API instead)."""
    page = Page(request)
    found = await host_form(request, page)
    if isinstance(found, Response):
        return found
    async with request.form(max_files=0, max_fields=8, max_part_size=1024) as form:
        fields = {name: str(form.get(name) or "") for name in ("action", "question", "seconds", "key", "entry")}
    panel = f"/host/{found.code}"
    try:
        # The API's own request model, read as the API reads it (JSON: an action is its name).
        body = {name: value for name, value in fields.items() if value} | _seconds(fields["seconds"])
        control = ControlIn.model_validate_json(json.dumps(body)).control()
        done = await polls_of(request).control(found.code, control)
    except ValidationError:
        return page.redirect(panel + "?" + urlencode({"error": "invalid_control"}))
    except PollError as exc:
        return page.redirect(panel + "?" + urlencode({"error": exc.code}))
    except BackendUnavailable:
        return page.redirect(panel + "?" + urlencode({"error": "unavailable"}))
    notices = {ControlAction.RESET: "?done=reset", ControlAction.ROTATE_KEY: "?done=rotated"}
    response = page.redirect(panel + notices.get(control.action, "") + PANEL_PLACES.get(control.action, ""))
    if done.host_key is not None:
        credentials_of(request).set_host_cookie(response, request, found.code, done.host_key)
    return response


def _seconds(typed: str) -> dict[str, object]:
    """A timer's seconds as the API takes them (a number); what is not one is left for the model to refuse."""
    typed = typed.strip()
    if not typed:
        return {}
    try:
        return {"seconds": int(typed)}
    except ValueError:
        return {"seconds": typed}


async def presenter(request: Request) -> Response:
    page = Page(request)
    found = await _host_screen(request, page, "/present/{code}")
    if isinstance(found, Response):
        return found
    session, initial = found
    credentials = credentials_of(request)
    token = credentials.join_token(session.code)
    return page.render("presenter.html", {
        "session": session,
        "join_url": join_link(credentials.base_url(request), session.code, token),
        "qr_url": qr_path(session.code, token),
        "join_display": join_display(request),
        "results": initial,
        "config": presenter_config(page, {"code": session.code, "lang": page.lang,
                                          "questions": _questions_config(session), "initial": initial},
                                   live_strings(page)),
    })


routes: list[BaseRoute] = [
    Route("/host/{code}", control_panel, methods=["GET"]),
    Route("/host/{code}/control", control_form, methods=["POST"]),
    Route("/present/{code}", presenter, methods=["GET"]),
    *pages_host_qa.routes,
    *pages_edit.routes,
]

__all__ = ["routes", "too_many_attempts"]
