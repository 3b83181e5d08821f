"""What the JSON API answers, as pydantic models that serialise every body and describe it in the OpenAPI
document (web/openapi.py), so the documentation cannot drift from the bytes. Field order is key order."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import Field
from starlette.responses import JSONResponse

from livepoll import model
from livepoll.frames import Standing
from livepoll.model import JOIN_CODE_DIGITS
from livepoll.shapes import Omittable, PublicQuestion, QuestionResults, Shape

JoinCode = Annotated[str, Field(pattern=f"^[0-9]{{{JOIN_CODE_DIGITS}}}$", examples=["72815366"])]
Uri = Annotated[str, Field(json_schema_extra={"format": "uri"})]


def json_response(body: Shape, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
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


class SessionCreated(Shape):
    code: JoinCode
    code_display: Annotated[str, Field(description="The code grouped for reading aloud: `7281 5366`.")]
    title: str
    host_key: Annotated[str, Field(description="Shown once; only its hash is stored.")]
    questions: list[PublicQuestion]
    links: Links


class SessionSummary(Shape):
    code: JoinCode
    title: str
    created_at: Annotated[float, Field(description="Unix time, seconds.")]
    questions: Annotated[int, Field(ge=0, description="How many questions the session has.")]


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
    ballot: Annotated[
        dict[str, Any] | None,
        Field(description="The asking participant's counted ballot on the current question (its fields as "
                          "sent), or null: what a phone shows as counted."),
    ]


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


class Health(Shape):
    status: Literal["ok"]


class Readiness(Shape):
    ready: bool
    backend: Annotated[
        Omittable[dict[str, Any]],
        Field(description="What the backend reports about itself: only with the admin token."),
    ] = None
