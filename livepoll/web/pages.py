"""HTML pages: the enter-the-code page, the participant page and its no-JavaScript vote path.

Admin pages (login, session list, create form) live in `pages_admin.py`, a session's control panel and
presenter screen in `pages_host.py`; `routes` below is the list the app includes, after the API and
WebSocket routes. Shared rendering, language and CSRF rules are in `pages_base.py`.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll.backends.base import BackendUnavailable
from livepoll.kinds import ResultsView, points_earned
from livepoll.leaderboard import NAMES
from livepoll.live_frames import timer
from livepoll.model import PollError, Session, ballot_fields, normalize_join_code
from livepoll.questions import Question, QuestionKind
from livepoll.shapes import dump_public, dump_results, public_question, results_of
from livepoll.web import doors, pages_admin, pages_documents, pages_host, pages_qa
from livepoll.web.limits import TooManyAttempts
from livepoll.web.pages_ballots import (
    MAX_PHONE_ENTRIES,
    MAX_PHONE_WORDS,
    echoed_fields,
    form_ballot,
    form_view,
    nickname_error_message,
    participant_limits,
    participant_strings,
    place_text,
    results_for_page,
    vote_error_message,
)
from livepoll.web.pages_base import Page, participant_form
from livepoll.web.pages_host import too_many_attempts
from livepoll.web.pages_qa import qa_config, qa_strings, qa_view
from livepoll.web.pages_walk import language_links, step_of, walk_strings, walk_view
from livepoll.web.schemas import NicknameIn
from livepoll.web.state import credentials_of, polls_of, reader_language

# A form ballot has one `question` and at most 31 `choices` (+ `other_text`), 10 `entries`, 10 `rating-*`
# or 10 `rank-*` fields; anything much larger is not our form. An open-text entry (500 characters) fits a field.
MAX_VOTE_FIELDS = 64
MAX_FIELD_BYTES = 4096
# What the no-JavaScript nickname form may send: a token field and the name.
MAX_NAME_FIELDS = 4


async def phone_results(request: Request, session: Session) -> dict[str, Any] | None:
    """The current question's results as phones see them (the `state` frame's `results`), when the host
    shows results on phones."""
    question = session.current_question
    if question is None or not session.state.results_on_phones:
        return None
    for candidate, data in await polls_of(request).question_data(session, host=False):
        if candidate.id == question.id:
            view = ResultsView(data.tally, data.ballots, data.marks, host=False,
                               revealed=question.id in session.state.revealed)
            return dump_results(results_of(question, view))
    return None


async def quiz_outcome(request: Request, page: Page, session: Session, question: Question,
                       voter: str) -> dict[str, Any] | None:
    """How the participant did on a revealed quiz question (the `ballot` frame's `quiz`), for the page."""
    if question.kind is not QuestionKind.QUIZ or question.id not in session.state.revealed:
        return None
    polls = polls_of(request)
    stored = (await polls.backend.own_ballots(session.code, question.id, (voter,))).get(voter)
    board = await polls.leaderboard(session, page.lang)
    place = next((p for p in board if p.voter == voter), None)
    fields = ballot_fields(stored.value) if stored is not None else {}
    earned = 0 if stored is None else points_earned(question, fields, stored.cast_at,
                                                    session.state.opened_at(question.id))
    chosen = fields.get("choices")
    return {"points": earned, "answered": stored is not None,
            "correct": isinstance(chosen, list) and tuple(chosen) == question.correct,
            "score": place.score if place else 0, "rank": place.rank if place else None, "of": len(board)}


# Routes ----------------------------------------------------------------------------------------------------


async def enter_code(request: Request) -> Response:
    page = Page(request)
    typed = request.query_params.get("code")
    if typed is None:
        return page.render("enter.html", {"typed": "", "error": None})
    code = normalize_join_code(typed)
    if code is None:
        error = page.gettext("A join code has 8 digits, for example 7281 5366. Please check it and try again.")
        return page.render("enter.html", {"typed": typed[:40], "error": error}, 422)
    return page.redirect(f"/{code}")


def session_not_found(page: Page, code: str) -> Response:
    _ = page.gettext
    return page.error(404, _("Session not found"),
                      _("There is no session with the code %(code)s. Check the code and try again.")
                      % {"code": code}, join_form=True)


async def _session_or_error(request: Request, page: Page, code: str) -> Session | Response:
    _ = page.gettext
    try:
        return await doors.public_session(request, code)
    except TooManyAttempts as exc:
        return too_many_attempts(page, exc)
    except PollError:
        return session_not_found(page, code)
    except BackendUnavailable:
        return page.error(503, _("Temporarily unavailable"),
                          _("The server cannot reach its data just now. Please reload in a moment."))


async def participant(request: Request) -> Response:
    page = Page(request)
    typed = request.path_params["code"]
    code = normalize_join_code(typed)
    if code is None:
        _ = page.gettext
        return page.error(404, _("Page not found"), _("There is no page at this address."), join_form=True)
    if code != typed:
        query = request.url.query
        return page.redirect(f"/{code}" + (f"?{query}" if query else ""), 308)
    found = await _session_or_error(request, page, code)
    if isinstance(found, Response):
        return found
    session = found.in_language(reader_language(request, found))
    params = request.query_params
    polls, participant_id = polls_of(request), credentials_of(request).participant(request)
    voter = None if participant_id is None else polls.voter(code, participant_id)
    # "Counted" comes from the server only: the participant's stored ballot on the question shown.
    walk, answered = None, {}
    if session.self_paced:
        answered = await polls.own_ballots(session, voter) if voter is not None else {}
        walk = walk_view(session, step_of(session, params.get("step"), answered), answered)
        question = walk["question"]
    else:
        question = session.current_question
    results = await phone_results(request, session)
    if results is not None and (question is None or results["id"] != question.id):
        results = None  # a self-paced participant is on another question than the screen
    mine = outcome = None
    nickname = ""
    if voter is not None and question is not None:
        mine = answered.get(question.id) if walk is not None else await polls.own_ballot(code, voter, question.id)
        outcome = await quiz_outcome(request, page, session, question, voter)
        if question.kind is QuestionKind.QUIZ:
            named = await polls.own_ballot(code, voter, NAMES)
            nickname = str((named or {}).get("name") or "")
    qa = await qa_view(request, page, session, voter)
    error_code = params.get("error")
    error = None
    if error_code:
        error = vote_error_message(page, error_code[:40], question)
    nickname_error = params.get("nick_error")
    now = time.time()
    voting_open = session.state.open_at(now)
    deadline, remaining = timer(session.state, now)
    public = None
    if question is not None:
        public = dump_public(public_question(question, revealed=question.id in session.state.revealed))
    state: dict[str, Any] = {"question": public, "voting_open": voting_open, "results": results,
                             "number": session.number_of(question.id if question else None),
                             "count": len(session.questions)}
    if deadline is not None:
        state.update(deadline=deadline, remaining_ms=remaining)
    strings = participant_strings(page)
    qa_texts = qa_strings(page)
    config: dict[str, Any] = {
        "code": code,
        "epoch": session.epoch,
        "resets": session.state.resets,
        "lang": page.lang,
        "mode": session.mode.value,
        "state": state,
        "ballot": None if question is None else {"question": question.id, "ballot": mine},
        "nickname": nickname,
        "limits": participant_limits(),
        "strings": {**strings["strings"], **walk_strings(page), **qa_texts["strings"]},
        "plurals": strings["plurals"],
        "qa": qa_config(qa),
        "tab": "qa" if qa is not None and params.get("tab") == "qa" else "poll",
    }
    if walk is not None:
        config["walk"] = {
            "step": walk["step"],
            "questions": [dump_public(public_question(q, revealed=q.id in session.state.revealed))
                          for q in session.questions],
            "ballots": answered,
        }
    if outcome is not None and config["ballot"] is not None and outcome["answered"]:
        config["ballot"]["quiz"] = {k: v for k, v in outcome.items() if k != "answered"}
    other = page.gettext("Other")
    response = page.render("participant.html", {
        "session": session,
        "question": question,
        "public": public,
        "voting_open": voting_open,
        "remaining_s": None if remaining is None else -(-remaining // 1000),
        "results": None if results is None else results_for_page(results, page.lang, other),
        "view": form_view(question, mine, params if error else None) if question is not None else None,
        "other_label": other,
        "voted": mine is not None and not error,
        "error": error,
        "outcome": outcome,
        "place": place_text(page.lang, outcome["rank"]) if outcome and outcome["rank"] else "",
        "max_words": MAX_PHONE_WORDS,
        "max_entries": MAX_PHONE_ENTRIES,
        "nickname": nickname,
        "nickname_error": nickname_error_message(page, nickname_error[:40]) if nickname_error else None,
        "nickname_saved": "nick" in params and not nickname_error,
        "number": state["number"],
        "walk": walk,
        "qa": qa,
        "tab": config["tab"],
        "languages": language_links(page, params),
        "config": config,
    })
    credentials = credentials_of(request)
    credentials.ensure_participant(response, request)
    credentials.remember_joined(response, request, code)
    return response


async def vote_form(request: Request) -> Response:
    """The no-JavaScript vote: the same rules as the API, then 303 back to the participant page."""
    opened = participant_form(request)
    if isinstance(opened, Response):
        return opened
    page, code = opened
    async with request.form(max_files=0, max_fields=MAX_VOTE_FIELDS, max_part_size=MAX_FIELD_BYTES) as form:
        parsed = form_ballot(form)
        back = echoed_fields(form)
        step = str(form.get("step") or "")
    place = [("step", step)] if step.isdigit() and len(step) <= 3 else []  # a self-paced walk's step

    def again(error: str) -> Response:
        return page.redirect(f"/{code}?" + urlencode([*place, ("error", error), *back]))

    credentials = credentials_of(request)
    participant_id = credentials.participant(request)
    if participant_id is None:
        response = again("no_cookie")
        _, cookie = credentials.new_participant()
        credentials.set_participant_cookie(response, request, cookie)
        return response
    if isinstance(parsed, str):
        return again(parsed)
    question_id, ballot = parsed
    polls = polls_of(request)
    try:
        await doors.public(request, code, lambda: polls.vote(code, participant_id, question_id, ballot))
    except TooManyAttempts as exc:
        return too_many_attempts(page, exc)
    except PollError as exc:
        if exc.code == "not_found":
            return session_not_found(page, code)
        return again(exc.code)
    except BackendUnavailable:
        return again("unavailable")
    return page.redirect(f"/{code}" + (f"?{urlencode(place)}" if place else ""))


async def nickname_form(request: Request) -> Response:
    """The no-JavaScript nickname: the API's rules, then 303 back to the participant page."""
    opened = participant_form(request)
    if isinstance(opened, Response):
        return opened
    page, code = opened
    async with request.form(max_files=0, max_fields=MAX_NAME_FIELDS, max_part_size=MAX_FIELD_BYTES) as form:
        typed = str(form.get("name") or "")
    credentials = credentials_of(request)
    participant_id = credentials.participant(request)
    if participant_id is None:
        return page.redirect(f"/{code}?nick_error=no_cookie")
    try:
        name = NicknameIn.model_validate({"name": typed}).name
    except ValidationError:
        return page.redirect(f"/{code}?nick_error=invalid_body")
    polls = polls_of(request)
    voter = polls.voter(code, participant_id)
    try:
        await doors.public(request, code, lambda: polls.set_nickname(code, voter, name))
    except TooManyAttempts as exc:
        return too_many_attempts(page, exc)
    except PollError as exc:
        if exc.code == "not_found":
            return session_not_found(page, code)
        return page.redirect(f"/{code}?nick_error={exc.code}")
    except BackendUnavailable:
        return page.redirect(f"/{code}?nick_error=unavailable")
    return page.redirect(f"/{code}?nick=1")


routes: list[BaseRoute] = [
    Route("/", enter_code, methods=["GET"]),
    *pages_admin.routes,  # /host, /host/logout, /host/sessions: before /host/{code}
    *pages_host.routes,
    *pages_documents.routes,
    Route("/{code}", participant, methods=["GET"]),
    Route("/{code}/vote", vote_form, methods=["POST"]),
    Route("/{code}/nickname", nickname_form, methods=["POST"]),
    *pages_qa.routes,
]
