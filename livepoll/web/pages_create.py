"""The host's create-session form: what one question block holds, how it is read back from a post, and how
it is checked, by the API's own rules (the request model `SessionIn`, then each kind's `build_question`),
with every problem put into words of the page's language and attached to the field it is about.

Every kind's fields are in every block (the ones of other kinds hidden), so switching a question's kind
keeps what was typed. A quiz types its options one per row with a "correct" tick beside each; choice and
ranking one per line in a text area: `q<n>_shown` says which of the two the host saw, and the options are
read from that one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData

from livepoll.kinds import build_question
from livepoll.kinds.base import InvalidQuestion
from livepoll.kinds.choice import (
    DEFAULT_POINTS,
    MAX_POINTS,
    MAX_QUIZ_OPTIONS,
    MAX_TIME_LIMIT,
    MIN_TIME_LIMIT,
)
from livepoll.kinds.entries import DEFAULT_WORDS_PER_BALLOT, MAX_ENTRIES_PER_PARTICIPANT, MAX_WORDS_PER_BALLOT
from livepoll.kinds.scale import MAX_LABEL_CHARS, MAX_POINTS as MAX_SCALE_POINTS, MAX_RANKED, MAX_STATEMENTS
from livepoll.model import MAX_QUESTIONS, MAX_TITLE_CHARS
from livepoll.questions import MAX_OPTION_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS, MIN_OPTIONS, Draft, QuestionKind
from livepoll.text import clean_text
from livepoll.web.schemas import QuestionIn, SessionIn, draft_of

# In the order the kind selector offers them.
KINDS = (QuestionKind.CHOICE, QuestionKind.QUIZ, QuestionKind.WORDCLOUD, QuestionKind.OPEN, QuestionKind.SCALE,
         QuestionKind.RANKING)
OPTION_KINDS = (QuestionKind.CHOICE, QuestionKind.RANKING)  # options one per line in a text area
# Rows a quiz block shows at least (with JavaScript, "add an option" adds more up to MAX_QUIZ_OPTIONS).
QUIZ_ROWS = 4
# Fields one question block may post: its settings, and a quiz row and its tick per option (a choice
# question of MAX_OPTIONS options switched to a quiz without JavaScript shows them all as rows, plus one).
FIELDS_PER_QUESTION = 24 + 2 * (MAX_OPTIONS + 1)
MAX_FORM_FIELDS = 8 + FIELDS_PER_QUESTION * MAX_QUESTIONS
MAX_FORM_FIELD_BYTES = 64 * 1024

Translate = Callable[[str], str]
_QUESTION: TypeAdapter[QuestionIn] = TypeAdapter(QuestionIn)


@dataclass
class QuestionForm:
    """One question block as typed: texts as they were, numbers as strings (a wrong one is shown again)."""

    kind: QuestionKind = QuestionKind.CHOICE
    text: str = ""
    options: list[str] = field(default_factory=list)
    correct: set[int] = field(default_factory=set)  # indexes into `options` (quiz)
    max_choices: str = "1"
    allow_change: bool = True
    other: bool = False
    other_label: str = ""
    points: str = str(DEFAULT_POINTS)
    speed_bonus: bool = False
    time_limit: str = ""
    max_words: str = str(DEFAULT_WORDS_PER_BALLOT)
    max_entries: str = "1"
    moderated: bool = False
    statements: str = ""
    scale_min: str = "1"
    scale_max: str = "5"
    min_label: str = ""
    max_label: str = ""

    @property
    def empty(self) -> bool:
        return not self.text.strip() and not self.options and not self.statement_list

    @property
    def options_text(self) -> str:
        return "\n".join(self.options)

    @property
    def statement_list(self) -> list[str]:
        return _lines(self.statements)

    def quiz_rows(self) -> list[tuple[str, bool]]:
        """(label, correct) per row of a quiz: its options, then empty rows up to QUIZ_ROWS (or one more, up to
        the quiz's limit). Another kind's options stay in the text area only, so a post never carries them
        twice (a hundred questions of thirty options make the largest form)."""
        options = self.options if self.kind is QuestionKind.QUIZ else []
        rows = max(QUIZ_ROWS, min(len(options) + 1, MAX_QUIZ_OPTIONS), len(options))
        return [(options[i] if i < len(options) else "", i in self.correct) for i in range(rows)]

    def request(self) -> dict[str, Any]:
        """The block as one `questions[]` item of the API (numbers parsed when they can be; a number that
        cannot stays a string, which the strict request model refuses like any wrong value)."""
        body: dict[str, Any] = {"kind": self.kind.value, "text": self.text}
        kind = self.kind
        if kind in (*OPTION_KINDS, QuestionKind.QUIZ):
            body["options"] = list(self.options)
        if kind is not QuestionKind.OPEN:
            body["allow_change"] = self.allow_change
        if kind is QuestionKind.CHOICE:
            _number(body, "max_choices", self.max_choices)
            body["other"] = self.other
            if self.other and self.other_label.strip():
                body["other_label"] = self.other_label
        elif kind is QuestionKind.QUIZ:
            body["correct"] = sorted(self.correct)
            _number(body, "points", self.points)
            body["speed_bonus"] = self.speed_bonus
            _number(body, "time_limit", self.time_limit)
        elif kind is QuestionKind.WORDCLOUD:
            _number(body, "max_entries", self.max_words)
        elif kind is QuestionKind.OPEN:
            _number(body, "max_entries", self.max_entries)
            body["moderated"] = self.moderated
        elif kind is QuestionKind.SCALE:
            body["statements"] = self.statement_list
            _number(body, "min", self.scale_min)
            _number(body, "max", self.scale_max)
            for name in ("min_label", "max_label"):
                if getattr(self, name).strip():
                    body[name] = getattr(self, name)
        return body


def _number(body: dict[str, Any], name: str, typed: str) -> None:
    """A typed number into the request: left out when empty (the kind's default), an int when it is one."""
    typed = typed.strip()
    if not typed:
        return
    try:
        body[name] = int(typed)
    except ValueError:
        body[name] = typed


def _lines(text: str) -> list[str]:
    return [line for raw in text.splitlines() if (line := clean_text(raw))]


def _kind(value: object, default: QuestionKind = QuestionKind.CHOICE) -> QuestionKind:
    try:
        return QuestionKind(str(value))
    except ValueError:
        return default


def read_questions(form: FormData) -> list[QuestionForm]:
    """Every question block of a posted form, as typed."""
    try:
        count = min(max(int(str(form.get("count") or "1")), 1), MAX_QUESTIONS)
    except ValueError:
        count = 1
    return [read_question(form, f"q{n}_") for n in range(1, count + 1)]


def read_question(form: FormData, prefix: str) -> QuestionForm:
    def text(name: str, default: str = "") -> str:
        value = form.get(prefix + name)
        return default if value is None else str(value)

    def ticked(name: str) -> bool:
        return form.get(prefix + name) is not None

    kind = _kind(form.get(prefix + "kind"))
    shown = _kind(form.get(prefix + "shown"), kind)
    options: list[str] = []
    correct: set[int] = set()
    if shown is QuestionKind.QUIZ:
        ticks = {str(v) for v in form.getlist(prefix + "correct")}
        for row in range(1, MAX_OPTIONS + 2):
            label = clean_text(text(f"option_{row}"))
            if label:
                if str(row) in ticks:
                    correct.add(len(options))
                options.append(label)
    else:
        options = _lines(text("options"))
    blank = QuestionForm()
    return QuestionForm(
        kind=kind, text=text("text"), options=options, correct=correct,
        max_choices=text("max_choices", blank.max_choices), allow_change=ticked("allow_change"),
        other=ticked("other"), other_label=text("other_label"), points=text("points", blank.points),
        speed_bonus=ticked("speed_bonus"), time_limit=text("time_limit"),
        max_words=text("max_words", blank.max_words), max_entries=text("max_entries", blank.max_entries),
        moderated=ticked("moderated"), statements=text("statements"),
        scale_min=text("scale_min", blank.scale_min), scale_max=text("scale_max", blank.scale_max),
        min_label=text("min_label"), max_label=text("max_label"),
    )


# Checking --------------------------------------------------------------------------------------------------


@dataclass
class Problems:
    """What is wrong with a post: per form field id (`title`, `q3_options`), in the page's language; `summary`
    lists them all, in form order, with the field each is about."""

    fields: dict[str, str] = field(default_factory=dict)
    summary: list[tuple[str, str]] = field(default_factory=list)

    def add(self, field_id: str, message: str, listed: str | None = None) -> None:
        if field_id in self.fields:
            return
        self.fields[field_id] = message
        self.summary.append((field_id, listed or message))

    def __bool__(self) -> bool:
        return bool(self.summary)


def check(_: Translate, title: str, questions: list[QuestionForm]) -> tuple[list[Draft], Problems]:
    """The drafts to create, or the problems: the API's request model first, then each kind's rules (for
    every question the request model let through, so one post shows as many problems as it can).
    Empty blocks are skipped."""
    problems = Problems()
    kept = [(n, q) for n, q in enumerate(questions, start=1) if not q.empty]
    requests = [q.request() for _n, q in kept]
    drafts: list[Draft] = []
    try:
        drafts = [draft_of(q) for q in SessionIn.model_validate({"title": title, "questions": requests}).questions]
    except ValidationError as exc:
        refused = set()
        for error in exc.errors():
            _model_problem(_, problems, error, kept)
            if error["loc"][:1] == ("questions",) and len(error["loc"]) > 1:
                refused.add(error["loc"][1])
        drafts = [draft_of(_QUESTION.validate_python(r)) for i, r in enumerate(requests) if i not in refused]
        kept = [item for i, item in enumerate(kept) if i not in refused]
    for (n, q), draft in zip(kept, drafts, strict=True):
        try:
            build_question(draft, n)
        except InvalidQuestion as exc:
            name = exc.field or "text"
            _add(_, problems, n, q, name, _rule_message(_, q, name, "rule"))
    _sort(problems, len(questions))
    return ([] if problems else drafts), problems


def _sort(problems: Problems, count: int) -> None:
    """The summary in the order of the form: the title, then question by question."""
    def place(item: tuple[str, str]) -> tuple[int, str]:
        field_id = item[0]
        if field_id.startswith("q") and "_" in field_id:
            return int(field_id[1:field_id.index("_")]), ""
        return (0, "") if field_id == "title" else (count + 1, field_id)
    problems.summary.sort(key=place)


def _model_problem(_: Translate, problems: Problems, error: Mapping[str, Any], kept: list[tuple[int, QuestionForm]]
                   ) -> None:
    loc = error["loc"]
    if loc[:1] == ("title",):
        message = (_("Give the session a title.") if error["type"] == "string_too_short"
                   else _("The title is too long (at most %(num)d characters).") % {"num": MAX_TITLE_CHARS})
        problems.add("title", message)
        return
    if len(loc) < 4 or loc[0] != "questions" or not isinstance(loc[1], int):
        problems.add("q1_text", _("Write at least one question."))
        return
    n, question = kept[loc[1]]
    name = str(loc[3])
    item = loc[4] if len(loc) > 4 else None
    _add(_, problems, n, question, name, _rule_message(_, question, name, _reason(error, item)))


def _reason(error: Mapping[str, Any], item: object) -> str:
    kind = str(error["type"])
    if item is not None:
        return "item_long" if kind == "string_too_long" else "item"
    if kind in ("string_too_short", "missing"):
        return "empty"
    if kind == "string_too_long":
        return "long"
    if kind in ("too_short", "too_long"):
        return "count"
    return "value"


def _add(_: Translate, problems: Problems, n: int, question: QuestionForm, name: str, message: str) -> None:
    field_id = f"q{n}_{form_field(question.kind, name)}"
    problems.add(field_id, message, _("Question %(num)d: %(problem)s") % {"num": n, "problem": message})


def form_field(kind: QuestionKind, name: str) -> str:
    """The form field (id suffix) that holds a request field of a question of `kind`."""
    if name == "options":
        return "quiz_options" if kind is QuestionKind.QUIZ else "options"
    if name == "max_entries":
        return "max_words" if kind is QuestionKind.WORDCLOUD else "max_entries"
    return {"min": "scale_min", "max": "scale_max", "correct": "quiz_options"}.get(name, name)


def _rule_message(_: Translate, question: QuestionForm, name: str, reason: str) -> str:
    """The rule a field breaks, in words: `reason` is what went wrong (empty, long, count, item, item_long,
    value, or `rule` for a kind's own rule)."""
    kind = question.kind
    if name == "text":
        if reason == "long":
            return _("The question is too long (at most %(max)d characters).") % {"max": MAX_QUESTION_CHARS}
        return _("Write the question.")
    if name == "options":
        if reason == "item_long":
            return _("An option is too long (at most %(max)d characters).") % {"max": MAX_OPTION_CHARS}
        if reason == "rule" and MIN_OPTIONS <= len(question.options) <= _max_options(kind):
            return _("Each option must be different (capital letters count as the same).")
        limits = {"min": MIN_OPTIONS, "max": _max_options(kind)}
        if kind is QuestionKind.QUIZ:
            return _("Fill in between %(min)d and %(max)d answers.") % limits
        return _("Write between %(min)d and %(max)d options, one per line.") % limits
    if name == "statements":
        if reason == "item_long":
            return _("A statement is too long (at most %(max)d characters).") % {"max": MAX_OPTION_CHARS}
        if reason == "rule" and 1 <= len(question.statement_list) <= MAX_STATEMENTS:
            return _("Each statement must be different (capital letters count as the same).")
        return _("Write between %(min)d and %(max)d statements, one per line.") % {"min": 1, "max": MAX_STATEMENTS}
    if name == "max_choices":
        most = max(len(question.options) + (1 if question.other else 0), 1)
        return _("“How many options can one person choose” must be a whole number from 1 to %(max)d.") % {
            "max": most}
    if name == "other_label":
        return _("The name of “Other” is too long (at most %(max)d characters).") % {"max": MAX_OPTION_CHARS}
    if name == "correct":
        return _("Tick at least one correct answer.")
    if name == "points":
        return _("Points must be a whole number from 0 to %(max)d.") % {"max": MAX_POINTS}
    if name == "time_limit":
        return _("The time limit must be a whole number of seconds from %(min)d to %(max)d, or empty.") % {
            "min": MIN_TIME_LIMIT, "max": MAX_TIME_LIMIT}
    if name == "speed_bonus":
        return _("The speed bonus needs a time limit.")
    if name == "max_entries" and kind is QuestionKind.WORDCLOUD:
        return _("Words per person must be a whole number from 1 to %(max)d.") % {"max": MAX_WORDS_PER_BALLOT}
    if name == "max_entries":
        return _("Entries per person must be a whole number from 1 to %(max)d.") % {
            "max": MAX_ENTRIES_PER_PARTICIPANT}
    if name == "min":
        return _("The scale starts at 0 or 1.")
    if name == "max":
        low = _int(question.scale_min, 1)
        return _("The highest value of the scale must be a whole number from %(min)d to %(max)d.") % {
            "min": low + 1, "max": low + MAX_SCALE_POINTS - 1}
    if name in ("min_label", "max_label"):
        return _("A label is too long (at most %(max)d characters).") % {"max": MAX_LABEL_CHARS}
    return _("This value is not valid.")


def _max_options(kind: QuestionKind) -> int:
    return {QuestionKind.QUIZ: MAX_QUIZ_OPTIONS, QuestionKind.RANKING: MAX_RANKED}.get(kind, MAX_OPTIONS)


def _int(typed: str, default: int) -> int:
    try:
        return int(typed.strip())
    except ValueError:
        return default


def limits() -> dict[str, int]:
    """The numbers the form's inputs and hints show."""
    return {
        "title": MAX_TITLE_CHARS, "question": MAX_QUESTION_CHARS, "options": MAX_OPTIONS, "option": MAX_OPTION_CHARS,
        "quiz_options": MAX_QUIZ_OPTIONS, "ranked": MAX_RANKED, "statements": MAX_STATEMENTS,
        "points": MAX_POINTS, "min_time": MIN_TIME_LIMIT, "max_time": MAX_TIME_LIMIT,
        "words": MAX_WORDS_PER_BALLOT, "entries": MAX_ENTRIES_PER_PARTICIPANT, "label": MAX_LABEL_CHARS,
        "scale_points": MAX_SCALE_POINTS,
    }


def kind_names(_: Translate) -> list[tuple[str, str]]:
    names = {
        QuestionKind.CHOICE: _("Multiple choice"),
        QuestionKind.QUIZ: _("Quiz"),
        QuestionKind.WORDCLOUD: _("Word cloud"),
        QuestionKind.OPEN: _("Open text"),
        QuestionKind.SCALE: _("Scales"),
        QuestionKind.RANKING: _("Ranking"),
    }
    return [(kind.value, names[kind]) for kind in KINDS]
