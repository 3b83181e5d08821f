"""What the server sends: the WebSocket frames and the question shapes they share with the API's answers.

Each shape is a pydantic model that both serialises the bytes on the wire and describes them in the OpenAPI
document (web/openapi.py), so the two cannot drift. A field is one line here plus its value where the frame is
built (live.py, web/sockets.py, web/api.py). Field order is key order on the wire. A field that only some
frames carry is `name: Omittable[T] = None`: left out (and not required in the schema) while None, so frames
without it keep their bytes. A new question kind becomes one more model per shape, joined with `kind` as the
discriminator.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

from livepoll.questions import Question

T = TypeVar("T")


def _is_none(value: object) -> bool:
    return value is None


Count = Annotated[int, Field(ge=0)]
Omittable = Annotated[T | None, Field(exclude_if=_is_none)]
# Shapes of questions kept ready (a few hundred bytes each); live rooms' current questions fit many times over.
PUBLIC_QUESTIONS_CACHED = 1024
EPOCH_DOC = "Changes when the backend lost and rebuilt the session's state; then `seq` starts again."
SEQ_DOC = "Only grows within an epoch (a frame may repeat it when only `participants` changed)."
RESETS_DOC = "Resets by the host so far; when it changes, a ballot the phone remembers may be gone."


class Shape(BaseModel):
    """An outgoing shape: built from trusted values, every field always sent (also in the schema)."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)


class Option(Shape):
    id: str
    label: str


class OptionVotes(Shape):
    id: str
    label: str
    votes: Count


OptionT = TypeVar("OptionT", Option, OptionVotes)


class QuestionShape(Shape, Generic[OptionT]):
    id: str
    kind: Literal["choice"]
    text: str
    max_choices: Annotated[int, Field(ge=1, description="1 = single choice.")]
    allow_change: bool
    options: list[OptionT]


class PublicQuestion(QuestionShape[Option]):
    """A question as everyone may see it (no votes)."""

    @staticmethod
    def of(question: Question) -> PublicQuestion:
        return _public_question(question)


# Questions never change once made, so each participant frame reuses the shape of its question.
@functools.lru_cache(maxsize=PUBLIC_QUESTIONS_CACHED)
def _public_question(question: Question) -> PublicQuestion:
    return PublicQuestion(
        id=question.id, kind=cast(Literal["choice"], question.kind.value), text=question.text,
        max_choices=question.max_choices,
        allow_change=question.allow_change, options=[Option(id=o.id, label=o.label) for o in question.options],
    )


class QuestionVotes(QuestionShape[OptionVotes]):
    """A question with the votes of each option, as the presenter shows it."""


class PresenterFrame(Shape):
    """The presenter socket's `results` message; host pages also draw their first screen from it."""

    type: Literal["results"] = "results"
    seq: Annotated[int, Field(ge=0, description=SEQ_DOC)]
    epoch: Annotated[str, Field(description=EPOCH_DOC)]
    state_lost: bool
    question: QuestionVotes | None
    voters: Annotated[int, Field(ge=0, description="Participants with a counted ballot on the question.")]
    voting_open: bool
    results_visible: bool
    results_on_phones: bool
    participants: Annotated[int, Field(ge=0, description="Participant sockets connected now, on every process.")]


class OptionCount(Shape):
    id: str
    votes: Count


class PhoneResults(Shape):
    voters: Count
    options: list[OptionCount]


class ParticipantFrame(Shape):
    """The participant socket's `state` message."""

    type: Literal["state"] = "state"
    seq: Annotated[int, Field(ge=0, description=SEQ_DOC)]
    epoch: Annotated[str, Field(description=EPOCH_DOC)]
    state_lost: bool
    question: PublicQuestion | None
    voting_open: bool
    resets: Annotated[int, Field(ge=0, description=RESETS_DOC)]
    results: Annotated[PhoneResults | None, Field(description="Only while the host shows results on phones.")]


class BallotFrame(Shape):
    """The participant's own counted ballot on `question` (its fields as sent), or null: sent when the
    participant connects and whenever the question, the epoch or the reset count changes, so a new tab or a
    reconnect shows what the server counted."""

    type: Literal["ballot"] = "ballot"
    epoch: Annotated[str, Field(description=EPOCH_DOC)]
    question: Annotated[str | None, Field(description="The current question when the frame was made.")]
    resets: Annotated[int, Field(ge=0, description=RESETS_DOC)]
    ballot: dict[str, Any] | None


class AckFrame(Shape):
    """The ballot with this `ref` is durably stored (or was already): HTTP's `200 {"accepted": true}`."""

    type: Literal["ack"] = "ack"
    ref: str


class ErrorFrame(Shape):
    """The message with this `ref` changed nothing; `error` is a code of the HTTP API."""

    type: Literal["error"] = "error"
    ref: str
    error: str
    message: str


# The reply frames have kept json.dumps' default separators since the first release (and the ack its ASCII
# escapes); clients parse JSON, but the bytes stay what they were.
def encode_ack(ref: str) -> str:
    return json.dumps(AckFrame(ref=ref).model_dump())


def encode_error(ref: str, code: str, message: str) -> str:
    return json.dumps(ErrorFrame(ref=ref, error=code, message=message).model_dump(), ensure_ascii=False)


FRAMES: tuple[type[Shape], ...] = (PresenterFrame, ParticipantFrame, BallotFrame, AckFrame, ErrorFrame)
