"""Shapes of request bodies and WebSocket messages, validated by pydantic (strict: no "1" for 1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
)

from livepoll.editing import SessionPatch
from livepoll.kinds.base import BallotInput
from livepoll.kinds.choice import MAX_OTHER_CHARS, MAX_POINTS, MAX_QUIZ_OPTIONS, MAX_TIME_LIMIT, MIN_TIME_LIMIT
from livepoll.kinds.entries import (
    MAX_ENTRIES_PER_PARTICIPANT,
    MAX_ENTRY_CHARS,
    MAX_WORD_CHARS,
    MAX_WORDS_PER_BALLOT,
)
from livepoll.kinds.scale import MAX_LABEL_CHARS, MAX_POINTS as MAX_SCALE_POINTS, MAX_RANKED, MAX_STATEMENTS
from livepoll.languages import DEFAULT_LANGUAGE, MAX_PRESENT_LANGUAGES, Text
from livepoll.leaderboard import MAX_NAME_CHARS
from livepoll.model import (
    MAX_QUESTIONS,
    MAX_TIMER_SECONDS,
    MAX_TITLE_CHARS,
    QA_PER_PARTICIPANT,
    Control,
    ControlAction,
    PollError,
    QaSettings,
    SessionMode,
)
from livepoll.qa import (
    MAX_NAME_CHARS as MAX_QA_NAME_CHARS,
    MAX_PER_PARTICIPANT as MAX_QA_PER_PARTICIPANT,
    MAX_QUESTION_CHARS as MAX_QA_CHARS,
)
from livepoll.questions import MAX_OPTION_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS, MIN_OPTIONS, Draft, QuestionKind
from livepoll.text import clean_text


def _cleaned(value: object) -> object:
    # Before the length check, so the limits count the stored text; a non-string is left for strict
    # validation to refuse with its usual error.
    return clean_text(value) if isinstance(value, str) else value


# Texts people type, cleaned (livepoll/text.py) before their length is checked (a before-validator wraps
# the constrained string), so an entry empty after cleaning is refused like an empty one.
Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS), BeforeValidator(_cleaned)]
QuestionText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_QUESTION_CHARS), BeforeValidator(_cleaned)
]
OptionLabel = Annotated[str, StringConstraints(min_length=1, max_length=MAX_OPTION_CHARS), BeforeValidator(_cleaned)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Ref = Annotated[str, StringConstraints(max_length=64)]


Language = Literal["pl", "uk", "en"]
# Texts in one language, or in several: {"pl": ..., "uk": ..., "en": ...} with at least one of them.
LocalTitle = Title | Annotated[dict[Language, Title], Field(min_length=1)]
LocalQuestionText = QuestionText | Annotated[dict[Language, QuestionText], Field(min_length=1)]
LocalOptionLabel = OptionLabel | Annotated[dict[Language, OptionLabel], Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _multiline(value: object) -> object:
    return clean_text(value, multiline=True) if isinstance(value, str) else value


Seconds = Annotated[int, Field(ge=1, le=MAX_TIMER_SECONDS)]
Entry = Annotated[str, StringConstraints(min_length=1, max_length=MAX_WORD_CHARS), BeforeValidator(_cleaned)]
OtherText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_OTHER_CHARS), BeforeValidator(_cleaned)]
EntryText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ENTRY_CHARS), BeforeValidator(_multiline)]
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL_CHARS), BeforeValidator(_cleaned)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS), BeforeValidator(_cleaned)]
LocalLabel = Label | Annotated[dict[Language, Label], Field(min_length=1)]


class QuestionBase(Strict):
    text: LocalQuestionText


class ChoiceIn(QuestionBase):
    kind: Literal["choice"] = "choice"
    options: Annotated[list[LocalOptionLabel], Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS)]
    max_choices: Annotated[int, Field(ge=1, le=MAX_OPTIONS + 1)] | None = None
    allow_change: bool | None = None
    other: bool = False
    other_label: LocalOptionLabel | None = None


class QuizIn(QuestionBase):
    kind: Literal["quiz"]
    options: Annotated[list[LocalOptionLabel], Field(min_length=MIN_OPTIONS, max_length=MAX_QUIZ_OPTIONS)]
    correct: Annotated[list[Annotated[int, Field(ge=0, lt=MAX_QUIZ_OPTIONS)]], Field(min_length=1)]
    points: Annotated[int, Field(ge=0, le=MAX_POINTS)] | None = None
    speed_bonus: bool = False
    time_limit: Annotated[int, Field(ge=MIN_TIME_LIMIT, le=MAX_TIME_LIMIT)] | None = None
    allow_change: bool | None = None


class WordCloudIn(QuestionBase):
    kind: Literal["wordcloud"]
    max_entries: Annotated[int, Field(ge=1, le=MAX_WORDS_PER_BALLOT)] | None = None
    allow_change: bool | None = None


class OpenIn(QuestionBase):
    kind: Literal["open"]
    max_entries: Annotated[int, Field(ge=1, le=MAX_ENTRIES_PER_PARTICIPANT)] | None = None
    moderated: bool = False


class ScaleIn(QuestionBase):
    kind: Literal["scale"]
    statements: Annotated[list[LocalOptionLabel], Field(min_length=1, max_length=MAX_STATEMENTS)]
    min: Literal[0, 1] | None = None
    max: Annotated[int, Field(ge=1, le=MAX_SCALE_POINTS)] | None = None
    min_label: LocalLabel | None = None
    max_label: LocalLabel | None = None
    allow_change: bool | None = None


class RankingIn(QuestionBase):
    kind: Literal["ranking"]
    options: Annotated[list[LocalOptionLabel], Field(min_length=MIN_OPTIONS, max_length=MAX_RANKED)]
    allow_change: bool | None = None


def _kind_of(value: object) -> str:
    """The kind a question names; `choice` when it names none (as before there were other kinds)."""
    kind = value.get("kind", "choice") if isinstance(value, dict) else getattr(value, "kind", "choice")
    return kind if isinstance(kind, str) and kind in KINDS else "choice"


KINDS = ("choice", "quiz", "wordcloud", "open", "scale", "ranking")
QuestionIn = Annotated[
    Annotated[ChoiceIn, Tag("choice")]
    | Annotated[QuizIn, Tag("quiz")]
    | Annotated[WordCloudIn, Tag("wordcloud")]
    | Annotated[OpenIn, Tag("open")]
    | Annotated[ScaleIn, Tag("scale")]
    | Annotated[RankingIn, Tag("ranking")],
    Discriminator(_kind_of),
]


QUESTION_IN: TypeAdapter[QuestionIn] = TypeAdapter(QuestionIn)


def text_of(value: str | dict[Language, str] | None) -> Text | None:
    """A checked text as the rules take it."""
    return value if value is None or isinstance(value, str) else {str(k): v for k, v in value.items()}


def draft_of(question: QuestionIn, default_language: str = DEFAULT_LANGUAGE) -> Draft:
    """The kind-neutral draft a question's rules build from, its texts read in the default language."""
    fields = question.model_dump(exclude={"kind"})
    return Draft.localized(QuestionKind(question.kind), default_language, **fields)


