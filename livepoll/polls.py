"""What hosts and participants can do to a session, in one place for the API, the pages and the sockets.

A vote goes: web (api.py, sockets.py or pages.py) -> Polls.vote() -> model rules -> Backend.cast_ballot()
-> change notice -> live.py (coalesced snapshot) -> every screen.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from livepoll.backends.base import Backend, BackendUnavailable, CodeTaken
from livepoll.metrics import BALLOT_OUTCOMES
from livepoll.model import (
    MAX_QUESTION_CHARS,
    REFUSALS,
    Ballot,
    BallotOutcome,
    ControlAction,
    LiveState,
    PollError,
    Question,
    Session,
    Tally,
    apply_control,
    hash_host_key,
    host_key_matches,
    make_question,
    new_host_key,
    new_join_code,
    voter_pseudonym,
)

CODE_ATTEMPTS = 20
# Question definitions never change after creation, so the ballot path keeps them in memory instead of
# reading the session on every ballot; the live state (current question, open) is checked by the backend.
DEFINITION_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class QuestionDraft:
    text: str
    options: Sequence[str]
    max_choices: int | None = None
    allow_change: bool | None = None


@dataclass(frozen=True, slots=True)
class CreatedSession:
    session: Session
    host_key: str


class Polls:
    def __init__(self, backend: Backend, secret: str) -> None:
        self.backend = backend
        self.secret = secret
        self._definitions: OrderedDict[str, Session] = OrderedDict()

    async def create(self, title: str, drafts: Sequence[QuestionDraft]) -> CreatedSession:
        title = title.strip()
        if not title:
            raise PollError("invalid_session", "A session needs a title.", 422)
        if not drafts:
            raise PollError("invalid_session", "A session needs at least one question.", 422)
        questions = tuple(
            make_question(n, d.text[: MAX_QUESTION_CHARS + 1], d.options, d.max_choices, d.allow_change)
            for n, d in enumerate(drafts, start=1)
        )
        host_key = new_host_key()
        for _ in range(CODE_ATTEMPTS):
            session = Session(
                code=new_join_code(),
                title=title,
                host_key_hash=hash_host_key(host_key),
                questions=questions,
                state=LiveState(current=questions[0].id),
                created_at=time.time(),
            )
            try:
                await self.backend.create_session(session)
            except CodeTaken:
                continue
            return CreatedSession(session, host_key)
        raise PollError("no_free_code", "Could not find a free join code; try again.", 503)

    async def session(self, code: str) -> Session:
        session = await self.backend.get_session(code)
        if session is None:
            raise PollError("not_found", "No session with this code.", 404)
        return session

    async def host_session(self, code: str, host_key: str | None) -> Session:
        """The session, if `host_key` is its host key; 404 for an unknown code, 403 for a wrong key."""
        session = await self.session(code)
        if host_key is None:
            raise PollError("host_key_required", "This needs the session's host key.", 401)
        if not host_key_matches(session, host_key):
            raise PollError("wrong_host_key", "This is not the host key of this session.", 403)
        return session

    def voter(self, code: str, participant_id: str) -> str:
        return voter_pseudonym(self.secret, code, participant_id)

    async def vote(self, code: str, participant_id: str, question_id: str, choices: Sequence[str]) -> None:
        """Count a participant's ballot; returns only once it is durably stored (or identical to the
        stored one). Raises PollError for a refused ballot, BackendUnavailable when it was not confirmed."""
        await self.vote_as(code, self.voter(code, participant_id), question_id, choices)

    async def vote_as(self, code: str, voter: str, question_id: str, choices: Sequence[str]) -> None:
        """`vote()` for a caller that already holds the voter's pseudonym (a socket computes it once)."""
        session = self._definitions.get(code)
        if session is None:
            session = await self.session(code)
            self._definitions[code] = session
            if len(self._definitions) > DEFINITION_CACHE_SIZE:
                self._definitions.popitem(last=False)
        question = session.question(question_id)
        if question is None:
            raise PollError("unknown_question", f"No question {question_id!r} in this session.", 422)
        canonical = question.canonical_choices(choices)
        ballot = Ballot(question.id, voter, canonical, time.time())
        try:
            outcome = await self.backend.cast_ballot(code, question, ballot)
        except BackendUnavailable:
            BALLOT_OUTCOMES["unavailable"].inc()
            raise
        if not outcome.acknowledged:
            BALLOT_OUTCOMES["refused"].inc()
            raise REFUSALS[outcome]
        BALLOT_OUTCOMES[outcome.value].inc()

    async def control(self, session: Session, action: ControlAction, question_id: str | None) -> LiveState:
        state = apply_control(session.state, session.questions, action, question_id)
        if action is ControlAction.RESET:
            assert question_id is not None
            await self.backend.reset_question(session.code, question_id)
        if state != session.state and not await self.backend.set_state(session.code, state):
            raise PollError("not_found", "No session with this code.", 404)
        return state

    async def tallies(self, session: Session) -> list[tuple[Question, Tally]]:
        stored = await self.backend.tallies(session.code)
        return [(q, stored.get(q.id) or Tally.empty(q)) for q in session.questions]

    async def delete(self, session: Session) -> None:
        self._definitions.pop(session.code, None)
        await self.backend.delete_session(session.code)


def load_example() -> tuple[str, list[QuestionDraft]]:
    """The example session shipped as data (`livepoll demo`)."""
    raw = json.loads(resources.files("livepoll").joinpath("data/example_session.json").read_text("utf-8"))
    drafts = [
        QuestionDraft(q["text"], q["options"], q.get("max_choices"), q.get("allow_change"))
        for q in raw["questions"]
    ]
    return raw["title"], drafts


__all__ = ["BallotOutcome", "CreatedSession", "Polls", "QuestionDraft", "load_example"]
