"""/api/v1 routes that edit a session's definition (rules in editing.py; see docs/api.md "Editing"): its
settings, its questions one by one, their order, a copy of it, and its definition as a creation request."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from livepoll.editing import definition_of
from livepoll.model import Session, group_join_code
from livepoll.shapes import public_question
from livepoll.web.api_common import created_response, host_session, parse_body
from livepoll.web.downloads import attachment, file_name
from livepoll.web.responses import HostSession, LiveState, PublicQuestionAnswer, QaState, json_response
from livepoll.web.schemas import (
    OrderIn,
    QuestionAddBody,
    QuestionPatchIn,
    SessionPatchIn,
    read_question,
)
from livepoll.web.state import polls_of


def host_view(session: Session) -> HostSession:
    return HostSession(
        code=session.code,
        code_display=group_join_code(session.code),
        title=session.title,
        default_language=session.default_language,  # type: ignore[arg-type]
        present_languages=list(session.presented),  # type: ignore[arg-type]
        mode=session.mode.value,
        qa=QaState.of(session),
        state=LiveState.of(session.state),
        questions=[public_question(q, host=True) for q in session.questions],
    )


async def patch_session(request: Request) -> Response:
    session = await host_session(request)
    body = await parse_body(request, SessionPatchIn)
    edited = await polls_of(request).edits.patch_session(session.code, body.patch())
    return json_response(host_view(edited))


async def add_question(request: Request) -> Response:
    session = await host_session(request)
    added = (await parse_body(request, QuestionAddBody)).root
    item = added.model_dump(exclude={"position"})
    _edited, question = await polls_of(request).edits.add_question(session.code, item, added.position, read_question)
    return json_response(PublicQuestionAnswer(public_question(question, host=True)), 201)


async def edit_question(request: Request) -> Response:
    session = await host_session(request)
    body = await parse_body(request, QuestionPatchIn)
    question_id = request.path_params["question_id"]
    _edited, question = await polls_of(request).edits.edit_question(
        session.code, question_id, body.changes(), read_question
    )
    return json_response(PublicQuestionAnswer(public_question(question, host=True)))


async def delete_question(request: Request) -> Response:
    session = await host_session(request)
    await polls_of(request).edits.delete_question(session.code, request.path_params["question_id"])
    return Response(status_code=204)


async def question_resource(request: Request) -> Response:
    return await (delete_question(request) if request.method == "DELETE" else edit_question(request))


async def reorder(request: Request) -> Response:
    session = await host_session(request)
    body = await parse_body(request, OrderIn)
    edited = await polls_of(request).edits.reorder(session.code, body.order)
    return json_response(host_view(edited))


async def duplicate(request: Request) -> Response:
    session = await host_session(request)
    created = await polls_of(request).edits.duplicate(session)
    return created_response(request, created)


async def definition(request: Request) -> Response:
    """The creation request of the session as it is now, as a download."""
    session = await host_session(request)
    return JSONResponse(definition_of(session), headers=attachment(file_name(session, "definition", "json")))


CODE = "{code:code}"
routes: list[BaseRoute] = [
    Route(f"/api/v1/sessions/{CODE}/questions", add_question, methods=["POST"]),
    # Before /questions/{question}: "order" is not a question id.
    Route(f"/api/v1/sessions/{CODE}/questions/order", reorder, methods=["PUT"]),
    Route(f"/api/v1/sessions/{CODE}/questions/{{question_id:str}}", question_resource, methods=["PATCH", "DELETE"]),
    Route(f"/api/v1/sessions/{CODE}/duplicate", duplicate, methods=["POST"]),
    Route(f"/api/v1/sessions/{CODE}/definition.json", definition, methods=["GET"]),
]