def read_question(item: Mapping[str, object], default_language: str) -> Draft:
    """A `questions[]` item checked as creation checks it (an edit's merged fields, a new question)."""
    try:
        question = QUESTION_IN.validate_python(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PollError("invalid_question", f"{field_path(first['loc']) or 'question'}: {first['msg']}", 422) from None
    return draft_of(question, default_language)


class QaIn(Strict):
    """The session's Q&A: the audience asks and upvotes beside the poll questions."""

    enabled: bool = False
    moderated: bool = False
    max_per_participant: Annotated[int, Field(ge=1, le=MAX_QA_PER_PARTICIPANT)] = QA_PER_PARTICIPANT

    def settings(self) -> QaSettings:
        return QaSettings(self.enabled, self.moderated, self.max_per_participant)


PresentLanguages = Annotated[list[Language], Field(min_length=1, max_length=MAX_PRESENT_LANGUAGES)]
Mode = Literal["live", "self_paced"]


class SessionIn(Strict):
    title: LocalTitle
    questions: Annotated[list[QuestionIn], Field(min_length=1, max_length=MAX_QUESTIONS)]
    qa: QaIn = QaIn()
    default_language: Language = DEFAULT_LANGUAGE  # type: ignore[assignment]
    present_languages: PresentLanguages | None = None
    mode: Mode = "live"

    def drafts(self) -> list[Draft]:
        return [draft_of(q, self.default_language) for q in self.questions]


class SessionPatchIn(Strict):
    """`PATCH /sessions/{code}`: the session's own settings, each optional."""

    title: LocalTitle | None = None
    default_language: Language | None = None
    present_languages: PresentLanguages | None = None
    mode: Mode | None = None
    qa: QaIn | None = None

    def patch(self) -> SessionPatch:
        return SessionPatch(
            title=text_of(self.title),
            default_language=self.default_language,
            present_languages=None if self.present_languages is None else tuple(dict.fromkeys(self.present_languages)),
            mode=None if self.mode is None else SessionMode(self.mode),
            qa=None if self.qa is None else self.qa.settings(),
        )


Position = Annotated[int, Field(ge=0, le=MAX_QUESTIONS)]


class Positioned(Strict):
    """Where a question added to a session goes (0-based; default last)."""

    position: Position | None = None


# A question added to a session: a creation item of its kind and its position.
class ChoiceAddIn(ChoiceIn, Positioned): ...
class QuizAddIn(QuizIn, Positioned): ...
class WordCloudAddIn(WordCloudIn, Positioned): ...
class OpenAddIn(OpenIn, Positioned): ...
class ScaleAddIn(ScaleIn, Positioned): ...
class RankingAddIn(RankingIn, Positioned): ...


QuestionAddIn = Annotated[
    Annotated[ChoiceAddIn, Tag("choice")]
    | Annotated[QuizAddIn, Tag("quiz")]
    | Annotated[WordCloudAddIn, Tag("wordcloud")]
    | Annotated[OpenAddIn, Tag("open")]
    | Annotated[ScaleAddIn, Tag("scale")]
    | Annotated[RankingAddIn, Tag("ranking")],
    Discriminator(_kind_of),
]


class QuestionAddBody(RootModel[QuestionAddIn]):
    """`POST /sessions/{code}/questions`: one `questions[]` item of creation, and its optional `position`."""


class QuestionPatchIn(Strict):
    """`PATCH /sessions/{code}/questions/{id}`: the fields of creation, each optional (`options`: the whole
    list in order, the existing options first); what the question becomes is checked as creation checks it."""

    kind: Literal["choice", "quiz", "wordcloud", "open", "scale", "ranking"] | None = None
    text: LocalQuestionText | None = None
    options: Annotated[list[LocalOptionLabel], Field(min_length=1, max_length=MAX_OPTIONS)] | None = None
    max_choices: Annotated[int, Field(ge=1, le=MAX_OPTIONS + 1)] | None = None
    allow_change: bool | None = None
    other: bool | None = None
    other_label: LocalOptionLabel | None = None
    correct: Annotated[list[Annotated[int, Field(ge=0, lt=MAX_QUIZ_OPTIONS)]], Field(min_length=1)] | None = None
    points: Annotated[int, Field(ge=0, le=MAX_POINTS)] | None = None
    speed_bonus: bool | None = None
    time_limit: Annotated[int, Field(ge=MIN_TIME_LIMIT, le=MAX_TIME_LIMIT)] | None = None
    max_entries: Annotated[int, Field(ge=1, le=MAX_ENTRIES_PER_PARTICIPANT)] | None = None
    moderated: bool | None = None
    statements: Annotated[list[LocalOptionLabel], Field(min_length=1, max_length=MAX_STATEMENTS)] | None = None
    min: Literal[0, 1] | None = None
    max: Annotated[int, Field(ge=1, le=MAX_SCALE_POINTS)] | None = None
    min_label: LocalLabel | None = None
    max_label: LocalLabel | None = None

    def changes(self) -> dict[str, object]:
        """The fields the request named (null included: back to the default)."""
        return self.model_dump(exclude_unset=True)


class OrderIn(Strict):
    order: Annotated[list[Id], Field(min_length=0, max_length=MAX_QUESTIONS)]


QaText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_QA_CHARS), BeforeValidator(_cleaned)]
QaName = Annotated[str, StringConstraints(max_length=MAX_QA_NAME_CHARS), BeforeValidator(_cleaned)]


