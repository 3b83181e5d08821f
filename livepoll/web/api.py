"""/api/v1: the JSON API every client uses (see docs/api.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll import exports, i18n
from livepoll.frames import Standing
from livepoll.model import PollError, Session, group_join_code
from livepoll.qr import join_link, qr_path, qr_svg
from livepoll.shapes import public_question, results_of
from livepoll.web import doors
from livepoll.web.errors import error_response
from livepoll.web.responses import (
    Accepted,
    ControlResult,
    Leaderboard,
    Links,
    LiveState,
    Nickname,
    Results,
    SessionCreated,
    SessionList,
    SessionPublic,
    SessionSummary,
    json_response,
)
from livepoll.web.schemas import ControlIn, NicknameIn, SessionIn, VoteIn, ballot_refusal, draft_of
from livepoll.web.state import credentials_of, polls_of

Body = TypeVar("Body", bound=BaseModel)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def parse_body(
    request: Request, model: type[Body], refusal: Callable[[ValidationError], PollError | None] | None = None
) -> Body:
    """The body as `model`; its size is bounded before it is read (web/bodies.py). `refusal` may name a
    more precise error than `invalid_body`."""
    body = await request.body()
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        precise = refusal(exc) if refusal is not None else None
        if precise is not None:
            raise precise from None
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise PollError("invalid_body", f"{where}: {first['msg']}", 422) from None


async def require_admin(request: Request) -> None:
    """The admin token as `Authorization: Bearer` (throttled per address), or the admin login cookie."""
    credentials = credentials_of(request)
    bearer = credentials.bearer(request)
    if request.method in UNSAFE_METHODS:
        doors.guard_change(request, cookie=bearer is None)
    if bearer is None and credentials.has_admin_cookie(request):
        return
    if not await doors.admin_token_ok(request, bearer):
        raise PollError("unauthorized", "This needs the admin token (Authorization: Bearer <token>).", 401)


async def host_session(request: Request) -> Session:
    """The session named in the path, if the request carries its host key (or an admin login); the rules
    are in `doors.host_session`. A state change that only a cookie authenticates must come from this
    server's own pages, as JSON (`doors.guard_change`), so another site cannot drive a host's session."""
    credentials = credentials_of(request)
    code = request.path_params["code"]
    bearer = credentials.bearer(request)
    by_cookie = bearer is None and not request.query_params.get("key")
    if request.method in UNSAFE_METHODS:
        doors.guard_change(request, cookie=by_cookie)
    admin = (by_cookie and credentials.has_admin_cookie(request)) or await doors.admin_bearer(request, bearer)
    key = credentials.host_key(request, code)
    return await doors.host_session(request, code, key, admin=admin)


def links(request: Request, session: Session, host_key: str) -> Links:
    credentials = credentials_of(request)
    base = credentials.base_url(request)
    code = session.code
    token = credentials.join_token(code)
    return Links(
        join=join_link(base, code, token),
        present=f"{base}/present/{code}?key={host_key}",
        host=f"{base}/host/{code}?key={host_key}",
        qr_svg=f"{base}{qr_path(code, token)}",
        export_csv=f"{base}/api/v1/sessions/{code}/export.csv",
        responses_csv=f"{base}/api/v1/sessions/{code}/responses.csv",
    )


# Routes ----------------------------------------------------------------------------------------------------


async def create_session(request: Request) -> Response:
    await require_admin(request)
    body = await parse_body(request, SessionIn)
    drafts = [draft_of(q) for q in body.questions]
    created = await polls_of(request).create(body.title, drafts)
    session = created.session
    answer = SessionCreated(
        code=session.code,
        code_display=group_join_code(session.code),
        title=session.title,
        host_key=created.host_key,
        questions=[public_question(q, host=True) for q in session.questions],
        links=links(request, session, created.host_key),
    )
    return json_response(answer, 201)


async def list_sessions(request: Request) -> Response:
    await require_admin(request)
    sessions = await polls_of(request).backend.list_sessions()
    summaries = [
        SessionSummary(code=s.code, title=s.title, created_at=s.created_at, questions=len(s.questions))
        for s in sessions
    ]
    return json_response(SessionList(sessions=summaries))


async def public_session(request: Request) -> Session:
    """The session named in the path, for anyone, behind the public door (`doors.public`)."""
    return await doors.public_session(request, request.path_params["code"])


async def get_session(request: Request) -> Response:
    session = await public_session(request)
    question, state = session.current_question, session.state
    polls, participant = polls_of(request), credentials_of(request).participant(request)
    mine = None
    if participant is not None and question is not None:
        mine = await polls.own_ballot(session.code, polls.voter(session.code, participant), question.id)
    body = SessionPublic(
        code=session.code,
        code_display=group_join_code(session.code),
        title=session.title,
        question=None if question is None else public_question(question, revealed=question.id in state.revealed),
        voting_open=state.open_at(time.time()),
        resets=session.state.resets,
        epoch=session.epoch,
        ballot=mine,
    )
    response = json_response(body, headers={"Cache-Control": "no-store"})
    credentials = credentials_of(request)
    credentials.ensure_participant(response, request)  # first: simple clients keep the first Set-Cookie
    credentials.remember_joined(response, request, session.code)
    return response


async def cast_vote(request: Request) -> Response:
    code = request.path_params["code"]
    doors.guard_change(request, cookie=True)  # the participant cookie is the only credential of a ballot
    participant = _participant_or_401(request, "vote")
    if isinstance(participant, Response):
        return participant
    body = await parse_body(request, VoteIn, ballot_refusal)
    polls = polls_of(request)
    ballot = body.ballot()
    await doors.public(request, code, lambda: polls.vote(code, participant, body.question, ballot))
    return json_response(Accepted())


def _participant_or_401(request: Request, then: str) -> str | Response:
    """The participant of a cookie-authenticated change, or the 401 that gives them a cookie."""
    credentials = credentials_of(request)
    participant = credentials.participant(request)
    if participant is not None:
        return participant
    response = error_response(
        401, "participant_required",
        f"No valid participant cookie: open the session first (GET /api/v1/sessions/{{code}}), then {then}.",
    )
    _, cookie = credentials.new_participant()
    credentials.set_participant_cookie(response, request, cookie)
    return response


async def set_nickname(request: Request) -> Response:
    """A participant's name on the quiz leaderboard."""
    code = request.path_params["code"]
    doors.guard_change(request, cookie=True)
    participant = _participant_or_401(request, "choose a name")
    if isinstance(participant, Response):
        return participant
    body = await parse_body(request, NicknameIn)
    polls = polls_of(request)
    voter = polls.voter(code, participant)
    name = await doors.public(request, code, lambda: polls.set_nickname(code, voter, body.name))
    return json_response(Nickname(name=name))


