"""Shapes of request bodies and WebSocket messages, validated by pydantic (strict: no "1" for 1)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from livepoll.model import MAX_QUESTIONS, MAX_TITLE_CHARS, ControlAction
from livepoll.questions import MAX_OPTION_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS, MIN_OPTIONS
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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class QuestionIn(Strict):
    kind: Literal["choice"] = "choice"
    text: QuestionText
    options: Annotated[list[OptionLabel], Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS)]
    max_choices: Annotated[int, Field(ge=1, le=MAX_OPTIONS)] | None = None
    allow_change: bool | None = None


class SessionIn(Strict):
    title: Title
    questions: Annotated[list[QuestionIn], Field(min_length=1, max_length=MAX_QUESTIONS)]


class VoteIn(Strict):
    question: Id
    choices: Annotated[list[Id], Field(min_length=1, max_length=MAX_OPTIONS)]


class ControlIn(Strict):
    action: ControlAction
    question: Id | None = None


class VoteMessage(Strict):
    type: Literal["vote"]
    question: Id
    choices: Annotated[list[Id], Field(min_length=1, max_length=MAX_OPTIONS)]
    ref: Ref = ""