class QaAskIn(Strict):
    text: QaText
    name: QaName | None = None


class QaControlIn(Strict):
    action: Literal["approve", "hide", "answered", "pin", "unpin", "restore"]


class BallotFields(Strict):
    """A ballot's answer: the fields of its question's kind (choice and quiz: `choices`, and `other_text` with
    the option `other`; word cloud: `entries`; open text: `text`; scale: `ratings`; ranking: `order`)."""

    question: Id
    choices: Annotated[list[Id], Field(min_length=1, max_length=MAX_OPTIONS + 1)] | None = None
    other_text: OtherText | None = None
    entries: Annotated[list[Entry], Field(min_length=1, max_length=MAX_WORDS_PER_BALLOT)] | None = None
    text: EntryText | None = None
    ratings: Annotated[dict[Id, int], Field(min_length=1, max_length=MAX_STATEMENTS)] | None = None
    order: Annotated[list[Id], Field(min_length=MIN_OPTIONS, max_length=MAX_RANKED)] | None = None

    def ballot(self, ref: str = "") -> BallotInput:
        return BallotInput(
            choices=self.choices, other_text=self.other_text, entries=self.entries, text=self.text,
            ratings=self.ratings, order=self.order, ref=ref,
        )


# Ballot texts whose length the request model checks (after cleaning) before the kind can: refused with the
# kind's own codes, (too short, too long), as docs/api.md lists them. `entries` itself too long: too many words.
BALLOT_LENGTH_CODES = {
    "other_text": ("other_text_required", "other_text_too_long"),
    "entries": ("empty_entry", "entry_too_long"),
    "text": ("empty_entry", "entry_too_long"),
}
_LENGTH_ERRORS = ("string_too_short", "string_too_long", "too_short", "too_long")


