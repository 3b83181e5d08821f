"""What the JSON API answers, as pydantic models that serialise every body and describe it in the OpenAPI
document (web/openapi.py), so the documentation cannot drift from the bytes. Field order is key order."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, RootModel
from starlette.responses import JSONResponse

from livepoll import model
from livepoll.frames import Standing
from livepoll.model import JOIN_CODE_DIGITS
from livepoll.shapes import Omittable, PublicQuestion, QuestionResults, Shape

JoinCode = Annotated[str, Field(pattern=f"^[0-9]{{{JOIN_CODE_DIGITS}}}$", examples=["72815366"])]
Uri = Annotated[str, Field(json_schema_extra={"format": "uri"})]


def json_response(body: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """`body` as the JSON answer (Starlette's compact UTF-8 encoding, the bytes the API always sent)."""
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


class Error(Shape):
    """Every error: nothing was changed by the request."""

    error: Annotated[str, Field(description="Machine-readable code; see docs/api.md for the list.")]
    message: Annotated[str, Field(description="Human-readable explanation.")]


class Links(Shape):
    """Absolute links, based on LIVEPOLL_PUBLIC_URL when set. `present` and `host` carry the host key."""

    join: Uri
    present: Uri
    host: Uri
    qr_svg: Uri
    export_csv: Uri
    responses_csv: Uri


class QaState(Shape):
    enabled: bool
    open: Annotated[bool, Field(description="The audience may ask now.")]
    moderated: Annotated[bool, Field(description="Questions wait for the host's approval.")]

    @classmethod
    def of(cls, session: model.Session) -> QaState:
        return cls(enabled=session.qa.enabled, open=session.qa.enabled and session.state.qa_open,
                   moderated=session.qa.moderated)


Language = Literal["pl", "uk", "en"]
Mode = Annotated[Literal["live", "self_paced"], Field(
    description="live: the host moves everyone from question to question; self_paced: every question takes "
                "ballots while the session is open, each participant at their own pace.")]


class SessionCreated(Shape):
    code: JoinCode
    code_display: Annotated[str, Field(description="The code grouped for reading aloud: `7281 5366`.")]
    title: Annotated[str, Field(description="In the session's default language.")]
    host_key: Annotated[str, Field(description="Shown once; only its hash is stored.")]
    questions: Annotated[list[PublicQuestion], Field(description="Texts in the session's default language.")]
    links: Links
    qa: QaState
    default_language: Language
    present_languages: Annotated[list[Language], Field(description="What the presenter shows: one language, "
                                                                    "or two stacked.")]
    mode: Mode


class HostSession(Shape):
    """The session as its host edits it (texts in the default language; GET definition.json has them all)."""

    code: JoinCode
    code_display: str
    title: str
    default_language: Language
    present_languages: list[Language]
    mode: Mode
    qa: QaState
    state: LiveState
    questions: list[PublicQuestion]


class PublicQuestionAnswer(RootModel[PublicQuestion]):
    """The question with its ids (texts in the session's default language; a quiz's answers included)."""


class SessionSummary(Shape):
    code: JoinCode
    title: str
    created_at: Annotated[float, Field(description="Unix time, seconds.")]
    questions: Annotated[int, Field(ge=0, description="How many questions the session has.")]
    mode: Mode
    last_active: Annotated[float, Field(description="Unix time of the last ballot or host action.")]
    participants: Annotated[int, Field(ge=0, description="Participants connected now.")]
    ballots: Annotated[int, Field(ge=0, description="Ballots counted on its questions.")]


class SessionList(Shape):
    """Newest first."""

    sessions: list[SessionSummary]


class SessionPublic(Shape):
    """The session as a participant sees it."""

    code: JoinCode
    code_display: str
    title: str
    question: Annotated[PublicQuestion | None, Field(description="The current question.")]
    voting_open: bool
    resets: Annotated[int, Field(ge=0, description="Resets by the host so far; when it changes, a ballot the "
                                 "client remembers may be gone.")]
    epoch: Annotated[str, Field(description="Changes when the server lost and rebuilt the session's state.")]
    qa: QaState
    language: Annotated[Language, Field(description="The language the texts are in: the participant's (`?lang`, "
                                                    "the language cookie, Accept-Language) where the session has "
                                                    "it, else the session's default language.")]
    mode: Mode
    question_number: Annotated[int | None, Field(ge=1, description="The current question's place (1-based).")]
    question_count: Annotated[int, Field(ge=0)]
    questions: Annotated[Omittable[list[PublicQuestion]], Field(
        description="self_paced only: every question, in order.")] = None
    ballot: Annotated[
        dict[str, Any] | None,
        Field(description="The asking participant's counted ballot on the current question (its fields as "
                          "sent), or null: what a phone shows as counted."),
    ]
    ballots: Annotated[Omittable[dict[str, dict[str, Any]]], Field(
        description="self_paced only: the asking participant's counted ballot on each question they answered "
                    "(question id -> its fields).")] = None


class Accepted(Shape):
    """The ballot is durably stored (or was already)."""

    accepted: Literal[True] = True


class SessionCode(Shape):
    code: JoinCode


class LiveState(Shape):
    current: Annotated[str | None, Field(description="Id of the current question.")]
    voting_open: bool
    results_visible: Annotated[bool, Field(description="Results shown on the presenter screen.")]
    results_on_phones: Annotated[bool, Field(description="Results shown on participants' phones too.")]

    @classmethod
    def of(cls, state: model.LiveState, **more: Any) -> Self:
        # Open now: a timer that ran out closed voting, though nobody stored the close.
        return cls(
            current=state.current, voting_open=state.open_at(time.time()), results_visible=state.results_visible,
            results_on_phones=state.results_on_phones, **more,
        )


# `code` comes first on the wire: pydantic puts the fields of a later base class first.
class ControlResult(LiveState, SessionCode):
    """The session's live state after the action; after `rotate_key`, also the new host key and links (the
    old key no longer works anywhere)."""

    host_key: Annotated[Omittable[str], Field(description="The new host key (rotate_key only).")] = None
    links: Annotated[Omittable[Links], Field(description="Links with the new key (rotate_key only).")] = None


class Results(Shape):
    code: JoinCode
    title: str
    state: LiveState
    questions: list[QuestionResults]


class Leaderboard(Shape):
    """Every participant with a ballot on a revealed quiz question, best first; ties share a rank."""

    entries: list[Standing]


class Nickname(Shape):
    name: Annotated[str, Field(description="The name on the leaderboard (a suffix when someone had it).")]


class QaAsked(Shape):
    """The question is durably stored (or was, when this is a resend)."""

    id: str
    status: Annotated[Literal["visible", "pending"], Field(description="pending: waits for the host.")]


class Upvotes(Shape):
    upvotes: Annotated[int, Field(ge=0)]


class QaItem(Shape):
    id: str
    text: str
    name: Annotated[str, Field(description="As the asker gave it; empty when anonymous.")]
    upvotes: Annotated[int, Field(ge=0)]
    status: Literal["visible", "pinned", "answered", "pending", "hidden"]
    created_at: Annotated[str, Field(description="UTC, ISO 8601.")]
    mine: Annotated[bool, Field(description="Asked by the participant asking.")]
    upvoted: Annotated[bool, Field(description="Upvoted by the participant asking.")]
    participant: Annotated[Omittable[str], Field(description="Host only: the asker's session pseudonym.")] = None
    blocked: Annotated[Omittable[bool], Field(description="Host only: held by the blocklist.")] = None


class QaList(RootModel[list[QaItem]]):
    """Pinned first, then by upvotes, then newest (`?sort=recent`: newest first). The audience sees visible,
    pinned and answered questions; the host also pending and hidden ones, with who asked (pseudonym)."""


class Health(Shape):
    status: Literal["ok"]


class Readiness(Shape):
    ready: bool
    backend: Annotated[
        Omittable[dict[str, Any]],
        Field(description="What the backend reports about itself: only with the admin token."),
    ] = None
