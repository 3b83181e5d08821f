"""What the server sends over WebSockets, as pydantic models that both serialise the bytes and describe them in
the OpenAPI document (web/openapi.py), so the two cannot drift. Question shapes (per kind) are in shapes.py.
Field order is key order on the wire; a field only some frames carry is `Omittable` (absent while None).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field

from livepoll.shapes import Omittable, PublicQuestion, QuestionResults, Shape

EPOCH_DOC = "Changes when the backend lost and rebuilt the session's state; then `seq` starts again."
SEQ_DOC = "Only grows within an epoch (a frame may repeat it when only `participants` changed)."
RESETS_DOC = "Resets by the host so far; when it changes, a ballot the phone remembers may be gone."
DEADLINE_DOC = "When voting closes by itself (UTC, ISO 8601); only while a timer runs."
REMAINING_DOC = "Milliseconds until `deadline`, when the frame was made (count down from when it arrives)."


class Standing(Shape):
    rank: Annotated[int, Field(ge=1, description="Ties share a rank.")]
    name: str
    score: Annotated[int, Field(ge=0)]
    correct: Annotated[int, Field(ge=0, description="Revealed quiz questions answered right.")]


class Translation(Shape):
    """The presenter's second language: the same title and question (same ids), in that language."""

    language: str
    title: str
    question: PublicQuestion | None


class PresenterFrame(Shape):
    """The presenter socket's `results` message; host pages also draw their first screen from it. The host
    panel's socket (`?view=host`) gets the same with the host's fields (pending entries, blocked words)."""

    type: Literal["results"] = "results"
    seq: Annotated[int, Field(ge=0, description=SEQ_DOC)]
    epoch: Annotated[str, Field(description=EPOCH_DOC)]
    state_lost: bool
    question: QuestionResults | None
    voters: Annotated[int, Field(ge=0, description="Participants with a counted ballot on the question.")]
    voting_open: Annotated[bool, Field(description="Open now (a timer that ran out closed it).")]
    results_visible: bool
    results_on_phones: bool
    participants: Annotated[int, Field(ge=0, description="Participant sockets connected now, on every process.")]
    deadline: Annotated[Omittable[str], Field(description=DEADLINE_DOC)] = None
    remaining_ms: Annotated[Omittable[int], Field(ge=0, description=REMAINING_DOC)] = None
    leaderboard: Annotated[
        Omittable[list[Standing]], Field(description="The quiz's top 10, while the host shows the leaderboard.")
    ] = None
    qa_visible: Annotated[Omittable[bool], Field(description="With Q&A: the screen shows the Q&A view.")] = None
    title: Annotated[str, Field(description="The session's title, in `language`.")] = ""
    language: Annotated[str, Field(description="The language of the texts: the first the presenter shows.")] = "pl"
    mode: Literal["live", "self_paced"] = "live"
    question_number: Annotated[int | None, Field(ge=1, description="The question's place (1-based).")] = None
    question_count: Annotated[int, Field(ge=0)] = 0
    translation: Annotated[Omittable[Translation], Field(
        description="The texts in the second language the presenter shows (stacked under the first).")] = None
    clean_screen: Annotated[bool, Field(
        description="Clean mode, set from the host panel: no join banner, key help or language bar.")] = False


class ParticipantFrame(Shape):
    """The participant socket's `state` message."""

    type: Literal["state"] = "state"
    seq: Annotated[int, Field(ge=0, description=SEQ_DOC)]
    epoch: Annotated[str, Field(description=EPOCH_DOC)]
    state_lost: bool
    question: PublicQuestion | None
    voting_open: Annotated[bool, Field(description="Open now (a timer that ran out closed it).")]
    resets: Annotated[int, Field(ge=0, description=RESETS_DOC)]
    results: Annotated[QuestionResults | None, Field(description="Only while the host shows results on phones.")]
    deadline: Annotated[Omittable[str], Field(description=DEADLINE_DOC)] = None
    remaining_ms: Annotated[Omittable[int], Field(ge=0, description=REMAINING_DOC)] = None
    qa_open: Annotated[Omittable[bool], Field(description="With Q&A: the audience may ask now.")] = None
    title: Annotated[str, Field(description="The session's title, in `language`.")] = ""
    language: Annotated[str, Field(description="The language of the texts: the participant's where the session "
                                               "has it, else the session's default.")] = "pl"
    mode: Literal["live", "self_paced"] = "live"
    question_number: Annotated[int | None, Field(ge=1, description="The question's place (1-based).")] = None
    question_count: Annotated[int, Field(ge=0)] = 0
    questions: Annotated[Omittable[list[PublicQuestion]], Field(
        description="self_paced only: every question, in order (each participant answers at their own pace).")
    ] = None


