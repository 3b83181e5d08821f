"""CSV exports that open cleanly in Excel: UTF-8 with BOM, CRLF rows, formula-looking cells defused."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from livepoll.model import Response, Tally
from livepoll.questions import Question

BOM = "\ufeff"
RESULTS_COLUMNS = ("question_id", "question", "option_id", "option", "votes", "voters", "percent")
RESPONSES_COLUMNS = ("question_id", "question", "participant", "option_id", "option", "answered_at")
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


def results_csv(tallies: Sequence[tuple[Question, Tally]], delimiter: str = ",") -> bytes:
    """One row per (question, option): votes, voters on the question and percent of voters."""
    decimal = "," if delimiter == ";" else "."
    rows = (
        (
            question.id,
            question.text,
            option.id,
            option.label,
            tally.votes.get(option.id, 0),
            tally.voters,
            f"{tally.percent(option.id):.1f}".replace(".", decimal),
        )
        for question, tally in tallies
        for option in question.options
    )
    return _write(RESULTS_COLUMNS, rows, delimiter)


def iso_utc(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def responses_csv(questions: Sequence[Question], responses: Iterable[Response], delimiter: str = ",") -> bytes:
    """One row per chosen option of each counted ballot, oldest first."""
    by_id = {q.id: q for q in questions}
    rows = []
    for response in responses:
        question = by_id.get(response.question_id)
        if question is None:
            continue
        for choice in response.choices:
            option = question.option(choice)
            rows.append(
                (
                    question.id,
                    question.text,
                    response.voter,
                    choice,
                    "" if option is None else option.label,
                    iso_utc(response.answered_at),
                )
            )
    return _write(RESPONSES_COLUMNS, rows, delimiter)
