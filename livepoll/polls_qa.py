"""What participants and the host can do with a session's Q&A (rules in qa.py), for the API, the pages and
the sockets. Questions and upvotes are conditional ballots on the Q&A channels: built on what the participant
has stored, stored only if that is still it (else built again), so concurrent asks and upvotes of one
participant never lose each other and the upvote tally stays exact."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from livepoll import qa
from livepoll.backends.base import ALWAYS_OPEN, Backend, BackendUnavailable
from livepoll.model import Answer, Ballot, BallotOutcome, PollError, Session, StoredBallot
from livepoll.qa import ASKED, UPVOTES, QaQuestion
from livepoll.questions import channel

if TYPE_CHECKING:
    from livepoll.polls import Polls

# A participant's ask or upvote is built again when their own stored list changed meanwhile; past this many
# tries it is answered as not confirmed (retryable).
MAX_ATTEMPTS = 5
QA_GATE = "qa_open"  # the live-state flag that must be on for a question to be asked


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    id: str
    status: str  # visible or pending (a blocklisted question is held, and looks pending to its asker)


@dataclass(frozen=True, slots=True)
class QaView:
    """The Q&A of a session as stored now: every question with its status and upvotes (popular order)."""

    questions: list[QaQuestion]

    def find(self, question_id: str) -> QaQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)


class QaCases:
    def __init__(self, polls: Polls) -> None:
        self.polls = polls

    async def _session(self, code: str) -> Session:
        session = await self.polls.session(code)
        if not session.qa.enabled:
            raise PollError("qa_disabled", "This session has no Q&A.", 404)
        return session

    async def _store(self, code: str, voter: str, channel_id: str, build: Callable[[str | None], Answer | None],
                     gate: str) -> BallotOutcome | None:
        """Build a ballot on a Q&A channel from the participant's stored one and store it on that condition;
        None when there was nothing to change."""
        backend = self.polls.backend
        for _attempt in range(MAX_ATTEMPTS):
            mine = (await backend.own_ballots(code, channel_id, (voter,))).get(voter)
            previous = None if mine is None else mine.value
            answer = build(previous)
            if answer is None or answer.value == previous:
                return None
            ballot = Ballot.added_to(previous, channel_id, voter, answer, time.time())
            outcome = await backend.cast_ballot(code, channel(channel_id), ballot, None, gate)
            if outcome is BallotOutcome.CONFLICT:
                continue
            if outcome is BallotOutcome.VOTING_CLOSED:
                raise PollError("qa_closed", "Questions are closed for now.", 409)
            if outcome is BallotOutcome.NO_SESSION:
                raise PollError("not_found", "No session with this code.", 404)
            return outcome
        raise BackendUnavailable("the participant's Q&A kept changing while it was stored")

    async def ask(self, code: str, voter: str, text: str, name: str | None, ref: str = "") -> AskedQuestion:
        """Store a participant's question (durably, before this returns), or find it again when resent."""
        session = await self._session(code)
        if not session.state.qa_open:
            raise PollError("qa_closed", "Questions are closed for now.", 409)
        await self.polls.words_ready()
        asked: list[qa.Asked] = []

        def build(previous: str | None) -> Answer:
            made = qa.ask(session.qa, previous, text, name, ref, time.time(), self.polls.words)
            asked.append(made)
            return made.answer

        await self._store(code, voter, ASKED, build, QA_GATE)
        held = session.qa.moderated or asked[-1].blocked
        return AskedQuestion(asked[-1].id, qa.PENDING if held else qa.VISIBLE)

    async def view(self, session: Session) -> QaView:
        return QaView(await qa_view(self.polls.backend, session))

    async def upvote(self, code: str, voter: str, question_id: str, on: bool) -> int:
        """Add (or withdraw) the participant's upvote of a question the audience can see; its upvotes after."""
        session = await self._session(code)
        question = (await self.view(session)).find(question_id)
        if question is None or question.status not in qa.PUBLIC_STATUSES:
            raise PollError("not_found", "No such question to upvote.", 404)
        await self._store(code, voter, UPVOTES, lambda previous: qa.upvote(previous, question_id, on), ALWAYS_OPEN)
        data = await self.polls.backend.question_data(code, {UPVOTES: False})
        return data[UPVOTES].tally.counts.get(question_id, 0) if UPVOTES in data else 0

    async def mine(self, code: str, voter: str) -> tuple[list[str], list[str]]:
        """The ids of the participant's own questions, and of the questions they upvoted."""
        backend = self.polls.backend
        asked = (await backend.own_ballots(code, ASKED, (voter,))).get(voter)
        upvoted = (await backend.own_ballots(code, UPVOTES, (voter,))).get(voter)
        return [str(q["id"]) for q in qa.asked_of(_value(asked))], qa.upvoted_of(_value(upvoted))

    async def moderate(self, code: str, question_id: str, action: str) -> None:
        session = await self._session(code)
        if (await self.view(session)).find(question_id) is None:
            raise PollError("not_found", "No such question.", 404)
        changed = await self.polls.backend.change_session(
            code, lambda current, now: qa.moderate(current, question_id, action, now)
        )
        if changed is None:
            raise PollError("not_found", "No session with this code.", 404)


def _value(stored: StoredBallot | None) -> str | None:
    return None if stored is None else stored.value


async def qa_view(backend: Backend, session: Session) -> list[QaQuestion]:
    """Every Q&A question of `session` as stored now, with its status and upvotes, in the popular order."""
    data = await backend.question_data(session.code, {ASKED: True, UPVOTES: False})
    if ASKED not in data:
        raise PollError("not_found", "No session with this code.", 404)
    asked, upvotes = data[ASKED], data[UPVOTES]
    return qa.questions(session.qa, session.state, asked.ballots, upvotes.tally.counts, asked.marks)
