"""Every kind of question, each one ballot check + one tally reading + export rows (its module), behind
the functions below. Adding a kind is a new module and a line in RULES; backends and the fan-out do not
change, since they store and count every kind the same way (`model.Answer`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from livepoll.kinds.base import (
    BallotContext,
    BallotInput,
    KindRules,
    ResponseRow,
    ResultRow,
    ResultsView,
    Words,
)
from livepoll.kinds.choice import Choice, Quiz, points_earned
from livepoll.kinds.entries import OpenText, WordCloud
from livepoll.kinds.scale import Ranking, Scale
from livepoll.model import Answer, PollError, StoredBallot, ballot_fields
from livepoll.questions import Draft, Question, QuestionKind

RULES: dict[QuestionKind, KindRules] = {
    rules.kind: rules for rules in (Choice(), Quiz(), WordCloud(), OpenText(), Scale(), Ranking())
}


def rules(kind: QuestionKind) -> KindRules:
    return RULES[kind]


def build_question(draft: Draft, index: int, question_id: str | None = None) -> Question:
    """Question number `index` (1-based) of a session, with the id `q<index>` unless given one; texts given
    in several languages are kept by the ids the kind gave their options and statements."""
    question = RULES[draft.kind].build(draft, question_id or f"q{index}", f"Question {index}")
    return replace(question, i18n=draft.paths_to_ids(question)) if draft.i18n else question


def make_question(
    index: int, text: str, labels: Sequence[str], max_choices: int | None = None, allow_change: bool | None = None
) -> Question:
    """A choice question (the common case, and what tests and the example session build)."""
    return build_question(Draft(QuestionKind.CHOICE, text, labels, max_choices, allow_change), index)


def answer(question: Question, ballot: BallotInput, context: BallotContext) -> Answer:
    return RULES[question.kind].answer(question, ballot, context)


def choices_answer(question: Question, choices: Sequence[str], now: float = 0.0) -> Answer:
    """The stored form of a ballot of choices (choice and quiz questions)."""
    return answer(question, BallotInput(choices=choices), BallotContext(now))


def still_fits(question: Question, value: str) -> bool:
    """Whether a stored ballot (its value) is still one `question` would accept, after an edit of its
    settings: every choice, rating, ranked option and entry within what the question now allows."""
    fields = ballot_fields(value)
    choices, ratings, order, entries = (fields.get(name) for name in ("choices", "ratings", "order", "entries"))
    options = {o.id for o in question.options}
    statements = {s.id for s in question.statements}
    if isinstance(choices, list) and (len(choices) > question.max_choices or not options.issuperset(choices)):
        return False
    if isinstance(ratings, dict) and not all(
        key in statements and isinstance(v, int) and question.min <= v <= question.max for key, v in ratings.items()
    ):
        return False
    if isinstance(order, list) and set(order) != options:
        return False
    return not (isinstance(entries, list) and len(entries) > question.max_entries)


def lists_ballots(question: Question) -> bool:
    """Whether a screen or the host needs every ballot of the question, not only its tally."""
    kind = RULES[question.kind]
    return kind.needs_ballots(question, host=True)


def question_results(question: Question, view: ResultsView) -> dict[str, object]:
    """A question's results: its id, kind and voters, then its kind's fields."""
    return {"id": question.id, "kind": question.kind.value, "voters": view.tally.voters,
            **RULES[question.kind].results(question, view)}


__all__ = [
    "RULES",
    "BallotContext",
    "BallotInput",
    "KindRules",
    "PollError",
    "ResponseRow",
    "ResultRow",
    "ResultsView",
    "StoredBallot",
    "Words",
    "answer",
    "build_question",
    "choices_answer",
    "lists_ballots",
    "make_question",
    "points_earned",
    "question_results",
    "rules",
]