def ballot_refusal(exc: ValidationError) -> PollError | None:
    """The kind's error for a ballot text of the wrong length, or None when the error is of another sort."""
    first = exc.errors()[0]
    loc, kind = first["loc"], first["type"]
    field = str(loc[0]) if loc else ""
    if kind not in _LENGTH_ERRORS or field not in BALLOT_LENGTH_CODES:
        return None
    if field == "entries" and len(loc) == 1:
        code = "too_many_entries" if kind == "too_long" else "invalid_ballot"
    else:
        short, long = BALLOT_LENGTH_CODES[field]
        code = long if kind.endswith("too_long") else short
    return PollError(code, f"{'.'.join(str(p) for p in loc)}: {first['msg']}", 422)


class VoteIn(BallotFields):
    pass


class VoteMessage(BallotFields):
    type: Literal["vote"]
    ref: Ref = ""


class ControlIn(Strict):
    action: ControlAction
    question: Id | None = None
    seconds: Seconds | None = None
    key: Annotated[str, StringConstraints(min_length=1, max_length=MAX_WORD_CHARS * 4)] | None = None
    entry: Id | None = None

    def control(self) -> Control:
        return Control(self.action, self.question, self.seconds, self.key, self.entry)


class NicknameIn(Strict):
    name: Name


# Pydantic's name for a member of a union in an error's path: never a field name (those are snake_case).
_UNION_MEMBER = re.compile(r".*\[.*\]|[a-z]+(-[a-z]+)+")


def field_path(loc: tuple[int | str, ...]) -> str:
    """Where a validation error is, as `questions.0.text`: the kind a question was validated as is left out
    (pydantic adds it to the path of a tagged union), so the message names the field the client sent."""
    parts: list[str] = []
    for n, part in enumerate(loc):
        if isinstance(part, str) and part in KINDS and n > 0 and isinstance(loc[n - 1], int):
            continue
        if isinstance(part, str) and _UNION_MEMBER.fullmatch(part):
            continue  # "function-before[_cleaned(), constrained-str]": which member of `str | {lang: str}`
        parts.append(str(part))
    return ".".join(parts)