class QaEntry(Shape):
    id: str
    text: str
    name: str
    upvotes: Annotated[int, Field(ge=0)]
    status: Literal["visible", "pinned", "answered", "pending", "hidden"]
    created_at: Annotated[str, Field(description="UTC, ISO 8601.")]
    participant: Annotated[Omittable[str], Field(description="Host panel only: the asker's pseudonym.")] = None
    blocked: Annotated[Omittable[bool], Field(description="Host panel only: held by the blocklist.")] = None


class QaFrame(Shape):
    """The session's Q&A, to every socket of a session with Q&A, when it changes: phones and the presenter
    get the questions the audience may see (at most LIVEPOLL_PHONE_RATE / LIVEPOLL_PRESENTER_RATE a second),
    the host panel every question, pending first. Pinned first, then by upvotes, then newest."""

    type: Literal["qa"] = "qa"
    open: Annotated[bool, Field(description="The audience may ask now.")]
    moderated: bool
    questions: list[QaEntry]
    pending: Annotated[Omittable[int], Field(description="Host panel only: questions waiting for approval.")] = None


class QaMineFrame(Shape):
    """The participant's own questions and upvotes (ids), on connect: `mine` and `upvoted` of the list."""

    type: Literal["qa_mine"] = "qa_mine"
    asked: list[str]
    upvoted: list[str]


class QuizOutcome(Shape):
    points: Annotated[int, Field(ge=0, description="What the participant's ballot earned on this question.")]
    correct: bool
    score: Annotated[int, Field(ge=0, description="Total over the revealed questions.")]
    rank: Annotated[int | None, Field(description="Place on the leaderboard; null without a ballot.")]
    of: Annotated[int, Field(ge=0, description="Participants on the leaderboard.")]


class BallotFrame(Shape):
    """The participant's own counted ballot on `question` (its fields as sent), or null: sent when the
    participant connects and whenever the question, the epoch, the reset count or a reveal changes, so a new
    tab or a reconnect shows what the server counted. After a quiz's reveal, `quiz` says how it went."""

    type: Literal["ballot"] = "ballot"
    epoch: Annotated[str, Field(description=EPOCH_DOC)]
    question: Annotated[str | None, Field(description="The current question when the frame was made.")]
    resets: Annotated[int, Field(ge=0, description=RESETS_DOC)]
    ballot: dict[str, Any] | None
    quiz: Annotated[Omittable[QuizOutcome], Field(description="After the reveal of a quiz question.")] = None


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
# One per ballot: built without a model or an encoder object (the same bytes as
# `json.dumps(AckFrame(ref=ref).model_dump())`, which tests/test_live_mechanisms.py checks).
def encode_ack(ref: str) -> str:
    return '{"type": "ack", "ref": ' + _ascii_string(ref) + "}"


def encode_error(ref: str, code: str, message: str) -> str:
    return (
        '{"type": "error", "ref": ' + _any_string(ref) + ', "error": ' + _any_string(code)
        + ', "message": ' + _any_string(message) + "}"
    )


_ascii_string = json.encoder.encode_basestring_ascii
_any_string = json.encoder.encode_basestring


FRAMES: tuple[type[Shape], ...] = (
    PresenterFrame, ParticipantFrame, BallotFrame, QaFrame, QaMineFrame, AckFrame, ErrorFrame
)
