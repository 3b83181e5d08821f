"""Q&A: the audience asks, upvotes, and the host moderates. Pure rules.

Q&A runs beside the poll questions on two session-wide channels of the ballot store, kept and counted like a
question's ballots, so both backends store it without a line of their own:

- ASKED: each participant's ballot is the list of their questions ({id, text, name, at, ref?, blocked?});
  asking adds one to it (conditional on the stored list, like open-text entries), within the per-participant
  limit, at most one per TOO_FAST seconds, a resend (same text within RESEND_WINDOW, or same ref) answered
  with the first one's id.
- UPVOTES: each participant's ballot is the sorted list of question ids they upvoted; its counts give one
  per id, so the channel's tally is every question's upvotes, exact under any concurrency (a participant's
  repeated upvote does not change their list).

The host's moderation is marks on ASKED (question id -> visible | hidden | answered@<time>) and the pinned
question in the live state (one at a time). A question is pending while the session is moderated and the host
has not marked it, hidden while the blocklist holds it and the host has not shown it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from livepoll.kinds.base import RESEND_WINDOW, Words
from livepoll.model import (
    MARK_HIDDEN,
    MARK_VISIBLE,
    Answer,
    Change,
    LiveState,
    PollError,
    QaSettings,
    Session,
    StoredBallot,
    ballot_fields,
    ballot_value,
    iso_utc,
)
from livepoll.questions import ASKED_CHANNEL, UPVOTES_CHANNEL

ASKED = ASKED_CHANNEL
UPVOTES = UPVOTES_CHANNEL
MAX_QUESTION_CHARS = 280
MAX_NAME_CHARS = 30
MAX_PER_PARTICIPANT = 20
# A participant's next question waits this long after their last one (the limit is checked first).
TOO_FAST = 10.0
ANSWERED = "answered"

VISIBLE, PENDING, HIDDEN, PINNED = "visible", "pending", "hidden", "pinned"


def check_settings(settings: QaSettings) -> QaSettings:
    if not 1 <= settings.max_per_participant <= MAX_PER_PARTICIPANT:
        raise PollError("invalid_session", f"qa.max_per_participant must be 1-{MAX_PER_PARTICIPANT}.", 422)
    return settings


# Asking -----------------------------------------------------------------------------------------------------


def asked_of(value: str | None) -> list[dict[str, object]]:
    if value is None:
        return []
    listed = ballot_fields(value).get("questions")
    return [dict(q) for q in listed if isinstance(q, dict)] if isinstance(listed, list) else []


@dataclass(frozen=True, slots=True)
class Asked:
    """A question asked (or recognised as a resend): its id, the stored list it is part of, and whether the
    blocklist holds it."""

    id: str
    answer: Answer
    resend: bool
    blocked: bool = False


def ask(
    settings: QaSettings, previous: str | None, text: str, name: str | None, ref: str, now: float, words: Words
) -> Asked:
    """Add a question to the participant's list, or recognise a resend. Refuses past the limit (409), then a
    second question within TOO_FAST seconds (429)."""
    text = text.strip()
    if not text:
        raise PollError("empty_entry", "The question is empty.", 422)
    if len(text) > MAX_QUESTION_CHARS:
        raise PollError("entry_too_long", f"A question is at most {MAX_QUESTION_CHARS} characters.", 422)
    mine = asked_of(previous)
    for question in mine:
        recent = now - float(str(question.get("at", 0))) <= RESEND_WINDOW
        if (ref and question.get("ref") == ref) or (question.get("text") == text and recent):
            assert previous is not None
            return Asked(str(question["id"]), Answer(previous, _counts(mine)), True, bool(question.get("blocked")))
    if len(mine) >= settings.max_per_participant:
        raise PollError("limit_reached", f"You can ask at most {settings.max_per_participant} questions.", 409)
    last = max((float(str(q.get("at", 0))) for q in mine), default=None)
    if last is not None and now - last < TOO_FAST:
        raise PollError("too_fast", f"Wait {TOO_FAST:.0f} seconds between two questions.", 429)
    added: dict[str, object] = {"id": secrets.token_hex(5), "text": text, "at": now}
    if name:
        added["name"] = name.strip()
    if ref:
        added["ref"] = ref
    if words.blocked(text) or (name and words.blocked(name)):
        added["blocked"] = True
    mine.append(added)
    answer = Answer(ballot_value({"questions": mine}), _counts(mine))
    return Asked(str(added["id"]), answer, False, bool(added.get("blocked")))


def _counts(mine: Sequence[Mapping[str, object]]) -> tuple[tuple[str, int], ...]:
    return (("questions", len(mine)),)


# Upvotes ----------------------------------------------------------------------------------------------------


def upvoted_of(value: str | None) -> list[str]:
    if value is None:
        return []
    ids = ballot_fields(value).get("upvoted")
    return [str(i) for i in ids] if isinstance(ids, list) else []


def upvote(previous: str | None, question_id: str, on: bool) -> Answer:
    """The participant's upvotes with `question_id` added (on) or withdrawn: one per participant."""
    ids = set(upvoted_of(previous))
    if on:
        ids.add(question_id)
    else:
        ids.discard(question_id)
    ordered = sorted(ids)
    return Answer(ballot_value({"upvoted": ordered}), tuple((i, 1) for i in ordered))


