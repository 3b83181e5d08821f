"""Charts drawn as SVG on the server, the same for the printed report, its PDF and the chart images: bars
(choice, quiz, ranking, word cloud), a stacked distribution (scales) and a list of entries (open text).

Only presentation attributes are used (no `style`), so the SVG is allowed inline under the pages' strict
Content-Security-Policy; text is escaped; sizes are in CSS pixels, `width` × `height` of the root element.
"""

from __future__ import annotations

import textwrap
from html import escape

from livepoll.documents.tables import Bars, Chart, Entries, Stacked

WIDTH = 960
PAD = 16
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
LABEL_SIZE = 18
BAR_HEIGHT = 26
ROW_HEIGHT = LABEL_SIZE + BAR_HEIGHT + 18
# Roughly how wide a character of the label font is, as a share of the font size (DejaVu Sans: ~0.6).
CHAR_WIDTH = 0.6
INK = "#1a1a1a"
MUTED = "#5a5a5a"
TRACK = "#e8e8e8"
BAR = "#1f5fa8"
CORRECT = "#1b7f3b"
# A diverging palette (ColorBrewer RdYlBu, 11 classes) for the values of a scale, low to high.
SCALE_COLOURS = ("#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090", "#ffffbf", "#e0f3f8", "#abd9e9",
                 "#74add1", "#4575b4", "#313695")
ENTRIES_SHOWN = 12
ENTRY_LINES = 3


def chart_svg(chart: Chart, title: str, empty: str, width: int = WIDTH) -> str:
    """The chart as a standalone SVG document; `empty` is the text drawn when there is nothing to show."""
    if isinstance(chart, Bars):
        body, height = _bars(chart, width)
    elif isinstance(chart, Stacked):
        body, height = _stacked(chart, width)
    else:
        body, height = _entries(chart, width)
    if not body:
        body, height = [_text(PAD, PAD + LABEL_SIZE, empty, fill=MUTED)], PAD * 2 + LABEL_SIZE + 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" font-family="{FONT}" '
        f'font-size="{LABEL_SIZE}"><title>{escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, *, fill: str = INK, size: int | None = None, anchor: str = "start",
          weight: str | None = None) -> str:
    extra = (f' font-size="{size}"' if size else "") + (f' font-weight="{weight}"' if weight else "")
    extra += f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" fill="{fill}"{extra}>{escape(text)}</text>'


def fit(text: str, pixels: float, size: int = LABEL_SIZE) -> str:
    """`text` cut with an ellipsis to what fits in `pixels` at font `size` (estimated widths)."""
    most = max(int(pixels / (size * CHAR_WIDTH)), 1)
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _bars(chart: Bars, width: int) -> tuple[list[str], int]:
    if not chart.labels:
        return [], 0
    reserve = max((len(t) for t in chart.texts), default=0) * LABEL_SIZE * CHAR_WIDTH + 12
    track = width - 2 * PAD - reserve
    top = max(chart.values, default=0) or 1
    parts = []
    for n, (label, value, text, marked) in enumerate(zip(chart.labels, chart.values, chart.texts, chart.marked,
                                                         strict=True)):
        y = PAD + n * ROW_HEIGHT
        shown = ("✓ " if marked else "") + label
        parts.append(_text(PAD, y + LABEL_SIZE, fit(shown, width - 2 * PAD), weight="bold" if marked else None))
        bar_y = y + LABEL_SIZE + 6
        length = track * value / top
        parts.append(f'<rect x="{PAD}" y="{bar_y}" width="{track:.1f}" height="{BAR_HEIGHT}" fill="{TRACK}"/>')
        if length > 0:
            colour = CORRECT if marked else BAR
            parts.append(f'<rect x="{PAD}" y="{bar_y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{colour}"/>')
        parts.append(_text(PAD + track + 8, bar_y + BAR_HEIGHT - 7, text))
    return parts, PAD * 2 + len(chart.labels) * ROW_HEIGHT


def _ink_on(colour: str) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return INK if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else "#ffffff"


def scale_colours(count: int) -> list[str]:
    """`count` colours spread over the diverging palette, low to high."""
    if count <= 1:
        return [SCALE_COLOURS[len(SCALE_COLOURS) // 2]]
    last = len(SCALE_COLOURS) - 1
    return [SCALE_COLOURS[round(i * last / (count - 1))] for i in range(count)]


def _stacked(chart: Stacked, width: int) -> tuple[list[str], int]:
    if not chart.categories:
        return [], 0
    colours = scale_colours(len(chart.series))
    parts: list[str] = []
    x, y = float(PAD), PAD
    legend_size = LABEL_SIZE - 3
    for colour, name in zip(colours, chart.series, strict=True):
        label = fit(name, width / 2, legend_size)
        room = 22 + len(label) * legend_size * CHAR_WIDTH + 18
        if x + room > width - PAD and x > PAD:
            x, y = float(PAD), y + legend_size + 10
        parts.append(f'<rect x="{x}" y="{y}" width="16" height="16" fill="{colour}" stroke="{MUTED}" '
                     f'stroke-width="0.5"/>')
        parts.append(_text(x + 22, y + 14, label, size=legend_size))
        x += room
    y += legend_size + 20
    track = width - 2 * PAD
    for label, counts in zip(chart.categories, chart.counts, strict=True):
        total = sum(counts)
        parts.append(_text(PAD, y + LABEL_SIZE, fit(f"{label} ({total})", track)))
        bar_y, left = y + LABEL_SIZE + 6, float(PAD)
        parts.append(f'<rect x="{PAD}" y="{bar_y}" width="{track}" height="{BAR_HEIGHT}" fill="{TRACK}"/>')
        for colour, count in zip(colours, counts, strict=True):
            if count <= 0:
                continue
            length = track * count / total
            parts.append(f'<rect x="{left:.1f}" y="{bar_y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
                         f'fill="{colour}"/>')
            if length >= len(str(count)) * LABEL_SIZE * CHAR_WIDTH + 6:
                parts.append(_text(left + length / 2, bar_y + BAR_HEIGHT - 7, str(count), fill=_ink_on(colour),
                                   anchor="middle"))
            left += length
        y += ROW_HEIGHT
    return parts, y + PAD


def _entries(chart: Entries, width: int) -> tuple[list[str], int]:
    texts = chart.texts[-ENTRIES_SHOWN:]
    parts: list[str] = []
    y = PAD
    line_height = LABEL_SIZE + 6
    columns = max(int((width - 2 * PAD - 24) / (LABEL_SIZE * CHAR_WIDTH)), 10)
    for text in reversed(texts):  # newest first, as the screens list them
        lines = textwrap.wrap(text, columns, max_lines=ENTRY_LINES, placeholder=" …") or [""]
        box = len(lines) * line_height + 14
        parts.append(f'<rect x="{PAD}" y="{y}" width="{width - 2 * PAD}" height="{box}" rx="6" fill="#f3f6fa" '
                     f'stroke="#c5d3e3"/>')
        for n, line in enumerate(lines):
            parts.append(_text(PAD + 12, y + 7 + LABEL_SIZE + n * line_height, line))
        y += box + 10
    more = len(chart.texts) - len(texts)
    if more > 0:
        parts.append(_text(PAD, y + LABEL_SIZE, f"+{more}", fill=MUTED))
        y += LABEL_SIZE + 10
    return parts, y + PAD - 10 if parts else 0
