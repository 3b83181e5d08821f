"""The participant page's Q&A tab: what it shows (the audience's list, sorted popular or recent, the
participant's own questions marked and the pending ones as "waiting for approval"), its texts in the page's
language, and the no-JavaScript forms (ask, upvote, withdraw an upvote) that call the same use cases as the
API (`polls.qa`), then 303 back to the tab. static/qa-phone.js draws the same tab from the socket's `qa`
frames (or the API's list while polling).

Form fields: ask `text`, `name`, `sort`; upvote `on` ("1" adds the upvote, "0" withdraws it), `sort`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll import qa
from livepoll.backends.base import BackendUnavailable
from livepoll.model import PollError, Session
from livepoll.web import doors
from livepoll.web.limits import TooManyAttempts
from livepoll.web.pages_base import Page, participant_form
from livepoll.web.pages_host import too_many_attempts
from livepoll.web.schemas import QaAskIn
from livepoll.web.state import credentials_of, polls_of

POPULAR, RECENT = "popular", "recent"
# What the no-JavaScript Q&A forms may send: the question, a name, the list's order (and a little room).
MAX_QA_FIELDS = 8
MAX_QA_FIELD_BYTES = 4096
# Statuses the asker sees as "waiting for approval": pending, and held by the blocklist (they look pending
# to their asker) or hidden by the host.
WAITING = (qa.PENDING, qa.HIDDEN)
QA_TAB = "qa"


def sort_of(value: str | None) -> str:
    return RECENT if value == RECENT else POPULAR


def tab_address(code: str, sort: str, **more: str) -> str:
    """The participant page's Q&A tab (in `sort` order), with `more` in the query."""
    query = [("tab", QA_TAB)] + ([("sort", sort)] if sort == RECENT else []) + list(more.items())
    return f"/{code}?" + urlencode(query)


def _item(question: qa.QaQuestion, mine: set[str], upvoted: set[str]) -> dict[str, Any]:
    return question.public(mine=question.id in mine, upvoted=question.id in upvoted)


async def qa_view(request: Request, page: Page, session: Session, voter: str | None) -> dict[str, Any] | None:
    """What the Q&A tab shows this participant, or None when the session has no Q&A. The page's query may
    carry `sort`, `qa_error` (a refused no-JS form) and `asked` (the status of a question just asked)."""
    if not session.qa.enabled:
        return None
    polls, params = polls_of(request), request.query_params
    sort = sort_of(params.get("sort"))
    everything = (await polls.qa.view(session)).questions
    asked, upvoted = (await polls.qa.mine(session.code, voter)) if voter is not None else ([], [])
    mine, up = set(asked), set(upvoted)
    listed = qa.public(everything)
    if sort == RECENT:
        listed = qa.sort_recent(listed)
    own = sorted((q for q in everything if q.id in mine), key=lambda q: q.created_at)
    waiting = [_item(q, mine, up) for q in own if q.status in WAITING]
    error = params.get("qa_error")
    return {
        "open": session.state.qa_open,
        "moderated": session.qa.moderated,
        "sort": sort,
        "questions": [_item(q, mine, up) for q in listed],
        "waiting": waiting,
        "name": own[-1].name if own else "",
        "asked": params.get("asked") in (qa.VISIBLE, qa.PENDING),
        "asked_pending": params.get("asked") == qa.PENDING,
        "error": qa_error_message(page, error[:40], session.qa.max_per_participant) if error else None,
        "limit": session.qa.max_per_participant,
        "max_text": qa.MAX_QUESTION_CHARS,
        "max_name": qa.MAX_NAME_CHARS,
    }


