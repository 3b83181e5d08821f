"""HTML pages: the enter-the-code page, the participant page and its no-JavaScript vote path.

Admin pages (login, session list, create form) live in `pages_admin.py`, a session's control panel and
presenter screen in `pages_host.py`; `routes` below is the list the app includes, after the API and
WebSocket routes. Shared rendering, language and CSRF rules are in `pages_base.py`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll.backends.base import BackendUnavailable
from livepoll.kinds import BallotInput
from livepoll.model import PollError, Session, normalize_join_code
from livepoll.questions import Question
from livepoll.web import doors, pages_admin, pages_host
from livepoll.web.limits import TooManyAttempts
from livepoll.web.pages_base import Page, forbidden_form, same_origin_form
from livepoll.web.pages_host import too_many_attempts
from livepoll.web.state import credentials_of, polls_of

# A ballot has one `question` and at most 30 `choices`; anything much larger is not our form.
MAX_VOTE_FIELDS = 64
MAX_FIELD_BYTES = 4096


def vote_error_message(page: Page, error: str, max_choices: int = 1) -> str:
    """A participant-facing explanation of a refused ballot, by API error code."""
    _ = page.gettext
    messages = {
        "invalid_ballot": _("Choose at least one option."),
        "unknown_option": _("This option is not part of the current question. Reload the page and try again."),
        "duplicate_option": _("The same option was chosen twice."),
        "voting_closed": _("Voting on this question is closed."),
        "not_current": _("The session has moved on to another question. Here is the current one."),
        "unknown_question": _("The session has moved on to another question. Here is the current one."),
        "change_not_allowed": _("Your vote is already counted and this question does not allow changes."),
        "unavailable": _("Your vote could not be saved just now. Nothing was recorded; please try again."),
        "no_cookie": _("Your browser did not send back our cookie, so the vote was not counted. We have set "
                       "it again: please vote once more. If this repeats, allow cookies for this site."),
        "not_found": _("There is no session with this code."),
    }
    if error == "too_many_choices":
        return page.ngettext(
            "You can choose at most %(num)d option.", "You can choose at most %(num)d options.", max_choices
        ) % {"num": max_choices}
    return messages.get(error, _("Your vote could not be counted. Please try again."))


def participant_strings(page: Page) -> dict[str, Any]:
    """Every text participant.js shows, in the page's language."""
    _ = page.gettext
    errors = ("invalid_ballot", "unknown_option", "duplicate_option", "voting_closed", "not_current",
              "unknown_question", "change_not_allowed", "unavailable", "not_found", "generic")
    return {
        "strings": {
            "vote": _("Vote"),
            "change_vote": _("Change my vote"),
            "sending": _("Sending your vote…"),
            "counted": _("Your vote is counted."),
            "counted_can_change": _("Your vote is counted. You can change it while voting is open."),
            "counted_final": _("Your vote is counted. This question does not allow changes."),
            "saved_offline": _("You are offline. Your vote will be sent when the connection is back."),
            "voting_closed": _("Voting on this question is closed."),
            "waiting": _("Waiting for the next question…"),
            "choose_one": _("Choose one option."),
            "reconnecting": _("Connection lost. Reconnecting…"),
            "polling": _("Live connection blocked by the network. Checking for updates every few seconds."),
            "reconnected": _("Connected again."),
            "session_gone": _("This session has ended."),
            "results_title": _("Results"),
            "votes_cleared": _("The host cleared the votes of this question: your earlier vote no longer counts."),
            "new_question": _("New question: %(text)s"),
            **{f"error_{code}": vote_error_message(page, code) for code in errors},
        },
        "plurals": {
            "choose_up_to": page.plural_forms("Choose up to %(num)d option.", "Choose up to %(num)d options."),
            "too_many": page.plural_forms(
                "You can choose at most %(num)d option.", "You can choose at most %(num)d options."
            ),
            "voters": page.plural_forms("%(num)d person voted", "%(num)d people voted"),
        },
    }


