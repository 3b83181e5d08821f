"""The results workbook (XLSX, made with XlsxWriter in its constant-memory mode: each sheet's rows go to
a temporary file as they are written, so a large session never sits in memory as cells; the long sheets'
rows are written by `sheetxml.py`, which is ten times faster, and spliced in).

Sheets: "Summary" (the session and a line per question), one per question (its rows of `export.csv` and a
native chart), "Responses" (the rows of `responses.csv`, times as Excel datetimes in UTC) and "Q&A" when the
session has Q&A. Text is always written as text; a text that a spreadsheet would run as a formula (`=`, `+`,
`-`, `@` first) gets Excel's quote prefix, the workbook's way of the CSV's leading apostrophe.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from livepoll import exports
from livepoll.documents.charts import BAR, CORRECT, scale_colours
from livepoll.documents.sheetxml import Rows, Time, excel_time, splice, write_rows
from livepoll.documents.tables import Bars, QuestionTable, Stacked, Translate

SHEET_NAME_CHARS = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\']")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
FIXED_SHEETS = ("Summary", "Responses", "Q&A")


@dataclass(frozen=True, slots=True)
class Summary:
    title: str
    code: str  # grouped, as people type it
    language: str
    created_at: float
    last_active: float | None
    participants: int
    qa_questions: int | None  # None: the session has no Q&A


def sheet_names(tables: Sequence[QuestionTable]) -> list[str]:
    """A valid, unique sheet name per question: `1 Question text…`, at most 31 characters, none of
    `[]:*?/\\'`, never one of the fixed sheets' names (Excel compares names case-blind)."""
    taken = {name.casefold() for name in FIXED_SHEETS}
    names = []
    for table in tables:
        text = " ".join(_NOT_IN_SHEET_NAMES.sub(" ", table.question.text).split())
        base = f"{table.number} {text}".strip()[:SHEET_NAME_CHARS].strip()
        name, n = base, 1
        while name.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            name = base[: SHEET_NAME_CHARS - len(suffix)].rstrip() + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