def qa_config(view: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of the tab static/qa-phone.js starts from."""
    if view is None:
        return None
    keys = ("open", "moderated", "sort", "questions", "waiting", "limit", "max_text", "max_name")
    return {key: view[key] for key in keys}


# Texts -------------------------------------------------------------------------------------------------------


def qa_error_message(page: Page, error: str, limit: int | str) -> str:
    """A participant-facing explanation of a refused question or upvote, by API error code."""
    _ = page.gettext
    messages = {
        "limit_reached": _("You have asked as many questions as this session takes (%(num)s).") % {"num": limit},
        "qa_closed": _("The host has closed questions for now."),
        "too_fast": _("Please wait a few seconds before asking another question."),
        "empty_entry": _("Write your question first."),
        "entry_too_long": _("A question has at most %(num)d characters.") % {"num": qa.MAX_QUESTION_CHARS},
        "name_too_long": _("A name has at most %(num)d characters.") % {"num": qa.MAX_NAME_CHARS},
        "not_found": _("This question is no longer shown."),
        "qa_disabled": _("This session has no questions from the audience."),
        "unavailable": _("Your question could not be saved just now. Nothing was recorded; please try again."),
        "no_cookie": _("Your browser did not send back our cookie, so nothing was saved. We have set it again: "
                       "please try once more. If this repeats, allow cookies for this site."),
    }
    return messages.get(error, _("This did not work. Please try again."))


QA_ERRORS = ("limit_reached", "qa_closed", "too_fast", "empty_entry", "entry_too_long", "name_too_long", "not_found",
             "qa_disabled", "unavailable", "generic")


def qa_strings(page: Page) -> dict[str, Any]:
    """Every text static/qa-phone.js shows, in the page's language."""
    _ = page.gettext
    return {
        "strings": {
            "qa_ask": _("Ask"),
            "qa_asking": _("Sending your question…"),
            "qa_asked": _("Your question was sent."),
            "qa_asked_pending": _("Your question was sent. It is shown once the host approves it."),
            "qa_mine": _("Your question"),
            "qa_waiting": _("Waiting for approval"),
            "qa_upvote_button": _("Upvote"),
            "qa_answered": _("Answered"),
            "qa_pinned": _("On screen now"),
            "qa_none": _("No questions yet. Be the first to ask!"),
            "qa_closed_note": _("The host has closed questions for now. You can still upvote."),
            "qa_new_poll": _("New poll question: %(text)s"),
            "qa_upvotes": _("Upvotes: %(num)s"),
            **{f"qa_error_{code}": qa_error_message(page, code, "%(num)s") for code in QA_ERRORS},
        },
    }


# The no-JavaScript forms ------------------------------------------------------------------------------------


def _ask_refusal(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if field == "name":
        return "name_too_long"
    return "entry_too_long" if "too_long" in first["type"] else "empty_entry"


# What a Q&A form does once its post is admitted: (code, participant, fields, sort) -> the address to go back to.
FormAction = Callable[[str, str, dict[str, str], str], Awaitable[str]]


async def _form_post(request: Request, then: FormAction) -> Response:
    """The common part of the Q&A forms: the code, the same-origin check, the participant cookie, and every
    refusal sent back to the tab as `qa_error`; `then` does the work."""
    opened = participant_form(request)
    if isinstance(opened, Response):
        return opened
    page, code = opened
    async with request.form(max_files=0, max_fields=MAX_QA_FIELDS, max_part_size=MAX_QA_FIELD_BYTES) as form:
        fields = {name: str(value) for name, value in form.items()}
    sort = sort_of(fields.get("sort"))
    credentials = credentials_of(request)
    participant = credentials.participant(request)
    if participant is None:
        response = page.redirect(tab_address(code, sort, qa_error="no_cookie"))
        _, cookie = credentials.new_participant()
        credentials.set_participant_cookie(response, request, cookie)
        return response
    try:
        address = await then(code, participant, fields, sort)
    except TooManyAttempts as exc:
        return too_many_attempts(page, exc)
    except PollError as exc:  # an unknown session: the tab says so (404)
        return page.redirect(tab_address(code, sort, qa_error=exc.code))
    except BackendUnavailable:
        return page.redirect(tab_address(code, sort, qa_error="unavailable"))
    return page.redirect(address)


async def ask_form(request: Request) -> Response:
    """The no-JavaScript question: the API's rules, then 303 back to the Q&A tab."""

    async def ask(code: str, participant: str, fields: dict[str, str], sort: str) -> str:
        try:
            body = QaAskIn.model_validate({"text": fields.get("text", ""), "name": fields.get("name") or None})
        except ValidationError as exc:
            return tab_address(code, sort, qa_error=_ask_refusal(exc))
        polls = polls_of(request)
        voter = polls.voter(code, participant)
        asked = await doors.public(request, code, lambda: polls.qa.ask(code, voter, body.text, body.name))
        return tab_address(code, sort, asked=asked.status) + f"#qa-{quote(asked.id, safe='')}"

    return await _form_post(request, ask)


async def upvote_form(request: Request) -> Response:
    """The no-JavaScript upvote (`on=1`) or its withdrawal (`on=0`), then 303 back to the question."""
    question_id = request.path_params["question"]

    async def upvote(code: str, participant: str, fields: dict[str, str], sort: str) -> str:
        polls = polls_of(request)
        voter = polls.voter(code, participant)
        on = fields.get("on", "1") != "0"
        await doors.public(request, code, lambda: polls.qa.upvote(code, voter, question_id, on))
        return tab_address(code, sort) + f"#qa-{quote(question_id, safe='')}"

    return await _form_post(request, upvote)


routes: list[BaseRoute] = [
    Route("/{code}/qa", ask_form, methods=["POST"]),
    Route("/{code}/qa/{question}/upvote", upvote_form, methods=["POST"]),
]