def results_rows(question: Question, votes: dict[str, int], voters: int) -> list[dict[str, Any]]:
    return [
        {
            "id": option.id,
            "label": option.label,
            "votes": votes.get(option.id, 0),
            "percent": 0.0 if voters == 0 else votes.get(option.id, 0) * 100.0 / voters,
        }
        for option in question.options
    ]


async def phone_results(request: Request, session: Session) -> dict[str, Any] | None:
    """The current question's tally, when the host shows results on phones."""
    question = session.current_question
    if question is None or not session.state.results_on_phones:
        return None
    for candidate, data in await polls_of(request).question_data(session, host=False):
        tally = data.tally
        if candidate.id == question.id:
            return {"voters": tally.voters, "options": [
                {"id": o.id, "votes": tally.votes.get(o.id, 0)} for o in question.options]}
    return None


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
    session = found
    question = session.current_question
    results = await phone_results(request, session)
    # "Counted" comes from the server only: the participant's stored ballot on the current question.
    polls, participant_id = polls_of(request), credentials_of(request).participant(request)
    mine = None
    if participant_id is not None and question is not None:
        mine = await polls.own_ballot(code, polls.voter(code, participant_id), question.id)
    stored_choices = mine.get("choices") if mine is not None else None
    chosen = set(request.query_params.getlist("c")) or set(stored_choices if isinstance(stored_choices, list) else ())
    error_code = request.query_params.get("error")
    error = None
    if error_code:
        error = vote_error_message(page, error_code[:40], question.max_choices if question else 1)
    state = {
        "question": None if question is None else question.to_public(),
        "voting_open": session.state.voting_open,
        "results": results,
    }
    config = {
        "code": code,
        "epoch": session.epoch,
        "resets": session.state.resets,
        "lang": page.lang,
        "state": state,
        "ballot": None if question is None else {"question": question.id, "ballot": mine},
        **participant_strings(page),
    }
    response = page.render("participant.html", {
        "session": session,
        "question": question,
        "voting_open": session.state.voting_open,
        "results": None if results is None or question is None else {
            "voters": results["voters"],
            "rows": results_rows(question, {o["id"]: o["votes"] for o in results["options"]}, results["voters"]),
        },
        "chosen": chosen,
        "voted": mine is not None and not error,
        "error": error,
        "config": config,
    })
    credentials = credentials_of(request)
    credentials.ensure_participant(response, request)
    credentials.remember_joined(response, request, code)
    return response


async def vote_form(request: Request) -> Response:
    """The no-JavaScript vote: the same rules as the API, then 303 back to the participant page."""
    page = Page(request)
    code = normalize_join_code(request.path_params["code"])
    if code is None:
        _ = page.gettext
        return page.error(404, _("Page not found"), _("There is no page at this address."), join_form=True)
    if not same_origin_form(request):
        return forbidden_form(page)
    async with request.form(max_files=0, max_fields=MAX_VOTE_FIELDS, max_part_size=MAX_FIELD_BYTES) as form:
        question_id = str(form.get("question") or "")
        choices = [str(value) for value in form.getlist("choices")]
    back = {"c": choices} if choices else {}

    def again(error: str) -> Response:
        return page.redirect(f"/{code}?" + urlencode({"error": error, **back}, doseq=True))

    credentials = credentials_of(request)
    participant_id = credentials.participant(request)
    if participant_id is None:
        response = again("no_cookie")
        _, cookie = credentials.new_participant()
        credentials.set_participant_cookie(response, request, cookie)
        return response
    polls = polls_of(request)
    try:
        await doors.public(
            request, code, lambda: polls.vote(code, participant_id, question_id, BallotInput(choices=choices))
        )
    except TooManyAttempts as exc:
        return too_many_attempts(page, exc)
    except PollError as exc:
        if exc.code == "not_found":
            return session_not_found(page, code)
        return again(exc.code)
    except BackendUnavailable:
        return again("unavailable")
    return page.redirect(f"/{code}")


routes: list[BaseRoute] = [
    Route("/", enter_code, methods=["GET"]),
    *pages_admin.routes,  # /host, /host/logout, /host/sessions: before /host/{code}
    *pages_host.routes,
    Route("/{code}", participant, methods=["GET"]),
    Route("/{code}/vote", vote_form, methods=["POST"]),
]
