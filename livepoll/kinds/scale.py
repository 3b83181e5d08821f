"""`scale`: rate 1–10 statements on one scale (e.g. 1–5 with labels), and `ranking`: put every option in
order; Borda points make the ranking's chart."""

from __future__ import annotations

from collections.abc import Mapping

from livepoll.kinds.base import (
    BallotContext,
    BallotInput,
    KindRules,
    ResponseRow,
    ResultRow,
    ResultsView,
    average,
    invalid,
    labels,
    only_fields,
    refuse,
    text_of,
)
from livepoll.model import Answer, ballot_value
from livepoll.questions import MIN_OPTIONS, Draft, Option, Question, QuestionKind

MAX_STATEMENTS = 10
MIN_POINTS, MAX_POINTS = 2, 11
MAX_LABEL_CHARS = 100
MAX_RANKED = 10


def rating_key(statement_id: str, value: int) -> str:
    return f"{statement_id}={value}"


class Scale(KindRules):
    kind = QuestionKind.SCALE
    fields = ("statements", "min", "max", "min_label", "max_label", "allow_change")

    def build(self, draft: Draft, question_id: str, where: str) -> Question:
        text = text_of(draft, where)
        statements = tuple(Option(i, s) for i, s in labels(draft.statements, "s", where, "statements", 1,
                                                            MAX_STATEMENTS))
        low = 1 if draft.min is None else draft.min
        high = 5 if draft.max is None else draft.max
        if low not in (0, 1):
            raise invalid(where, "min must be 0 or 1", "min")
        if not MIN_POINTS <= high - low + 1 <= MAX_POINTS:
            raise invalid(where, f"a scale has {MIN_POINTS}-{MAX_POINTS} points (min..max)", "max")
        return Question(
            question_id, self.kind, text, statements=statements, min=low, max=high,
            min_label=_label(draft.min_label), max_label=_label(draft.max_label),
            allow_change=True if draft.allow_change is None else draft.allow_change,
        )

    def answer(self, question: Question, ballot: BallotInput, context: BallotContext) -> Answer:
        only_fields(ballot, ("ratings",))
        ratings = dict(ballot.ratings or {})
        if not ratings:
            raise refuse("invalid_ballot", "Rate at least one statement.")
        order = {s.id: n for n, s in enumerate(question.statements)}
        for statement, value in ratings.items():
            if statement not in order:
                raise refuse("unknown_statement", f"Unknown statement {statement!r} for this question.")
            if isinstance(value, bool) or not isinstance(value, int) or not question.min <= value <= question.max:
                raise refuse("invalid_rating", f"Ratings go from {question.min} to {question.max}.")
        canonical = dict(sorted(ratings.items(), key=lambda item: order[item[0]]))
        counts = tuple((rating_key(s, v), 1) for s, v in canonical.items())
        return Answer(ballot_value({"ratings": canonical}), counts)

    def results(self, question: Question, view: ResultsView) -> dict[str, object]:
        counts = view.tally.counts
        statements = []
        for statement in question.statements:
            per_value = [counts.get(rating_key(statement.id, v), 0) for v in question.scale_values]
            voters = sum(per_value)
            total = sum(v * n for v, n in zip(question.scale_values, per_value, strict=True))
            statements.append({"id": statement.id, "label": statement.label, "counts": per_value,
                               "average": average(total, voters), "voters": voters})
        return {"statements": statements}

    def result_rows(self, question: Question, view: ResultsView) -> list[ResultRow]:
        counts = view.tally.counts
        return [
            ResultRow(rating_key(s.id, v), f"{s.label} = {v}", counts.get(rating_key(s.id, v), 0))
            for s in question.statements for v in question.scale_values
        ]

    def response_rows(self, question: Question, value: Mapping[str, object]) -> list[ResponseRow]:
        ratings = value.get("ratings")
        if not isinstance(ratings, dict):
            return []
        rows = []
        for statement_id, rating in ratings.items():
            statement = question.statement(str(statement_id))
            rows.append(ResponseRow(str(statement_id), "" if statement is None else statement.label, str(rating)))
        return rows


def _label(label: str | None) -> str | None:
    return None if label is None or not label.strip() else label.strip()


class Ranking(KindRules):
    """A ballot orders every option; the option in first place of n earns n points, the last 1 (Borda)."""

    kind = QuestionKind.RANKING
    fields = ("options", "allow_change")

    def build(self, draft: Draft, question_id: str, where: str) -> Question:
        text = text_of(draft, where)
        options = tuple(Option(i, label) for i, label in labels(draft.options, "o", where, "options", MIN_OPTIONS,
                                                                 MAX_RANKED))
        return Question(question_id, self.kind, text, options,
                        allow_change=True if draft.allow_change is None else draft.allow_change)

    def answer(self, question: Question, ballot: BallotInput, context: BallotContext) -> Answer:
        only_fields(ballot, ("order",))
        order = list(ballot.order or ())
        ids = [o.id for o in question.options]
        if sorted(order) != sorted(ids):
            raise refuse("invalid_order", "Order every option of the question once (order: [option id, ...]).")
        n = len(ids)
        return Answer(ballot_value({"order": order}), tuple((o, n - position) for position, o in enumerate(order)))

    def results(self, question: Question, view: ResultsView) -> dict[str, object]:
        counts, voters, n = view.tally.counts, view.tally.voters, len(question.options)
        rows = []
        for option in question.options:
            score = counts.get(option.id, 0)
            # Every ballot ranks every option: score = n·voters − (sum of 0-based positions).
            rank = None if voters == 0 else round((n * voters - score) / voters + 1, 2)
            rows.append({"id": option.id, "label": option.label, "score": score, "average_rank": rank})
        rows.sort(key=lambda row: -int(str(row["score"])))  # stable: ties keep the question's order
        return {"options": rows}

    def result_rows(self, question: Question, view: ResultsView) -> list[ResultRow]:
        counts = view.tally.counts
        return [ResultRow(o.id, o.label, counts.get(o.id, 0)) for o in question.options]

    def response_rows(self, question: Question, value: Mapping[str, object]) -> list[ResponseRow]:
        order = value.get("order")
        if not isinstance(order, list):
            return []
        rows = []
        for rank, option_id in enumerate(order, start=1):
            option = question.option(str(option_id))
            rows.append(ResponseRow(str(option_id), "" if option is None else option.label, str(rank)))
        return rows
