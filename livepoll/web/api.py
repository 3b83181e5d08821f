"""/api/v1: the JSON API every client uses (see docs/api.md)."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll import exports, i18n, qa
from livepoll.frames import Standing
from livepoll.model import PollError, SessionMode, group_join_code
from livepoll.qr import join_link, qr_svg
from livepoll.shapes import public_question, results_of
from livepoll.web import api_documents, api_edit, doors
from livepoll.web.api_common import (
    created_response,
    host_session,
    links,
    parse_body,
    public_session,
    require_admin,
)
from livepoll.web.downloads import attachment, file_name, in_export_language
from livepoll.web.errors import error_response
from livepoll.web.responses import (
    Accepted,
    ControlResult,
    Leaderboard,
    LiveState,
    Nickname,
    QaAsked,
    QaItem,
    QaList,
    QaState,
    Results,
    SessionList,
    SessionPublic,
    SessionSummary,
    Upvotes,
    json_response,
)
from livepoll.web.schemas import (
    ControlIn,
    NicknameIn,
    QaAskIn,
    QaControlIn,
    SessionIn,
    VoteIn,
    ballot_refusal,
    text_of,
)
from livepoll.web.state import credentials_of, polls_of, reader_language

# Routes ----------------------------------------------------------------------------------------------------


async def create_session(request: Request) -> Response:
    await require_admin(request)
    body = await parse_body(request, SessionIn)
    created = await polls_of(request).create(
        text_of(body.title) or "", body.drafts(), body.qa.settings(), default_language=body.default_language,
        present_languages=body.present_languages or (), mode=SessionMode(body.mode),
    )
    return created_response(request, created)


async def list_sessions(request: Request) -> Response:
    await require_admin(request)
    summaries = [
        SessionSummary(code=s.code, title=s.title, created_at=s.created_at, questions=len(s.questions),
                       mode=s.mode.value, last_active=activity.last_active, participants=activity.participants,
                       ballots=activity.ballots)
        for s, activity in await polls_of(request).listing()
    ]
    return json_response(SessionList(sessions=summaries))


async def get_session(request: Request) -> Response:
    stored = await public_session(request)
    language = reader_language(request, stored)
    session = stored.in_language(language)
    question, state = session.current_question, session.state
    polls, participant = polls_of(request), credentials_of(request).participant(request)
    voter = None if participant is None else polls.voter(session.code, participant)
    mine, everything = None, None
    if voter is not None and question is not None:
        mine = await polls.own_ballot(session.code, voter, question.id)
    if voter is not None and session.self_paced:
        everything = await polls.own_ballots(session, voter)
    body = SessionPublic(
        code=session.code,
        code_display=group_join_code(session.code),
        title=session.title,
        question=None if question is None else public_question(question, revealed=question.id in state.revealed),
        voting_open=state.open_at(time.time()),
        resets=session.state.resets,
        epoch=session.epoch,
        ballot=mine,
        qa=QaState.of(session),
        language=language,  # type: ignore[arg-type]
        mode=session.mode.value,
        question_number=session.number_of(state.current),
        question_count=len(session.questions),
        questions=[public_question(q, revealed=q.id in state.revealed) for q in session.questions]
        if session.self_paced else None,
        ballots=everything,
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


# Q&A ---------------------------------------------------------------------------------------------------------


async def qa_ask(request: Request) -> Response:
    code = request.path_params["code"]
    doors.guard_change(request, cookie=True)
    participant = _participant_or_401(request, "ask")
    if isinstance(participant, Response):
        return participant
    body = await parse_body(request, QaAskIn)
    polls = polls_of(request)
    voter = polls.voter(code, participant)
    asked = await doors.public(request, code, lambda: polls.qa.ask(code, voter, body.text, body.name))
    return json_response(QaAsked(id=asked.id, status=asked.status), 201)  # type: ignore[arg-type]


async def qa_upvote(request: Request) -> Response:
    code, question_id = request.path_params["code"], request.path_params["question"]
    doors.guard_change(request, cookie=True)
    participant = _participant_or_401(request, "upvote")
    if isinstance(participant, Response):
        return participant
    polls = polls_of(request)
    voter = polls.voter(code, participant)
    on = request.method == "POST"
    upvotes = await doors.public(request, code, lambda: polls.qa.upvote(code, voter, question_id, on))
    return json_response(Upvotes(upvotes=upvotes))


async def qa_list(request: Request) -> Response:
    """The public list, or with the host key (or admin) the host's: every status, who asked."""
    code = request.path_params["code"]
    credentials, polls = credentials_of(request), polls_of(request)
    host = credentials.host_key(request, code) is not None or credentials.has_admin_cookie(request)
    session = await host_session(request) if host else await public_session(request)
    view = await polls.qa.view(session)
    if not session.qa.enabled:
        raise PollError("qa_disabled", "This session has no Q&A.", 404)
    participant = credentials.participant(request)
    mine: tuple[list[str], list[str]] = ([], [])
    if participant is not None:
        mine = await polls.qa.mine(code, polls.voter(code, participant))
    listed = view.questions if host else qa.public(view.questions)
    if request.query_params.get("sort") == "recent":
        listed = qa.sort_recent(listed)
    items = [
        QaItem(**q.public(mine=q.id in mine[0], upvoted=q.id in mine[1]),  # type: ignore[arg-type]
               participant=q.asker if host else None, blocked=q.blocked if host else None)
        for q in listed
    ]
    response = json_response(QaList(items), headers={"Cache-Control": "no-store"})
    if not host:
        credentials.ensure_participant(response, request)
    return response