async def leaderboard(request: Request) -> Response:
    session = await host_session(request)
    lang = i18n.supported(request.query_params.get("lang")) or i18n.DEFAULT_LANGUAGE
    places = await polls_of(request).leaderboard(session, lang)
    return json_response(Leaderboard(entries=[Standing(**p.public()) for p in places]),  # type: ignore[arg-type]
                         headers={"Cache-Control": "no-store"})


async def control(request: Request) -> Response:
    session = await host_session(request)
    body = await parse_body(request, ControlIn)
    done = await polls_of(request).control(session.code, body.control())
    if done.host_key is None:
        return json_response(ControlResult.of(done.session.state, code=session.code))
    # A rotated key: answer with the new key and links; a host panel that used the host cookie gets the new
    # cookie too, so its own presenter window reconnects with it while every old link stops working.
    result = ControlResult.of(
        done.session.state, code=session.code, host_key=done.host_key, links=links(request, done.session, done.host_key)
    )
    response = json_response(result)
    credentials_of(request).set_host_cookie(response, request, session.code, done.host_key)
    return response


async def delete_session(request: Request) -> Response:
    session = await host_session(request)
    await polls_of(request).delete(session)
    return Response(status_code=204)


async def results(request: Request) -> Response:
    session = await host_session(request)
    views = exports.result_views(await polls_of(request).question_data(session), session.state)
    body = Results(
        code=session.code,
        title=session.title,
        state=LiveState.of(session.state),
        questions=[results_of(q, view) for q, view in views],
    )
    return json_response(body, headers={"Cache-Control": "no-store"})


def _csv(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _delimiter(request: Request) -> str:
    """`?delimiter=semicolon` gives the dialect Polish Excel opens by double-click (`;`, decimal comma)."""
    return ";" if request.query_params.get("delimiter") == "semicolon" else ","


async def export_results(request: Request) -> Response:
    session = await host_session(request)
    views = exports.result_views(await polls_of(request).question_data(session), session.state)
    return _csv(exports.results_csv(views, _delimiter(request)), f"livepoll-{session.code}-results.csv")


async def export_responses(request: Request) -> Response:
    session = await host_session(request)
    rows = await polls_of(request).backend.responses(session.code)
    body = exports.responses_csv(session.questions, rows, _delimiter(request))
    return _csv(body, f"livepoll-{session.code}-responses.csv")


async def qr(request: Request) -> Response:
    session = await public_session(request)
    credentials = credentials_of(request)
    link = join_link(credentials.base_url(request), session.code, credentials.join_token(session.code))
    return Response(qr_svg(link), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})


async def sessions(request: Request) -> Response:
    return await (create_session(request) if request.method == "POST" else list_sessions(request))


async def session_resource(request: Request) -> Response:
    return await (delete_session(request) if request.method == "DELETE" else get_session(request))


CODE = "{code:code}"

# One route per path (dispatching on the method), so that a 405 names every allowed method in `Allow`.
routes: list[BaseRoute] = [
    Route("/api/v1/sessions", sessions, methods=["GET", "POST"]),
    Route(f"/api/v1/sessions/{CODE}", session_resource, methods=["GET", "DELETE"]),
    Route(f"/api/v1/sessions/{CODE}/votes", cast_vote, methods=["POST"]),
    Route(f"/api/v1/sessions/{CODE}/control", control, methods=["POST"]),
    Route(f"/api/v1/sessions/{CODE}/results", results, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/export.csv", export_results, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/responses.csv", export_responses, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/qr.svg", qr, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/nickname", set_nickname, methods=["POST"]),
    Route(f"/api/v1/sessions/{CODE}/leaderboard", leaderboard, methods=["GET"]),
]
