"""Texts only the presenter screen shows (static/presenter.js, static/views/qa.js): "question 2 / 5", the
self-paced note, the Q&A view. The texts it shares with the host panel are `pages_host.live_strings`."""

from __future__ import annotations

from typing import Any

from livepoll.web.pages_base import Page

# `?view=` values of /present/{code}: the screen starts in that view, then follows the host's show_qa / hide_qa.
PRESENTER_VIEWS = ("qa",)


def presenter_strings(page: Page) -> dict[str, Any]:
    _ = page.gettext
    return {
        "strings": {
            "question_place": _("Question %(number)s / %(count)s"),
            "question_place_self": _("On the screen: question %(number)s / %(count)s"),
            "self_paced_note": _("Everyone answers at their own pace on their phone."),
            "qa_heading": _("Questions from the audience"),
            "qa_now": _("Now answering"),
            "qa_empty": _("No questions yet. Ask yours on your phone."),
            "qa_closed": _("Asking is closed."),
            "qa_not_enabled": _("This session has no Q&A."),
            "summary_qa_now": _("Now answering: %(text)s (%(upvotes)s)."),
            "summary_qa_item": _("%(place)s. %(text)s (%(upvotes)s)."),
        },
        "plurals": {
            "upvotes": page.plural_forms("%(num)d upvote", "%(num)d upvotes"),
            "more_questions": page.plural_forms("+%(num)d more question", "+%(num)d more questions"),
        },
    }


def presenter_config(page: Page, base: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """The presenter page's config: `base` (code, questions, first frame), the shared live texts, its own
    texts and the view asked for in the address."""
    own = presenter_strings(page)
    view = page.request.query_params.get("view")
    return {
        **base,
        "view": view if view in PRESENTER_VIEWS else None,
        "strings": {**live["strings"], **own["strings"]},
        "plurals": {**live["plurals"], **own["plurals"]},
    }