async def qa_control(request: Request) -> Response:
    session = await host_session(request)
    body = await parse_body(request, QaControlIn)
    await polls_of(request).qa.moderate(session.code, request.path_params["question"], body.action)
    return Response(status_code=204)


async def qa_export(request: Request) -> Response:
    session = await host_session(request)
    view = await polls_of(request).qa.view(session)
    return _csv(exports.qa_csv(view.questions, _delimiter(request)), file_name(session, "qa", "csv"))


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
    session = in_export_language(request, await host_session(request))
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
        headers=attachment(filename),
    )


def _delimiter(request: Request) -> str:
    """`?delimiter=semicolon` gives the dialect Polish Excel opens by double-click (`;`, decimal comma)."""
    return ";" if request.query_params.get("delimiter") == "semicolon" else ","


async def export_results(request: Request) -> Response:
    session = in_export_language(request, await host_session(request))
    views = exports.result_views(await polls_of(request).question_data(session), session.state)
    return _csv(exports.results_csv(views, _delimiter(request)), file_name(session, "results", "csv"))


async def export_responses(request: Request) -> Response:
    session = in_export_language(request, await host_session(request))
    rows = await polls_of(request).backend.responses(session.code)
    body = exports.responses_csv(session.questions, rows, _delimiter(request))
    return _csv(body, file_name(session, "responses", "csv"))


async def qr(request: Request) -> Response:
    session = await public_session(request)
    credentials = credentials_of(request)
    link = join_link(credentials.base_url(request), session.code, credentials.join_token(session.code))
    return Response(qr_svg(link), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})


async def qa_questions(request: Request) -> Response:
    return await (qa_ask(request) if request.method == "POST" else qa_list(request))


async def sessions(request: Request) -> Response:
    return await (create_session(request) if request.method == "POST" else list_sessions(request))


async def session_resource(request: Request) -> Response:
    if request.method == "PATCH":
        return await api_edit.patch_session(request)
    return await (delete_session(request) if request.method == "DELETE" else get_session(request))


CODE = "{code:code}"

# One route per path (dispatching on the method), so that a 405 names every allowed method in `Allow`.
routes: list[BaseRoute] = [
    Route("/api/v1/sessions", sessions, methods=["GET", "POST"]),
    Route(f"/api/v1/sessions/{CODE}", session_resource, methods=["GET", "PATCH", "DELETE"]),
    Route(f"/api/v1/sessions/{CODE}/votes", cast_vote, methods=["POST"]),
    Route(f"/api/v1/sessions/{CODE}/control", control, methods=["POST"]),
    Route(f"/api/v1/sessions/{CODE}/results", results, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/export.csv", export_results, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/responses.csv", export_responses, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/qr.svg", qr, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/nickname", set_nickname, methods=["POST"]),
    Route(f"/api/v1/sessions/{CODE}/leaderboard", leaderboard, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/qa", qa_questions, methods=["GET", "POST"]),
    Route(f"/api/v1/sessions/{CODE}/qa.csv", qa_export, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/qa/{{question:str}}/upvote", qa_upvote, methods=["POST", "DELETE"]),
    Route(f"/api/v1/sessions/{CODE}/qa/{{question:str}}/control", qa_control, methods=["POST"]),
    *api_edit.routes,
    *api_documents.routes,
]
