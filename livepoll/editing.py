"""Editing a session while it runs: its title, languages and mode, and its questions (add, change, delete,
reorder). Pure rules, like the host controls (model.decide_control): each edit is decided on the session as
it is at that moment and made in one atomic step with what it requires of the stored ballots
(`Backend.change_session`), so an edit and a racing ballot never leave a ballot for an option that is gone.

A question that has ballots keeps its meaning: its texts and labels may be corrected and options appended,
but its kind cannot change and options or statements cannot be removed or reordered; a setting that the
stored ballots would not fit (fewer choices than someone made) is refused (409 `has_ballots`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial

from livepoll import kinds
from livepoll.languages import Text, split
from livepoll.model import (
    MAX_QUESTIONS,
    BallotsMustFit,
    Change,
    LiveState,
    PollError,
    QaSettings,
    Session,
    SessionMode,
)
from livepoll.questions import OTHER, Draft, Option, Question, QuestionKind

# A `questions[]` item of a creation request, read in a session's default language: the request model's
# checks (web/schemas.py) handed to the rules, which raise PollError 422 for an item they refuse.
DraftReader = Callable[[Mapping[str, object], str], Draft]
# Settings the stored ballots must fit when they change (what a ballot may hold).
LIMITS = ("max_choices", "other", "min", "max", "max_entries")


@dataclass(frozen=True, slots=True)
class SessionPatch:
    """A change of a session's own settings; None leaves one as it is."""

    title: Text | None = None
    default_language: str | None = None
    present_languages: tuple[str, ...] | None = None
    mode: SessionMode | None = None
    qa: QaSettings | None = None


def edit_session(session: Session, patch: SessionPatch) -> Change:
    default = patch.default_language or session.default_language
    title, title_i18n = split(session.title_text if patch.title is None else patch.title, default)
    questions = session.questions
    if default != session.default_language:
        questions = tuple(q.in_language(default, default) for q in questions)  # plain texts in the new default
    edited = replace(
        session,
        title=title,
        title_i18n=title_i18n,
        default_language=default,
        present_languages=session.present_languages if patch.present_languages is None else patch.present_languages,
        mode=patch.mode or session.mode,
        qa=patch.qa or session.qa,
        questions=questions,
    )
    return Change(session.state, edited=edited)


def add_question(session: Session, item: Mapping[str, object], position: int | None, read: DraftReader) -> Change:
    """A new question at `position` (0-based; None: last). An empty session shows the new question."""
    questions = list(session.questions)
    if len(questions) >= MAX_QUESTIONS:
        raise PollError("too_many_questions", f"A session has at most {MAX_QUESTIONS} questions.", 409)
    at = len(questions) if position is None else position
    if not 0 <= at <= len(questions):
        raise PollError("invalid_position", f"position goes from 0 to {len(questions)}.", 422)
    question = kinds.build_question(read(item, session.default_language), at + 1, _new_id(session))
    questions.insert(at, question)
    state = session.state
    if state.current is None and not session.questions:
        state = replace(state, current=question.id)
    return Change(state, edited=replace(session, questions=tuple(questions)))


def edit_question(session: Session, question_id: str, patch: Mapping[str, object], read: DraftReader) -> Change:
    """The question with the fields of `patch` changed (`options`: the whole list, existing ones first)."""
    old, at = _find(session, question_id)
    kind = patch.get("kind", old.kind.value)
    base = old.to_request() if kind == old.kind.value else {"text": old.text_of("text", old.text)}
    new = kinds.build_question(read({**base, **patch}, session.default_language), at + 1, old.id)
    questions = (*session.questions[:at], new, *session.questions[at + 1 :])
    requires = _requires(old, new)
    return Change(session.state, edited=replace(session, questions=questions), requires=requires)


def delete_question(session: Session, question_id: str) -> Change:
    """The question and its ballots gone; the session moves from it to the next question (or none)."""
    _old, at = _find(session, question_id)
    questions = (*session.questions[:at], *session.questions[at + 1 :])
    state = session.state
    if state.current == question_id:
        following = questions[at].id if at < len(questions) else None
        state = replace(state, current=following, deadline=None)
    state = replace(
        state,
        opened=tuple((qid, t) for qid, t in state.opened if qid != question_id),
        revealed=tuple(qid for qid in state.revealed if qid != question_id),
    )
    return Change(state, clear=(question_id,), edited=replace(session, questions=questions))


def reorder_questions(session: Session, order: Sequence[str]) -> Change:
    ids = [q.id for q in session.questions]
    if len(order) != len(ids) or set(order) != set(ids):
        raise PollError("invalid_order", "order lists every question id of the session once.", 422)
    by_id = {q.id: q for q in session.questions}
    return Change(session.state, edited=replace(session, questions=tuple(by_id[qid] for qid in order)))


def fresh_copy(session: Session, title: Text) -> Session:
    """The session's definition under a new title, as a new session gets it: no ballots, at the first question."""
    plain, title_i18n = split(title, session.default_language)
    first = session.questions[0].id if session.questions else None
    return replace(session, title=plain, title_i18n=title_i18n, state=LiveState(current=first), definition=1)


def definition_of(session: Session) -> dict[str, object]:
    """The creation request of the session as it is now: posting it creates an equal session."""
    return {
        "title": session.title_text,
        "default_language": session.default_language,
        "present_languages": list(session.presented),
        "mode": session.mode.value,
        "qa": session.qa.record(),
        "questions": [q.to_request() for q in session.questions],
    }


def _find(session: Session, question_id: str) -> tuple[Question, int]:
    for at, question in enumerate(session.questions):
        if question.id == question_id:
            return question, at
    raise PollError("unknown_question", f"No question {question_id!r} in this session.", 404)


def _new_id(session: Session) -> str:
    numbers = [int(q.id[1:]) for q in session.questions if q.id[:1] == "q" and q.id[1:].isdigit()]
    return f"q{max(numbers, default=0) + 1}"


def _requires(old: Question, new: Question) -> tuple[BallotsMustFit, ...]:
    """What the stored ballots of `old` must satisfy for it to become `new`."""
    if (
        old.kind is not new.kind
        or _moved_or_removed(_regular(old.options), _regular(new.options))
        or _moved_or_removed(old.statements, new.statements)
        or (old.kind is QuestionKind.RANKING and len(old.options) != len(new.options))
    ):
        return (BallotsMustFit(old.id),)  # its meaning changes: only while nobody answered
    if any(getattr(old, name) != getattr(new, name) for name in LIMITS):
        return (BallotsMustFit(old.id, partial(kinds.still_fits, new)),)
    return ()


def _regular(options: Sequence[Option]) -> list[Option]:
    return [o for o in options if o.id != OTHER]


def _moved_or_removed(old: Sequence[Option], new: Sequence[Option]) -> bool:
    """Whether an option of `old` is gone or sits elsewhere in `new` (ids follow positions, so a label that
    moved to another position is a reordering, not a correction)."""
    if len(new) < len(old):
        return True
    labels = [o.label.casefold() for o in old]
    for at, option in enumerate(new):
        label = option.label.casefold()
        if label in labels and labels.index(label) != at:
            return True
    return False
