"""Shapes of request bodies and WebSocket messages, validated by pydantic (strict: no "1" for 1)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from livepoll.model import MAX_QUESTIONS, MAX_TITLE_CHARS, ControlAction
from livepoll.questions import MAX_OPTION_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS, MIN_OPTIONS

Id = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Ref = Annotated[str, StringConstraints(max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class QuestionIn(Strict):
    kind: Literal["choice"] = "choice"
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION_CHARS)]
    options: Annotated[
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_OPTION_CHARS)]],
        Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS),
    ]
    max_choices: Annotated[int, Field(ge=1, le=MAX_OPTIONS)] | None = None
    allow_change: bool | None = None


class SessionIn(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_CHARS)]
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
