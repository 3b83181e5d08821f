"""CSV exports that open cleanly in Excel: UTF-8 with BOM, CRLF rows, formula-looking cells defused.

Both files have the same columns for every kind of question; each kind says which rows it makes
(`KindRules.result_rows` / `response_rows`): an option, a statement × value, a word or an entry.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Iterator, Sequence

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


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would take this text for a formula (the workbook marks such cells as text)."""
    return text.startswith(_FORMULA_START)


def _write(columns: Sequence[str], rows: Iterable[Sequence[object]], delimiter: str) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    start = _FORMULA_START
    for row in rows:  # a formula-looking cell gets its apostrophe; this loop runs for every response row
        writer.writerow([("'" + text) if text.startswith(start) else text for text in map(str, row)])
    return out.getvalue().encode("utf-8")


def result_views(
    questions: Sequence[tuple[Question, QuestionData]], state: LiveState
) -> list[tuple[Question, ResultsView]]:
    """The host's view of every question's results (what exports and reports show)."""
    return [
        (q, ResultsView(data.tally, data.ballots, data.marks, host=True, revealed=q.id in state.revealed))
        for q, data in questions
    ]


ResultLine = tuple[str, str, str, str, int, int, float]
ResponseLine = tuple[str, str, str, str, str, float, str]
QaLine = tuple[str, str, str, int, str, str, float, float | None]


def result_table(questions: Sequence[tuple[Question, ResultsView]]) -> Iterator[ResultLine]:
    """The rows of `export.csv` as values (percent a float): one per (question, item), each kind's own rows
    (`KindRules.result_rows`). The CSV, the workbook and the report all read their numbers from here."""
    for question, view in questions:
        voters = view.tally.voters
        for row in kinds.rules(question.kind).result_rows(question, view):
            yield (question.id, question.text, row.item_id, row.item, row.votes, voters,
                   kinds.base.percent(row.votes, voters))


def results_csv(questions: Sequence[tuple[Question, ResultsView]], delimiter: str = ",") -> bytes:
    """One row per (question, item): an option's votes, a ranking option's score, a word's count, a scale
    statement × value, an open entry; with the question's voters and the percent of them."""
    decimal = "," if delimiter == ";" else "."
    rows = ((*row[:6], f"{row[6]:.1f}".replace(".", decimal)) for row in result_table(questions))
    return _write(RESULTS_COLUMNS, rows, delimiter)


def response_table(questions: Sequence[Question], responses: Iterable[Response]) -> Iterator[ResponseLine]:
    """The rows of `responses.csv` as values (`answered_at` a UNIX time), oldest first, one per item of each
    counted ballot (`KindRules.response_rows`); a ballot of a deleted question has none."""
    by_id = {q.id: q for q in questions}
    for response in responses:
        question = by_id.get(response.question_id)
        if question is None:
            continue
        fields = ballot_fields(response.value)
        for row in kinds.rules(question.kind).response_rows(question, fields):
            yield (question.id, question.text, response.voter, row.item_id, row.item, response.answered_at,
                   row.value)


def responses_csv(questions: Sequence[Question], responses: Iterable[Response], delimiter: str = ",") -> bytes:
    """One row per item of each counted ballot, oldest first: a chosen option, a rated statement (`value`:
    the rating), a ranked option (`value`: its 1-based rank), a word or an entry (`option`: its text)."""
    iso = functools.lru_cache(maxsize=1)(iso_utc)  # the rows of one ballot share its time
    rows = ((*row[:5], iso(row[5]), row[6]) for row in response_table(questions, responses))
    return _write(RESPONSES_COLUMNS, rows, delimiter)


QA_COLUMNS = ("id", "text", "name", "upvotes", "status", "participant", "created_at", "answered_at")


def qa_table(questions: Iterable[QaQuestion]) -> Iterator[QaLine]:
    """The rows of `qa.csv` as values (times UNIX, `answered_at` None while unanswered), oldest first."""
    for q in sorted(questions, key=lambda q: (q.created_at, q.id)):
        yield (q.id, q.text, q.name, q.upvotes, q.status, q.asker, q.created_at, q.answered_at)


def qa_csv(questions: Iterable[QaQuestion], delimiter: str = ",") -> bytes:
    """Every Q&A question (all statuses), oldest first: `participant` is the asker's session pseudonym."""
    rows = ((*row[:6], iso_utc(row[6]), "" if row[7] is None else iso_utc(row[7])) for row in qa_table(questions))
    return _write(QA_COLUMNS, rows, delimiter)
