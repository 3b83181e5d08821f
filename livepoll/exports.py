"""CSV exports that open cleanly in Excel: UTF-8 with BOM, CRLF rows, formula-looking cells defused.

Both files have the same columns for every kind of question; each kind says which rows it makes
(`KindRules.result_rows` / `response_rows`): an option, a statement × value, a word or an entry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from livepoll import kinds
from livepoll.kinds import ResultsView
from livepoll.model import LiveState, QuestionData, Response, ballot_fields, iso_utc
from livepoll.qa import QaQuestion
from livepoll.questions import Question

BOM = "\ufeff"
RESULTS_COLUMNS = ("question_id", "question", "option_id", "option", "votes", "voters", "percent")
RESPONSES_COLUMNS = ("question_id", "question", "participant", "option_id", "option", "answered_at", "value")
# Excel runs a cell that starts with one of these as a formula (CSV injection, OWASP); a leading
# apostrophe makes it plain text and Excel does not show the apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _write(columns: Sequence[str], rows: Iterable[Sequence[object]], delimiter: str) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def result_views(
    questions: Sequence[tuple[Question, QuestionData]], state: LiveState
) -> list[tuple[Question, ResultsView]]:
    """The host's view of every question's results (what exports and reports show)."""
    return [
        (q, ResultsView(data.tally, data.ballots, data.marks, host=True, revealed=q.id in state.revealed))
        for q, data in questions
    ]


def results_csv(questions: Sequence[tuple[Question, ResultsView]], delimiter: str = ",") -> bytes:
    """One row per (question, item): an option's votes, a ranking option's score, a word's count, a scale
    statement × value, an open entry; with the question's voters and the percent of them."""
    decimal = "," if delimiter == ";" else "."
    rows = (
        (
            question.id,
            question.text,
            row.item_id,
            row.item,
            row.votes,
            view.tally.voters,
            f"{kinds.base.percent(row.votes, view.tally.voters):.1f}".replace(".", decimal),
        )
        for question, view in questions
        for row in kinds.rules(question.kind).result_rows(question, view)
    )
    return _write(RESULTS_COLUMNS, rows, delimiter)


def responses_csv(questions: Sequence[Question], responses: Iterable[Response], delimiter: str = ",") -> bytes:
    """One row per item of each counted ballot, oldest first: a chosen option, a rated statement (`value`:
    the rating), a ranked option (`value`: its 1-based rank), a word or an entry (`option`: its text)."""
    by_id = {q.id: q for q in questions}
    rows = []
    for response in responses:
        question = by_id.get(response.question_id)
        if question is None:
            continue
        fields = ballot_fields(response.value)
        for row in kinds.rules(question.kind).response_rows(question, fields):
            rows.append(
                (question.id, question.text, response.voter, row.item_id, row.item, iso_utc(response.answered_at),
                 row.value)
            )
    return _write(RESPONSES_COLUMNS, rows, delimiter)


QA_COLUMNS = ("id", "text", "name", "upvotes", "status", "participant", "created_at", "answered_at")


def qa_csv(questions: Iterable[QaQuestion], delimiter: str = ",") -> bytes:
    """Every Q&A question (all statuses), oldest first: `participant` is the asker's session pseudonym."""
    rows = (
        (q.id, q.text, q.name, q.upvotes, q.status, q.asker, iso_utc(q.created_at),
         "" if q.answered_at is None else iso_utc(q.answered_at))
        for q in sorted(questions, key=lambda q: (q.created_at, q.id))
    )
    return _write(QA_COLUMNS, rows, delimiter)
