"""Questions as stored: one shape for every kind, with the fields each kind uses (see `livepoll.kinds`).

A question is built from a `Draft` (one `questions[]` item of a creation request) by its kind's rules, gets
ids (`q<n>`, options `o<n>`, statements `s<n>`), and is stored as a record holding only its kind's fields.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MIN_OPTIONS = 2
MAX_OPTIONS = 30
MAX_QUESTION_CHARS = 500
MAX_OPTION_CHARS = 200
# The option a `choice` question with "other" gets; its label is the UI's "Other" unless the host named it.
OTHER = "other"
# Session-wide channels kept like a question's ballots (see `channel`): nicknames, Q&A questions, upvotes.
NAMES_CHANNEL, ASKED_CHANNEL, UPVOTES_CHANNEL = "_names", "_qa", "_qa_up"
SESSION_CHANNELS = (NAMES_CHANNEL, ASKED_CHANNEL, UPVOTES_CHANNEL)


class QuestionKind(enum.StrEnum):
    """What a question asks for; each kind's ballot check, tally and views live in `livepoll.kinds`."""

    CHOICE = "choice"
    WORDCLOUD = "wordcloud"
    OPEN = "open"
    SCALE = "scale"
    RANKING = "ranking"
    QUIZ = "quiz"


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Draft:
    """One question of a creation request, as sent (shape already checked by the request model). Fields a
    kind does not use stay at their defaults."""

    kind: QuestionKind
    text: str
    options: Sequence[str] = ()
    max_choices: int | None = None
    allow_change: bool | None = None
    other: bool = False
    other_label: str | None = None
    statements: Sequence[str] = ()
    min: int | None = None
    max: int | None = None
    min_label: str | None = None
    max_label: str | None = None
    max_entries: int | None = None
    moderated: bool = False
    correct: Sequence[int] = ()
    points: int | None = None
    speed_bonus: bool = False
    time_limit: int | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """A question of any kind. `options` serve choice, ranking and quiz (a choice question with "other" has
    the option `other` last, labelled `other_label` or, when that is empty, the UI's "Other"); `statements`,
    `min`/`max` and their labels serve scale; `max_entries` word cloud and open text; `correct`, `points`,
    `speed_bonus` and `time_limit` quiz."""

    id: str
    kind: QuestionKind
    text: str
    options: tuple[Option, ...] = ()
    max_choices: int = 1
    allow_change: bool = True
    other: bool = False
    statements: tuple[Option, ...] = ()
    min: int = 1
    max: int = 5
    min_label: str | None = None
    max_label: str | None = None
    max_entries: int = 1
    moderated: bool = False
    correct: tuple[str, ...] = ()
    points: int = 100
    speed_bonus: bool = False
    time_limit: int | None = None
    _positions: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Option id -> position, built once: every ballot is checked against it.
        object.__setattr__(self, "_positions", {o.id: n for n, o in enumerate(self.options)})

    def option(self, option_id: str) -> Option | None:
        position = self._positions.get(option_id)
        return None if position is None else self.options[position]

    def position(self, option_id: str) -> int | None:
        return self._positions.get(option_id)

    def statement(self, statement_id: str) -> Option | None:
        return next((s for s in self.statements if s.id == statement_id), None)

    @property
    def scale_values(self) -> range:
        return range(self.min, self.max + 1)

    # Records ---------------------------------------------------------------------------------------------

    def to_record(self) -> dict[str, object]:
        """What is stored: every field this kind uses (the quiz's correct answers included)."""
        from livepoll.kinds import rules

        record: dict[str, object] = {"id": self.id, "kind": self.kind.value, "text": self.text}
        for name in rules(self.kind).fields:
            value = getattr(self, name)
            if name == "other" and not value:
                continue  # a choice question without "other" keeps the shape it had before "other" existed
            if name in ("options", "statements"):
                value = [{"id": o.id, "label": o.label} for o in value]
            elif name == "correct":
                value = list(value)
            record[name] = value
        return record

    def to_public(self, *, host: bool = False) -> dict[str, object]:
        """The definition as participants and screens see it: a quiz's correct answers only for the host."""
        record = self.to_record()
        if not host:
            record.pop("correct", None)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> Question:
        values: dict[str, object] = {"id": str(record["id"]), "kind": QuestionKind(str(record["kind"])),
                                     "text": str(record["text"])}
        for name in ("options", "statements"):
            items = record.get(name)
            if isinstance(items, list):
                values[name] = tuple(Option(str(o["id"]), str(o["label"])) for o in items)
        correct = record.get("correct")
        if isinstance(correct, list):
            values["correct"] = tuple(str(c) for c in correct)
        for name in ("max_choices", "min", "max", "max_entries", "points"):
            if name in record:
                values[name] = int(str(record[name]))
        for name in ("allow_change", "other", "moderated", "speed_bonus"):
            if name in record:
                values[name] = bool(record[name])
        for name in ("min_label", "max_label"):
            if record.get(name) is not None:
                values[name] = str(record[name])
        if record.get("time_limit") is not None:
            values["time_limit"] = int(str(record["time_limit"]))
        return cls(**values)  # type: ignore[arg-type]


def channel(channel_id: str) -> Question:
    """A session-wide channel that is not a question (nicknames, Q&A) as the stores see it: an id whose
    ballots are kept and counted like a question's, with no options of its own."""
    return Question(channel_id, QuestionKind.OPEN, "")
