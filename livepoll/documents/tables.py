"""Each question's results as the documents show them: the rows of `export.csv` for it (the same builder),
and what its chart draws (bars, a stacked distribution, or a list of entries), all in one language."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from livepoll import exports, kinds
from livepoll.kinds import ResultsView
from livepoll.kinds.scale import rating_key
from livepoll.qa import PUBLIC_STATUSES, QaQuestion
from livepoll.questions import Question, QuestionKind

Translate = Callable[[str], str]

# Words a word cloud's chart shows (the table lists them all).
MAX_CHART_WORDS = 15
# Entries (open text, "other" texts, Q&A) and words a report lists per question; the workbook has them all.
MAX_LISTED_ENTRIES = 300
MAX_PRINTED_WORDS = 100


class Line(NamedTuple):
    """One row of `export.csv` for a question: an item, its number and the percent of the voters."""

    item_id: str
    item: str
    votes: int
    percent: float


@dataclass(frozen=True, slots=True)
class Bars:
    """One bar per item; `texts` is what is written at a bar's end, `marked` the bars drawn as correct."""

    labels: tuple[str, ...]
    values: tuple[int, ...]
    texts: tuple[str, ...]
    marked: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class Stacked:
    """A scale: per statement (category) how many gave each value (series), as shares of a full bar."""

    categories: tuple[str, ...]
    series: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]  # [category][series]


@dataclass(frozen=True, slots=True)
class Entries:
    """Texts listed one under another (open text)."""

    texts: tuple[str, ...]


Chart = Bars | Stacked | Entries


@dataclass(frozen=True, slots=True)
class QuestionTable:
    number: int
    question: Question
    kind_name: str
    voters: int
    unit: str  # the heading of the number column: votes, points, count
    lines: tuple[Line, ...]
    printed: tuple[Line, ...]  # what a report prints: no words the host hid (100 at most), no open entries
    chart: Chart
    entries: tuple[str, ...]  # open-text entries or "other" texts on screens (visible), oldest first
    notes: tuple[str, ...]  # averages of a scale's statements, average places of a ranking

    @property
    def percent(self) -> bool:
        """Whether a percent of the voters means something here (not for a ranking's Borda points)."""
        return self.question.kind is not QuestionKind.RANKING


def question_tables(
    views: Sequence[tuple[Question, ResultsView]], kind_names: Mapping[str, str], _: Translate
) -> list[QuestionTable]:
    """Every question's table; `kind_names`: the name of each kind (by value) in the document's language."""
    return [_table(n, question, view, kind_names.get(question.kind.value, question.kind.value), _)
            for n, (question, view) in enumerate(views, 1)]


def _table(number: int, question: Question, view: ResultsView, kind_name: str, _: Translate) -> QuestionTable:
    lines = tuple(Line(row[2], row[3], row[4], row[6]) for row in exports.result_table([(question, view)]))
    results = kinds.question_results(question, view)
    kind = question.kind
    entries: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    printed = lines
    unit = _("Votes")
    chart: Chart
    if kind is QuestionKind.SCALE:
        unit = _("Ratings")
        chart = _distribution(question, lines)
        notes = tuple(
            _("%(statement)s: average %(value)s") % {"statement": s["label"], "value": _number(s["average"])}
            for s in _dicts(results.get("statements"))
        )
    elif kind is QuestionKind.OPEN:
        unit = _("Entries")
        entries = tuple(str(e["text"]) for e in reversed(_dicts(results.get("entries"))) if e["status"] == "visible")
        chart = Entries(entries)
        printed = ()
    elif kind is QuestionKind.WORDCLOUD:
        unit = _("Count")
        shown = {str(w["key"]) for w in _dicts(results.get("words"))}
        printed = tuple(line for line in lines if line.item_id in shown)[:MAX_PRINTED_WORDS]
        chart = _bars(printed[:MAX_CHART_WORDS], lambda line: f"{line.votes}", ())
    elif kind is QuestionKind.RANKING:
        unit = _("Points")
        ranked = sorted(lines, key=lambda line: -line.votes)  # stable: ties keep the question's order
        chart = _bars(ranked, lambda line: _("%(num)d pts") % {"num": line.votes}, ())
        notes = tuple(
            _("%(option)s: average place %(rank)s") % {"option": o["label"], "rank": _number(o["average_rank"])}
            for o in _dicts(results.get("options"))
        )
    else:
        correct = question.correct if kind is QuestionKind.QUIZ else ()
        chart = _bars(lines, lambda line: f"{line.votes} ({line.percent:.0f}%)", correct)
        entries = tuple(str(t) for t in _list(results.get("other_texts")))
    return QuestionTable(number, question, kind_name, view.tally.voters, unit, lines, printed, chart,
                         entries[:MAX_LISTED_ENTRIES], notes)


def _bars(lines: Iterable[Line], text: Callable[[Line], str], correct: Sequence[str]) -> Bars:
    listed = list(lines)
    return Bars(tuple(line.item for line in listed), tuple(line.votes for line in listed),
                tuple(text(line) for line in listed), tuple(line.item_id in correct for line in listed))


def _distribution(question: Question, lines: Sequence[Line]) -> Stacked:
    """The scale's rows (`<statement>=<value>`) as a statement × value matrix."""
    counts = {line.item_id: line.votes for line in lines}
    values = question.scale_values
    series = [str(v) for v in values]
    if question.min_label:
        series[0] = f"{series[0]} · {question.min_label}"
    if question.max_label:
        series[-1] = f"{series[-1]} · {question.max_label}"
    return Stacked(
        tuple(s.label for s in question.statements), tuple(series),
        tuple(tuple(counts.get(rating_key(s.id, v), 0) for v in values) for s in question.statements),
    )


def visible_questions(questions: Iterable[QaQuestion]) -> list[QaQuestion]:
    """The Q&A questions the audience could see (visible, pinned, answered), most upvoted first."""
    shown = [q for q in questions if q.status in PUBLIC_STATUSES]
    return sorted(shown, key=lambda q: (-q.upvotes, q.created_at, q.id))[:MAX_LISTED_ENTRIES]


def _dicts(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _number(value: object) -> str:
    return "–" if value is None else f"{value}"