class _Writer:
    """Cells of one workbook: text as text (formula-looking text quote-prefixed), numbers, UTC datetimes."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.bold = book.add_format({"bold": True})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.header = book.add_format({"bold": True, "bottom": 1, "bg_color": "#e8eef6"})
        self.quoted = book.add_format({"quote_prefix": True})
        self.when = book.add_format({"num_format": DATETIME_FORMAT})
        self.decimal = book.add_format({"num_format": "0.0"})

    def text(self, sheet: Worksheet, row: int, col: int, value: str, fmt: Format | None = None) -> None:
        if exports.looks_like_formula(value):
            sheet.write_string(row, col, value, self.quoted)
        else:
            sheet.write_string(row, col, value, fmt)

    def cells(self, sheet: Worksheet, row: int, values: Iterable[object]) -> None:
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, Time):
                sheet.write_number(row, col, excel_time(value.seconds), self.when)
            elif isinstance(value, float):
                sheet.write_number(row, col, value, self.decimal)
            elif isinstance(value, int):
                sheet.write_number(row, col, value)
            else:
                self.text(sheet, row, col, str(value))

    def headings(self, sheet: Worksheet, row: int, names: Sequence[str]) -> None:
        for col, name in enumerate(names):
            sheet.write_string(row, col, name, self.header)


def write_workbook(
    target: str,
    summary: Summary,
    tables: Sequence[QuestionTable],
    responses: Iterable[exports.ResponseLine],
    qa: Iterable[exports.QaLine] | None,
    _: Translate,
) -> None:
    """Write the workbook to the file `target`; `responses` and `qa` are the rows of
    `exports.response_table` / `qa_table`, read once, in order."""
    with tempfile.TemporaryDirectory(prefix="livepoll-xlsx-") as work:
        draft = os.path.join(work, "draft.xlsx")
        options: dict[str, Any] = {"constant_memory": True, "tmpdir": work, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False}
        long_sheets = []
        with xlsxwriter.Workbook(draft, options) as book:
            book.set_properties({"title": summary.title, "subject": f"livepoll {summary.code}"})
            writer = _Writer(book)
            names = sheet_names(tables)
            _summary_sheet(writer, book.add_worksheet("Summary"), summary, tables, names, _)
            for table, name in zip(tables, names, strict=True):
                _question_sheet(writer, book.add_worksheet(name), name, table, _)
            long_sheets.append(_long_sheet(writer, "Responses", exports.RESPONSES_COLUMNS, responses, (5,),
                                           (8, 40, 18, 10, 40, 20, 8), work))
            if qa is not None:
                long_sheets.append(_long_sheet(writer, "Q&A", exports.QA_COLUMNS, qa, (6, 7),
                                               (12, 60, 16, 8, 10, 18, 20, 20), work))
        splice(draft, target, long_sheets)


def _summary_sheet(
    writer: _Writer, sheet: Worksheet, summary: Summary, tables: Sequence[QuestionTable], names: Sequence[str],
    _: Translate,
) -> None:
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 60)
    sheet.set_column(2, 4, 16)
    writer.text(sheet, 0, 0, summary.title, writer.title)
    facts: list[tuple[str, object]] = [
        (_("Join code"), summary.code),
        (_("Created (UTC)"), Time(summary.created_at)),
        (_("Last activity (UTC)"), None if summary.last_active is None else Time(summary.last_active)),
        (_("Participants who answered"), summary.participants),
        (_("Questions"), len(tables)),
    ]
    if summary.qa_questions is not None:
        facts.append((_("Q&A questions"), summary.qa_questions))
    facts.append((_("Language"), summary.language))
    row = 2
    for label, value in facts:
        sheet.write_string(row, 0, label, writer.bold)
        writer.cells(sheet, row, ["", value])
        row += 1
    row += 1
    writer.headings(sheet, row, ["#", _("Question"), _("Kind"), _("Ballots"), _("Sheet")])
    for table, name in zip(tables, names, strict=True):
        row += 1
        writer.cells(sheet, row, [table.number, table.question.text, table.kind_name, table.voters])
        sheet.write_url(row, 4, f"internal:'{name}'!A1", string=name)


def _question_sheet(writer: _Writer, sheet: Worksheet, name: str, table: QuestionTable, _: Translate) -> None:
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 48)
    sheet.set_column(2, 4, 12)
    writer.text(sheet, 0, 0, table.question.text, writer.title)
    sheet.write_string(1, 0, f"{table.kind_name} · {_('Voters')}: {table.voters}")
    first = 3
    writer.headings(sheet, first, ["option_id", _("Item"), table.unit, _("Voters"), _("Percent")])
    for n, line in enumerate(table.lines, start=first + 1):
        writer.cells(sheet, n, [line.item_id, line.item, line.votes, table.voters, round(line.percent, 1)])
    row = first + len(table.lines) + 2
    chart = table.chart
    if isinstance(chart, Bars) and chart.labels:
        sheet.insert_chart(1, 6, _bar_chart(writer.book, name, table, chart, first + 1),
                           {"x_scale": 1.4, "y_scale": max(1.0, len(chart.labels) / 8)})
    elif isinstance(chart, Stacked) and chart.categories:
        writer.headings(sheet, row, [_("Statement"), *chart.series])
        for n, (category, counts) in enumerate(zip(chart.categories, chart.counts, strict=True), start=row + 1):
            writer.cells(sheet, n, [category, *counts])
        sheet.insert_chart(1, 6, _stacked_chart(writer.book, name, chart, row),
                           {"x_scale": 1.4, "y_scale": max(1.0, len(chart.categories) / 4)})
        row += len(chart.categories) + 2
    for note in table.notes:
        writer.text(sheet, row, 1, note)
        row += 1
    if table.entries and table.question.kind.value != "open":  # open entries are the table's rows already
        row += 1
        sheet.write_string(row, 1, _("Other"), writer.bold)
        for text in table.entries:
            row += 1
            writer.text(sheet, row, 1, text)


def _bar_chart(book: xlsxwriter.Workbook, name: str, table: QuestionTable, chart: Bars, first: int) -> Any:
    """Bars of the table's number column, in the table's order (a word cloud: its most frequent words)."""
    bars = book.add_chart({"type": "bar"})
    last = first + len(chart.labels) - 1
    marked = [{"fill": {"color": CORRECT if m else BAR}} for m in chart.marked]
    bars.add_series({
        "name": table.unit,
        "categories": [name, first, 1, last, 1],
        "values": [name, first, 2, last, 2],
        "fill": {"color": BAR},
        "points": marked if any(chart.marked) else None,
        "data_labels": {"value": True},
    })
    bars.set_title({"name": table.question.text[:250], "name_font": {"size": 12}})
    bars.set_y_axis({"reverse": True})
    bars.set_x_axis({"min": 0, "num_format": "0"})
    bars.set_legend({"none": True})
    return bars


def _stacked_chart(book: xlsxwriter.Workbook, name: str, chart: Stacked, header: int) -> Any:
    stacked = book.add_chart({"type": "bar", "subtype": "percent_stacked"})
    first, last = header + 1, header + len(chart.categories)
    for col, colour in enumerate(scale_colours(len(chart.series)), start=1):
        stacked.add_series({
            "name": [name, header, col],
            "categories": [name, first, 0, last, 0],
            "values": [name, first, col, last, col],
            "fill": {"color": colour},
            "border": {"color": "#808080"},
        })
    stacked.set_y_axis({"reverse": True})
    stacked.set_legend({"position": "bottom"})
    return stacked


def _long_sheet(
    writer: _Writer, name: str, columns: Sequence[str], rows: Iterable[Sequence[object]], times: Sequence[int],
    widths: Sequence[int], work: str,
) -> Rows:
    """A sheet of many rows: its header, widths and filter by XlsxWriter, its rows made apart (sheetxml)."""
    sheet = writer.book.add_worksheet(name)
    member = f"xl/worksheets/sheet{len(writer.book.worksheets())}.xml"
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    writer.headings(sheet, 0, columns)
    sheet.freeze_panes(1, 0)
    path = os.path.join(work, f"rows-{len(writer.book.worksheets())}.xml")
    with open(path, "w", encoding="utf-8") as out:
        count = write_rows(out, rows, 2, times, writer.when._get_xf_index(), writer.quoted._get_xf_index())
    sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    return Rows(member, path, count, len(columns))
