"""The control panel's Q&A column: the audience's questions as the host sees them (pending first, then the
popular order), the counts, the blocklist's catch, and the moderation buttons as forms that work without
JavaScript (with it, static/host-qa.js sends them to the JSON API and redraws the column from the host
socket's `qa` frames). The moderation itself is the polls use case, as the API's."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll import qa
from livepoll.backends.base import BackendUnavailable
from livepoll.model import PollError, Session
from livepoll.qa import QaAction, QaQuestion
from livepoll.web.pages_access import host_form
from livepoll.web.pages_base import Page
from livepoll.web.state import polls_of

# Questions one list of the column shows (the newest pending, the most upvoted); the CSV has them all.
MAX_LISTED_QA = 200


def host_order(questions: list[QaQuestion]) -> list[QaQuestion]:
    """Pending first, each group in the popular order (as the host socket's frame lists them)."""
    return sorted(questions, key=lambda q: q.status != qa.PENDING)


def entry(question: QaQuestion) -> dict[str, object]:
    """One question as the column draws it: the host frame's fields."""
    return {**question.public(), "participant": question.asker, "blocked": question.blocked}


async def qa_column(request: Request, session: Session) -> dict[str, Any] | None:
    """The column's first paint, or None when the session has no Q&A."""
    if not session.qa.enabled:
        return None
    try:
        listed = host_order((await polls_of(request).qa.view(session)).questions)
    except BackendUnavailable:
        listed = []
    return {
        "open": session.state.qa_open,
        "visible_on_screen": session.state.qa_visible,
        "moderated": session.qa.moderated,
        "questions": [entry(q) for q in listed[:MAX_LISTED_QA]],
        "counts": {
            "pending": sum(1 for q in listed if q.status == qa.PENDING),
            "visible": sum(1 for q in listed if q.status in qa.PUBLIC_STATUSES),
            "hidden": sum(1 for q in listed if q.status == qa.HIDDEN),
        },
    }


def qa_strings(page: Page) -> dict[str, Any]:
    """Texts host-qa.js shows."""
    _ = page.gettext
    return {
        "strings": {
            "qa_status_pending": _("Waiting for approval"),
            "qa_status_visible": _("Visible to everyone"),
            "qa_status_pinned": _("Pinned on the screen"),
            "qa_status_answered": _("Answered"),
            "qa_status_hidden": _("Hidden"),
            "qa_blocked": _("Held by the blocklist"),
            "qa_open": _("The audience can ask questions."),
            "qa_closed": _("Asking is closed."),
            "qa_on_screen": _("The screen shows the Q&A."),
            "qa_off_screen": _("The screen shows the poll."),
            "qa_anonymous": _("Anonymous"),
            "qa_failed": _("The change was not made: %(reason)s"),
        },
        "plurals": {
            "qa_pending": page.plural_forms("%(num)d waiting for approval", "%(num)d waiting for approval"),
            "qa_visible": page.plural_forms("%(num)d visible", "%(num)d visible"),
            "qa_upvotes": page.plural_forms("%(num)d upvote", "%(num)d upvotes"),
        },
    }


async def moderate_form(request: Request) -> Response:
    """A moderation button without JavaScript: the action on one question, then the panel at the column."""
    page = Page(request)
    found = await host_form(request, page)
    if isinstance(found, Response):
        return found
    async with request.form(max_files=0, max_fields=4, max_part_size=256) as form:
        action = str(form.get("action") or "")
    panel = f"/host/{found.code}"
    if action not in QaAction.ALL:
        return page.redirect(panel + "?" + urlencode({"error": "invalid_control"}) + "#qa")
    try:
        await polls_of(request).qa.moderate(found.code, request.path_params["question"], action)
    except PollError as exc:
        return page.redirect(panel + "?" + urlencode({"error": exc.code}) + "#qa")
    except BackendUnavailable:
        return page.redirect(panel + "?" + urlencode({"error": "unavailable"}) + "#qa")
    return page.redirect(panel + "#qa")


routes: list[BaseRoute] = [
    Route("/host/{code}/qa/{question}", moderate_form, methods=["POST"]),
]