# Moderation -------------------------------------------------------------------------------------------------


class QaAction:
    APPROVE = "approve"
    HIDE = "hide"
    ANSWERED = "answered"
    PIN = "pin"
    UNPIN = "unpin"
    RESTORE = "restore"
    ALL = (APPROVE, HIDE, ANSWERED, PIN, UNPIN, RESTORE)


def moderate(session: Session, question_id: str, action: str, now: float) -> Change:
    """What a host's action on one Q&A question changes: its mark, and the pinned question (one at a time;
    pinning another unpins the first). Restore and approve make it visible again; answered keeps the time."""
    state = session.state
    if action == QaAction.PIN:
        return Change(replace(state, qa_pinned=question_id), marks=((ASKED, question_id, MARK_VISIBLE),))
    unpinned = replace(state, qa_pinned=None) if state.qa_pinned == question_id else state
    if action == QaAction.UNPIN:
        return Change(unpinned)
    mark = {
        QaAction.APPROVE: MARK_VISIBLE,
        QaAction.RESTORE: MARK_VISIBLE,
        QaAction.HIDE: MARK_HIDDEN,
        QaAction.ANSWERED: f"{ANSWERED}@{now!r}",
    }[action]
    return Change(unpinned, marks=((ASKED, question_id, mark),))


# Listing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QaQuestion:
    id: str
    text: str
    name: str
    upvotes: int
    status: str
    created_at: float
    answered_at: float | None
    asker: str
    blocked: bool

    def public(self, mine: bool = False, upvoted: bool = False) -> dict[str, object]:
        return {"id": self.id, "text": self.text, "name": self.name, "upvotes": self.upvotes,
                "status": self.status, "created_at": iso_utc(self.created_at), "mine": mine, "upvoted": upvoted}


def status_of(
    settings: QaSettings, state: LiveState, entry: Mapping[str, object], mark: str | None
) -> tuple[str, float | None]:
    """(status, answered_at) of one asked question."""
    question_id = str(entry.get("id"))
    if mark is not None and mark.startswith(ANSWERED):
        return ANSWERED, float(mark.partition("@")[2] or 0)
    if mark == MARK_HIDDEN:
        return HIDDEN, None
    if mark == MARK_VISIBLE:
        return (PINNED if state.qa_pinned == question_id else VISIBLE), None
    if entry.get("blocked"):
        return HIDDEN, None
    if settings.moderated:
        return PENDING, None
    return (PINNED if state.qa_pinned == question_id else VISIBLE), None


def questions(
    settings: QaSettings,
    state: LiveState,
    asked: Mapping[str, StoredBallot],
    upvotes: Mapping[str, int],
    marks: Mapping[str, str],
) -> list[QaQuestion]:
    """Every asked question with its status and upvotes, pinned first, then by upvotes, then newest (a stable
    order: same upvotes, newer first; then by id)."""
    listed: list[QaQuestion] = []
    for asker, stored in asked.items():
        for entry in asked_of(stored.value):
            question_id = str(entry.get("id"))
            status, answered_at = status_of(settings, state, entry, marks.get(question_id))
            listed.append(QaQuestion(
                question_id, str(entry.get("text", "")), str(entry.get("name", "")), upvotes.get(question_id, 0),
                status, float(str(entry.get("at", 0))), answered_at, asker, bool(entry.get("blocked")),
            ))
    return sort_popular(listed)


def sort_popular(listed: Sequence[QaQuestion]) -> list[QaQuestion]:
    return sorted(listed, key=lambda q: (q.status != PINNED, -q.upvotes, -q.created_at, q.id))


def sort_recent(listed: Sequence[QaQuestion]) -> list[QaQuestion]:
    return sorted(listed, key=lambda q: (-q.created_at, q.id))


PUBLIC_STATUSES = (VISIBLE, PINNED, ANSWERED)


def public(listed: Sequence[QaQuestion]) -> list[QaQuestion]:
    """What the audience and the presenter see: visible, pinned and answered questions."""
    return [q for q in listed if q.status in PUBLIC_STATUSES]
