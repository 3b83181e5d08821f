"""Questions as stored: one shape for every kind, with the fields each kind uses (see `livepoll.kinds`).

A question is built from a `Draft` (one `questions[]` item of a creation request) by its kind's rules, gets
ids (`q<n>`, options `o<n>`, statements `s<n>`), and is stored as a record holding only its kind's fields.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from livepoll.languages import DEFAULT_LANGUAGE, Text, Versions, resolve, versions_of

MIN_OPTIONS = 2
MAX_OPTIONS = 30
MAX_QUESTION_CHARS = 500
MAX_OPTION_CHARS = 200
# The option a `choice` question with "other" gets; its label is the UI's "Other" unless the host named it.
OTHER = "other"
# Session-wide channels kept like a question's ballots (see `channel`): nicknames, Q&A questions, upvotes.
NAMES_CHANNEL, ASKED_CHANNEL, UPVOTES_CHANNEL = "_names", "_qa", "_qa_up"
SESSION_CHANNELS = (NAMES_CHANNEL, ASKED_CHANNEL, UPVOTES_CHANNEL)
# The texts of a question that may be given in several languages.
TEXT_FIELDS = ("text", "other_label", "min_label", "max_label")
LIST_FIELDS = ("options", "statements")


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
    """One question of a creation request, as sent (shape already checked by the request model), its texts
    in the session's default language (see `localized`). Fields a kind does not use stay at their defaults.
    `i18n` holds the texts given in several languages by where they are in the draft ("text", "options:0",
    "statements:1", "other_label", "min_label", "max_label")."""

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
    i18n: tuple[tuple[str, Versions], ...] = ()

    @classmethod
    def localized(cls, kind: QuestionKind, default: str, **fields: object) -> Draft:
        """A draft from a request's fields, where every text may be a plain string or a map of languages:
        the plain fields get each text in `default` (else any language it has), `i18n` keeps the maps."""
        i18n: list[tuple[str, Versions]] = []

        def plain(path: str, value: object) -> object:
            if isinstance(value, Mapping):
                i18n.append((path, versions_of(value)))
                return resolve(value, default, default)
            return value

        for name in TEXT_FIELDS:
            if fields.get(name) is not None:
                fields[name] = plain(name, fields[name])
        for name in LIST_FIELDS:
            items = fields.get(name)
            if isinstance(items, Sequence):
                fields[name] = [plain(f"{name}:{n}", v) for n, v in enumerate(items)]
        return cls(kind=kind, i18n=tuple(i18n), **fields)  # type: ignore[arg-type]

    def paths_to_ids(self, question: Question) -> tuple[tuple[str, Versions], ...]:
        """`i18n` with the draft's positions turned into the built question's ids ("options:0" -> "option:o1",
        "other_label" -> "option:other")."""
        options = [o.id for o in question.options if o.id != OTHER]
        found: list[tuple[str, Versions]] = []
        for path, texts in self.i18n:
            name, _, index = path.partition(":")
            if name == "options":
                found.append((f"option:{options[int(index)]}", texts))
            elif name == "statements":
                found.append((f"statement:{question.statements[int(index)].id}", texts))
            elif name == "other_label":
                found.append((f"option:{OTHER}", texts))
            else:
                found.append((name, texts))
        return tuple(sorted(found))


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
    # Texts given in several languages: (path, ((lang, text), ...)) for "text", "option:<id>",
    # "statement:<id>", "min_label", "max_label", sorted by path; the plain fields hold them in the default
    # language.
    i18n: tuple[tuple[str, Versions], ...] = ()
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

    # Languages -------------------------------------------------------------------------------------------

    def in_language(self, lang: str, default: str) -> Question:
        """This question with every text read in `lang` (falling back to `default`, then any language)."""
        if not self.i18n:
            return self
        texts = {path: dict(found) for path, found in self.i18n}

        def read(path: str, plain: str) -> str:
            found = texts.get(path)
            return plain if found is None else resolve(found, lang, default)

        return replace(
            self,
            text=read("text", self.text),
            options=tuple(Option(o.id, read(f"option:{o.id}", o.label)) for o in self.options),
            statements=tuple(Option(s.id, read(f"statement:{s.id}", s.label)) for s in self.statements),
            min_label=None if self.min_label is None else read("min_label", self.min_label),
            max_label=None if self.max_label is None else read("max_label", self.max_label),
        )

    def text_of(self, path: str, plain: str) -> Text:
        """The text at `path` as given: its map of languages, or the plain string."""
        for where, found in self.i18n:
            if where == path:
                return dict(found)
        return plain

    # Records ---------------------------------------------------------------------------------------------

    def to_record(self) -> dict[str, object]:
        """What is stored: every field this kind uses (the quiz's correct answers included)."""
        from livepoll.kinds import rules

        record: dict[str, object] = {"id": self.id, "kind": self.kind.value, "text": self.text_of("text", self.text)}
        for name in rules(self.kind).fields:
            value = getattr(self, name)
            if name == "other" and not value:
                continue  # a choice question without "other" keeps the shape it had before "other" existed
            if name in ("options", "statements"):
                prefix = name[:-1]
                value = [{"id": o.id, "label": self.text_of(f"{prefix}:{o.id}", o.label)} for o in value]
            elif name == "correct":
                value = list(value)
            elif name in ("min_label", "max_label") and value is not None:
                value = self.text_of(name, value)
            record[name] = value
        return record

    def to_request(self) -> dict[str, object]:
        """This question as one `questions[]` item of a creation request (texts with their languages): what
        creates it again, and what an edit starts from."""
        from livepoll.kinds import rules

        request: dict[str, object] = {"kind": self.kind.value, "text": self.text_of("text", self.text)}
        regular = [o for o in self.options if o.id != OTHER]
        for name in rules(self.kind).fields:
            value = getattr(self, name)
            if name == "options":
                value = [self.text_of(f"option:{o.id}", o.label) for o in regular]
            elif name == "statements":
                value = [self.text_of(f"statement:{s.id}", s.label) for s in value]
            elif name == "correct":
                value = [n for n, o in enumerate(regular) if o.id in self.correct]
            elif name == "max_choices" and self.kind is QuestionKind.QUIZ:
                continue  # a quiz's follows from its correct answers
            elif name in ("min_label", "max_label") and value is not None:
                value = self.text_of(name, value)
            if value is None or (name == "other" and not value):
                continue
            request[name] = value
        other = next((o for o in self.options if o.id == OTHER), None)
        if other is not None and (other.label or self.text_of(f"option:{OTHER}", "")):
            request["other_label"] = self.text_of(f"option:{OTHER}", other.label)
        return request

    def to_public(self, *, host: bool = False) -> dict[str, object]:
        """The definition as participants and screens see it, every text a plain string (read the question
        `in_language` first): a quiz's correct answers only for the host."""
        record = replace(self, i18n=()).to_record()
        if not host:
            record.pop("correct", None)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, object], default: str = DEFAULT_LANGUAGE) -> Question:
        """A stored question; texts stored as maps are read in the session's `default` language."""
        i18n: list[tuple[str, Versions]] = []

        def plain(path: str, value: object) -> str:
            if isinstance(value, dict):
                i18n.append((path, versions_of({str(k): str(v) for k, v in value.items()})))
                return resolve(value, default, default)
            return str(value)

        values: dict[str, object] = {"id": str(record["id"]), "kind": QuestionKind(str(record["kind"])),
                                     "text": plain("text", record["text"])}
        for name in ("options", "statements"):
            items = record.get(name)
            if isinstance(items, list):
                values[name] = tuple(Option(str(o["id"]), plain(f"{name[:-1]}:{o['id']}", o["label"])) for o in items)
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
                values[name] = plain(name, record[name])
        if record.get("time_limit") is not None:
            values["time_limit"] = int(str(record["time_limit"]))
        values["i18n"] = tuple(sorted(i18n))
        return cls(**values)  # type: ignore[arg-type]


def channel(channel_id: str) -> Question:
    """A session-wide channel that is not a question (nicknames, Q&A) as the stores see it: an id whose
    ballots are kept and counted like a question's, with no options of its own."""
    return Question(channel_id, QuestionKind.OPEN, "")
