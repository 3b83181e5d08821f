"""`choice`: pick one or up to `max_choices` options, optionally "other" with a text of one's own; and
`quiz`: a choice with correct answers, points (and a speed bonus), revealed by the host."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from livepoll.kinds.base import (
    BallotContext,
    BallotInput,
    KindRules,
    ResponseRow,
    ResultRow,
    ResultsView,
    invalid,
    labels,
    only_fields,
    refuse,
    text_of,
)
from livepoll.model import Answer, ballot_fields, ballot_value
from livepoll.questions import MAX_OPTIONS, MIN_OPTIONS, OTHER, Draft, Option, Question, QuestionKind

MAX_OTHER_CHARS = 200
MAX_QUIZ_OPTIONS = 10
MAX_POINTS = 1000
DEFAULT_POINTS = 100
MIN_TIME_LIMIT, MAX_TIME_LIMIT = 5, 600


def canonical_choices(question: Question, choices: Sequence[str], limit: int) -> tuple[str, ...]:
    """Checked choices in the question's option order, so one set of choices is always the same value."""
    if not choices:
        raise refuse("invalid_ballot", "Choose at least one option.")
    position = question.position
    for choice in choices:
        if position(choice) is None:
            raise refuse("unknown_option", f"Unknown option {choice!r} for this question.")
    if len(set(choices)) != len(choices):
        raise refuse("duplicate_option", "The same option was chosen twice.")
    if len(choices) > limit:
        raise refuse("too_many_choices", f"Choose at most {limit} option(s); got {len(choices)}.")
    if len(choices) == 1:
        return (choices[0],)
    return tuple(sorted(choices, key=lambda c: position(c) or 0))


def option_rows(question: Question, view: ResultsView) -> list[dict[str, object]]:
    counts = view.tally.counts
    return [{"id": o.id, "label": o.label, "votes": counts.get(o.id, 0)} for o in question.options]


class Choice(KindRules):
    kind = QuestionKind.CHOICE
    fields: tuple[str, ...] = ("max_choices", "allow_change", "options", "other")

    def build(self, draft: Draft, question_id: str, where: str) -> Question:
        text = text_of(draft, where)
        checked = labels(draft.options, "o", where, "options", MIN_OPTIONS, MAX_OPTIONS)
        options = [Option(i, label) for i, label in checked]
        if draft.other:
            options.append(Option(OTHER, (draft.other_label or "").strip()))
        elif draft.other_label is not None:
            raise invalid(where, "other_label needs other: true", "other_label")
        limit = 1 if draft.max_choices is None else draft.max_choices
        if not 1 <= limit <= len(options):
            raise invalid(where, f"max_choices must be between 1 and {len(options)}", "max_choices")
        return Question(
            question_id, self.kind, text, tuple(options), max_choices=limit,
            allow_change=True if draft.allow_change is None else draft.allow_change, other=draft.other,
        )

    def answer(self, question: Question, ballot: BallotInput, context: BallotContext) -> Answer:
        only_fields(ballot, ("choices", "other_text"))
        chosen = canonical_choices(question, ballot.choices or (), question.max_choices)
        fields: dict[str, object] = {"choices": list(chosen)}
        other_text = None if ballot.other_text is None else " ".join(ballot.other_text.split())
        if OTHER in chosen:
            if not other_text:
                raise refuse("other_text_required", "Choosing “other” needs a text (other_text).")
            if len(other_text) > MAX_OTHER_CHARS:
                raise refuse("other_text_too_long", f"other_text is at most {MAX_OTHER_CHARS} characters.")
            fields["other_text"] = other_text
        elif ballot.other_text is not None:
            raise refuse("unexpected_field", "other_text goes with the option “other” only.")
        return Answer(ballot_value(fields), tuple((c, 1) for c in chosen))

    def needs_ballots(self, question: Question, host: bool) -> bool:
        return host and question.other  # the host reads the "other" texts

    def results(self, question: Question, view: ResultsView) -> dict[str, object]:
        results: dict[str, object] = {"options": option_rows(question, view)}
        if view.host and question.other:
            texts = []
            for stored in sorted(view.ballots.values(), key=lambda b: b.cast_at):
                text = ballot_fields(stored.value).get("other_text")
                if isinstance(text, str):
                    texts.append(text)
            results["other_texts"] = texts
        return results

    def result_rows(self, question: Question, view: ResultsView) -> list[ResultRow]:
        counts = view.tally.counts
        return [ResultRow(o.id, o.label, counts.get(o.id, 0)) for o in question.options]

    def response_rows(self, question: Question, value: Mapping[str, object]) -> list[ResponseRow]:
        rows = []
        for choice in _strings(value.get("choices")):
            option = question.option(choice)
            label = "" if option is None else option.label
            if choice == OTHER:
                label = str(value.get("other_text") or label)
            rows.append(ResponseRow(choice, label))
        return rows


