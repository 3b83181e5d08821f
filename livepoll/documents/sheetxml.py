"""The workbook's long sheets (Responses, Q&A: a row per item of every ballot, 100,000s of rows) written as
SpreadsheetML by hand and spliced into the file XlsxWriter made. XlsxWriter costs ~50 µs per row in pure
Python; these rows cost a few, so a session of 10,000 participants × 10 questions stays within seconds.

Each row goes to a temporary file as it is made (never the whole sheet in memory); `splice` then copies the
workbook's zip member by member, putting the rows into the sheet's `<sheetData>` and widening its
`<dimension>` to them. Text cells are inline strings, with the style that carries Excel's quote prefix
when a spreadsheet would take the text for a formula; times are numbers in the date-time style.
"""

from __future__ import annotations

import functools
import re
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, cast

from livepoll import exports

EXCEL_EPOCH = 25569.0  # 1970-01-01 as an Excel serial day number
# XML 1.0 has no place for most control characters; they are dropped (texts are cleaned on input anyway).
_XML_TEXT = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;",
             **{c: None for c in (*range(0, 9), 11, 12, *range(14, 32))}}
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+(:[A-Z]+\d+)?"/>')
CHUNK = 1 << 20


def excel_time(timestamp: float) -> float:
    """A UNIX time as an Excel serial date-time (days since 1899-12-30), in UTC."""
    return timestamp / 86400.0 + EXCEL_EPOCH


@dataclass(frozen=True, slots=True)
class Time:
    """A cell value of XlsxWriter's sheets that is a moment (UNIX seconds), written as a UTC date-time."""

    seconds: float


def column_letters(count: int) -> list[str]:
    letters = []
    for n in range(1, count + 1):
        name = ""
        while n:
            n, rest = divmod(n - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


@functools.lru_cache(maxsize=8192)
def _text_cell(text: str, quote_style: int) -> str:
    """An inline-string cell, cached: question texts and labels repeat on every row."""
    style = f' s="{quote_style}"' if exports.looks_like_formula(text) else ""
    return f'<c{style} t="inlineStr"><is><t xml:space="preserve">{text.translate(_XML_TEXT)}</t></is></c>'


def write_rows(out: IO[str], rows: Iterable[Sequence[object]], first_row: int, times: Sequence[int],
               time_style: int, quote_style: int) -> int:
    """`rows` as `<row>` elements numbered from `first_row` (1-based) into `out`; returns how many. The
    values of the columns `times` (0-based) are UNIX times (or None), written as Excel date-times. Cells
    carry no reference: each `<c>` is the next column (`<c/>` an empty one), as SpreadsheetML allows."""
    time_columns = frozenset(times)
    count = 0
    parts: list[str] = []
    for count, row in enumerate(rows, start=1):
        cells = []
        for col, value in enumerate(row):
            if value is None or value == "":
                cells.append("<c/>")
            elif col in time_columns:
                cells.append(f'<c s="{time_style}"><v>{excel_time(cast(float, value))!r}</v></c>')
            elif type(value) is str:
                cells.append(_text_cell(value, quote_style))
            else:
                cells.append(f"<c><v>{value!r}</v></c>")
        parts.append(f'<row r="{first_row + count - 1}">{"".join(cells)}</row>')
        if len(parts) >= 2048:
            out.write("".join(parts))
            parts.clear()
    out.write("".join(parts))
    return count


@dataclass(frozen=True, slots=True)
class Rows:
    """Rows made for one sheet: the member of the zip (`xl/worksheets/sheetN.xml`), where they are, how many
    there are after the header and how many columns."""

    member: str
    path: str
    count: int
    columns: int


def splice(workbook: str, target: str, sheets: Sequence[Rows]) -> None:
    """Copy the workbook at `workbook` to `target` with each of `sheets`' rows inside its sheet."""
    by_member = {rows.member: rows for rows in sheets}
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED,
                                                               compresslevel=1) as out:
        for info in source.infolist():
            data = source.read(info)
            rows = by_member.get(info.filename)
            if rows is None:
                out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
                continue
            head, tail = data.split(b"</sheetData>", 1)
            last = column_letters(rows.columns)[-1]
            head = _DIMENSION.sub(f'<dimension ref="A1:{last}{rows.count + 1}"/>'.encode(), head, count=1)
            with out.open(info.filename, "w", force_zip64=True) as member:  # the archive's deflate level 1
                member.write(head)
                with open(rows.path, "rb") as made:
                    shutil.copyfileobj(made, member, CHUNK)
                member.write(b"</sheetData>" + tail)
