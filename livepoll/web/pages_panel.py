"""What the host's control panel shows around the live frame: moving between questions, the quiz's answers
and leaderboard, counts of open-text entries, and the texts host.js needs for every kind (the texts it
shares with the presenter are `pages_host.live_strings`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from livepoll.backends.base import BackendUnavailable
from livepoll.leaderboard import LEADERBOARD_SHOWN
from livepoll.model import ControlAction, Session
from livepoll.polls import Polls
from livepoll.web.pages_base import Page
from livepoll.web.pages_create import kind_names

# Words or entries one list of the panel shows (the largest or newest); the screens show at most as many.
MAX_LISTED_ITEMS = 200
# The timer buttons, in seconds.
TIMER_CHOICES = (30, 60, 90)
# Where the panel opens again after a button used without JavaScript: back at the part that was used.
PANEL_PLACES: Mapping[ControlAction, str] = {
    ControlAction.HIDE_ENTRY: "#current",
    ControlAction.SHOW_ENTRY: "#current",
    ControlAction.APPROVE_ENTRY: "#current",
    ControlAction.REVEAL: "#current",
    ControlAction.SHOW_LEADERBOARD: "#leaderboard-card",
    ControlAction.HIDE_LEADERBOARD: "#leaderboard-card",
    ControlAction.GOTO: "#live",
    ControlAction.OPEN: "#live",
    ControlAction.CLOSE: "#live",
    ControlAction.CLEAN_SCREEN: "#live",
    ControlAction.FULL_SCREEN: "#live",
    ControlAction.QA_OPEN: "#qa",
    ControlAction.QA_CLOSE: "#qa",
    ControlAction.SHOW_QA: "#qa",
    ControlAction.HIDE_QA: "#qa",
}


def clock(milliseconds: int) -> str:
    """A countdown as m:ss (rounded up, so it shows 0:00 only when the time is up)."""
    seconds = -(-milliseconds // 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def panel_view(session: Session, frame: Mapping[str, Any], page: Page) -> dict[str, Any]:
    """The panel's first paint besides the frame itself (which host.js keeps up to date from then on)."""
    question = frame.get("question")
    current = question["id"] if question else session.state.current
    ids = [q.id for q in session.questions]
    index = ids.index(current) if current in ids else None
    if index is None:
        nav = {"previous": None, "next": ids[0] if ids else None, "position": None, "total": len(ids)}
    else:
        nav = {"previous": ids[index - 1] if index > 0 else None,
               "next": ids[index + 1] if index + 1 < len(ids) else None, "position": index + 1, "total": len(ids)}
    correct = set(question.get("correct") or ()) if question else set()
    entries = question.get("entries") or [] if question else []
    return {
        "nav": nav,
        "current_id": current,
        "correct_labels": [o["label"] for o in question.get("options", ()) if o["id"] in correct] if question else [],
        "revealed": current in session.state.revealed,
        "entry_counts": {status: sum(1 for e in entries if e["status"] == status)
                         for status in ("pending", "visible", "hidden")},
        "max_listed": MAX_LISTED_ITEMS,
        "timer_choices": TIMER_CHOICES,
        "kind_names": dict(kind_names(page.gettext)),
        "clock": clock,
    }


async def standings_of(polls: Polls, session: Session, lang: str) -> list[dict[str, object]]:
    """The whole quiz leaderboard for the panel's first paint (host.js reloads it after each reveal)."""
    try:
        return [place.public() for place in await polls.leaderboard(session, lang)]
    except BackendUnavailable:
        return []


def with_leaderboard(
    frame: dict[str, object], session: Session, standings: list[dict[str, object]]
) -> dict[str, object]:
    """The first frame as the socket's frames are while the presenter shows the leaderboard: with its top
    (the page's first frame comes from a snapshot, which does not read the standings)."""
    if not session.state.leaderboard:
        return frame
    return {**frame, "leaderboard": standings[:LEADERBOARD_SHOWN]}


def host_strings(page: Page) -> dict[str, Any]:
    """Texts host.js shows for the kinds, the timer, moderation and the leaderboard."""
    _ = page.gettext
    return {
        "strings": {
            "other": _("Other"),
            "correct_answers": _("Correct: %(answers)s"),
            "average": _("Average %(value)s"),
            "no_ratings": _("No ratings yet"),
            "average_rank": _("average place %(rank)s"),
            "status_pending": _("Waiting for approval"),
            "status_visible": _("On the screen"),
            "status_hidden": _("Hidden"),
            "hide": _("Hide"),
            "show": _("Show"),
            "show_again": _("Show again"),
            "timer_running": _("Voting closes in %(time)s"),
            "time_up": _("Time is up: voting is closed."),
            "position": _("Question %(num)d of %(total)d"),
            "leaderboard_shown": _("The leaderboard is on the screen."),
            "leaderboard_hidden": _("The leaderboard is not on the screen."),
            "leaderboard_failed": _("The leaderboard could not be loaded: %(reason)s"),
            "questions_changed": _("The session's questions were edited. Reload the page to see them."),
        },
        "plurals": {
            "points": page.plural_forms("%(num)d point", "%(num)d points"),
            "pending": page.plural_forms("%(num)d waiting for approval", "%(num)d waiting for approval"),
            "visible": page.plural_forms("%(num)d on the screen", "%(num)d on the screen"),
            "hidden": page.plural_forms("%(num)d hidden", "%(num)d hidden"),
        },
    }