class Quiz(Choice):
    """Choice with correct answers. A ballot may pick at most as many options as there are correct ones;
    it earns `points` when its set equals the correct set (with `speed_bonus`, less the slower it came);
    the participant's last ballot before the close counts. The correct answers stay with the host until
    the reveal."""

    kind = QuestionKind.QUIZ
    fields = ("max_choices", "allow_change", "options", "correct", "points", "speed_bonus", "time_limit")

    def build(self, draft: Draft, question_id: str, where: str) -> Question:
        text = text_of(draft, where)
        if draft.other:
            raise invalid(where, "a quiz has no “other” option", "other")
        options = tuple(Option(i, label) for i, label in labels(draft.options, "o", where, "options", MIN_OPTIONS,
                                                                 MAX_QUIZ_OPTIONS))
        correct = list(draft.correct)
        if not correct:
            raise invalid(where, "a quiz needs at least one correct answer (correct: [index, ...])", "correct")
        if len(set(correct)) != len(correct) or not all(0 <= c < len(options) for c in correct):
            raise invalid(where, f"correct holds 0-based indexes of its {len(options)} options, each once", "correct")
        points = DEFAULT_POINTS if draft.points is None else draft.points
        if not 0 <= points <= MAX_POINTS:
            raise invalid(where, f"points must be between 0 and {MAX_POINTS}", "points")
        if draft.time_limit is not None and not MIN_TIME_LIMIT <= draft.time_limit <= MAX_TIME_LIMIT:
            raise invalid(where, f"time_limit must be between {MIN_TIME_LIMIT} and {MAX_TIME_LIMIT} seconds",
                          "time_limit")
        if draft.speed_bonus and draft.time_limit is None:
            raise invalid(where, "speed_bonus needs a time_limit (the bonus shrinks over it)", "speed_bonus")
        return Question(
            question_id, self.kind, text, options, max_choices=len(correct),
            allow_change=True if draft.allow_change is None else draft.allow_change,
            correct=tuple(options[c].id for c in sorted(correct)), points=points,
            speed_bonus=draft.speed_bonus, time_limit=draft.time_limit,
        )

    def answer(self, question: Question, ballot: BallotInput, context: BallotContext) -> Answer:
        only_fields(ballot, ("choices",))
        chosen = canonical_choices(question, ballot.choices or (), question.max_choices)
        return Answer(ballot_value({"choices": list(chosen)}), tuple((c, 1) for c in chosen))

    def needs_ballots(self, question: Question, host: bool) -> bool:
        return False

    def results(self, question: Question, view: ResultsView) -> dict[str, object]:
        results: dict[str, object] = {"options": option_rows(question, view)}
        if view.revealed:
            results["correct"] = list(question.correct)
        return results


def points_earned(question: Question, value: Mapping[str, object], cast_at: float, opened_at: float | None) -> int:
    """What a quiz ballot earns: all points for exactly the correct set, none otherwise; with the speed
    bonus, `points × (1 − 0.5 × elapsed / time_limit)`, elapsed counted from when voting opened."""
    if tuple(_strings(value.get("choices"))) != question.correct:
        return 0
    if not question.speed_bonus or question.time_limit is None or opened_at is None:
        return question.points
    elapsed = min(max(cast_at - opened_at, 0.0), float(question.time_limit))
    return round(question.points * (1 - 0.5 * elapsed / question.time_limit))


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
