"""Where a participant is on the page: "question 2 / 5" in a live session, and the walk through a self-paced
session (`?step=N`: question N, or past the last one the thank-you page) with its Back / Next addresses; the
language links that keep the place. static/participant.js does the same steps without reloading."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from livepoll.model import Session
from livepoll.questions import Question
from livepoll.web.pages_base import Page

# The query parameters that say where the participant is (kept by the language links and the forms).
PLACE_PARAMS = ("tab", "sort", "step")


def step_of(session: Session, typed: str | None, answered: Mapping[str, object]) -> int:
    """The step of a self-paced walk the page shows (1-based; count + 1 is the thank-you page): the typed one
    when it is one, else the first question not answered yet (or the thank-you page when all are)."""
    count = len(session.questions)
    if typed is not None and typed.isdigit() and 1 <= int(typed) <= count + 1:
        return int(typed)
    return next((n for n, q in enumerate(session.questions, start=1) if q.id not in answered), count + 1)


def walk_view(session: Session, step: int, answered: Mapping[str, object]) -> dict[str, Any]:
    """What the walk shows at `step`: its question (None on the thank-you page), the progress and the
    addresses of Back and Next."""
    count = len(session.questions)
    code = session.code
    question: Question | None = session.questions[step - 1] if step <= count else None
    return {
        "step": step,
        "count": count,
        "question": question,
        "answered": sum(1 for q in session.questions if q.id in answered),
        "back": f"/{code}?step={step - 1}" if step > 1 else None,
        "next": f"/{code}?step={step + 1}" if step <= count else None,
        "last": step == count,
    }


def language_links(page: Page, params: QueryParams) -> list[dict[str, Any]]:
    """The header's language links of the participant page: the same place (tab, order, step) in another
    language (the page reads the question texts in it, where the session has them)."""
    keep = [(name, params[name][:20]) for name in PLACE_PARAMS if name in params]
    path = page.request.url.path
    return [{**item, "href": f"{path}?" + urlencode([*keep, ("lang", str(item["code"]))])}
            for item in page.language_links()]


def walk_strings(page: Page) -> dict[str, str]:
    """The texts of the place on the page (progress, Back / Next, the thank-you page, the tabs) for
    participant.js, in the page's language."""
    _ = page.gettext
    return {
        "question_number": _("Question %(num)s / %(count)s"),
        "back": _("Back"),
        "next": _("Next"),
        "finish": _("Finish"),
        "thanks_title": _("Thank you!"),
        "thanks_saved": _("Your answers are saved."),
        "thanks_none": _("You have not answered any question yet."),
        "thanks_answered": _("Answered: %(answered)s / %(count)s"),
        "thanks_change": _("You can go back and change your answers while the survey is open."),
        "survey_closed": _("The survey is closed."),
        "no_questions": _("This survey has no questions yet."),
    }
