"""What hosts and participants can do to a session, in one place for the API, the pages and the sockets.

A vote goes: web (api.py, sockets.py or pages.py) -> Polls.vote() -> model rules -> Backend.cast_ballot()
-> change notice -> live.py (coalesced snapshot) -> every screen.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources

from livepoll import kinds
from livepoll.admission import BUSY, Admission, Overloaded
from livepoll.backends.base import (
    ALWAYS_OPEN,
    QUESTION_GATE,
    SESSION_GATE,
    Backend,
    BackendUnavailable,
    CodeTaken,
    SessionActivity,
)
from livepoll.kinds.base import PLAIN_WORDS, BallotContext, BallotInput, Words
from livepoll.languages import DEFAULT_LANGUAGE, Text, split
from livepoll.leaderboard import NAMES, Standing, nickname_of, quiz_questions, standings, unique_name
from livepoll.metrics import BALLOT_OUTCOMES
from livepoll.model import (
    REFUSALS,
    Answer,
    Ballot,
    BallotOutcome,
    Control,
    ControlAction,
    LiveState,
    PollError,
    QaSettings,
    QuestionData,
    Session,
    SessionMode,
    Tally,
    ballot_fields,
    ballot_value,
    decide_control,
    hash_host_key,
    host_key_matches,
    new_host_key,
    new_join_code,
    voter_pseudonym,
)
from livepoll.polls_edit import EditCases
from livepoll.polls_qa import QaCases
from livepoll.questions import Draft, Question, QuestionKind, channel

CODE_ATTEMPTS = 20
# A ballot is checked again when the session's definition or the participant's own stored ballot changed
# under it; past this many tries it is answered as not confirmed (retryable).
MAX_VOTE_ATTEMPTS = 5
# The ballot path keeps session definitions in memory instead of reading the session on every ballot: the
# backend stores a ballot only under the definition version it was checked against (else STALE, and the
# definition is read again), and checks the live state (current question, open) itself.
DEFINITION_CACHE_SIZE = 1024
# Ballots in progress (read, not yet answered) past which more are refused at once (LIVEPOLL_BALLOT_QUEUE_LIMIT).
DEFAULT_BALLOT_QUEUE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class CreatedSession:
    session: Session
    host_key: str


@dataclass(frozen=True, slots=True)
class Controlled:
    """A session after a host control; `host_key` is the new key when the control rotated it."""

    session: Session
    host_key: str | None = None


class Polls:
    def __init__(
        self, backend: Backend, secret: str, words: Words = PLAIN_WORDS, admission: Admission | None = None
    ) -> None:
        self.backend = backend
        self.admission = admission or Admission(DEFAULT_BALLOT_QUEUE_LIMIT)
        self.secret = secret
        self.words = words
        self._words_loaded: asyncio.Task[None] | None = None
        self.qa = QaCases(self)
        self.edits = EditCases(self)
        self._definitions: OrderedDict[str, Session] = OrderedDict()

    async def create(
        self, title: Text, drafts: Sequence[Draft], qa: QaSettings | None = None, *,
        default_language: str = DEFAULT_LANGUAGE, present_languages: Sequence[str] = (),
        mode: SessionMode = SessionMode.LIVE,
    ) -> CreatedSession:
        """A new session; its drafts' texts are read in `default_language` (see `Draft.localized`)."""
        plain, title_i18n = split(title, default_language)
        if not plain.strip():
            raise PollError("invalid_session", "A session needs a title.", 422)
        if not drafts:
            raise PollError("invalid_session", "A session needs at least one question.", 422)
        questions = tuple(kinds.build_question(draft, n) for n, draft in enumerate(drafts, start=1))
        template = Session(
            code="", title=plain.strip(), host_key_hash="", questions=questions,
            state=LiveState(current=questions[0].id), created_at=0.0, qa=qa or QaSettings(), title_i18n=title_i18n,
            default_language=default_language, present_languages=tuple(present_languages), mode=mode,
        )
        return await self.create_like(template)

    async def create_like(self, template: Session) -> CreatedSession:
        """A new session (new join code, host key and epoch) with the definition and state of `template`."""
        if template.qa.enabled or any(kinds.rules(q.kind).uses_words for q in template.questions):
            self.warm_words()  # the blocklist and lemmas: seconds of loading, before the first entry needs them
        host_key = new_host_key()
        for _ in range(CODE_ATTEMPTS):
            session = replace(
                template, code=new_join_code(), host_key_hash=hash_host_key(host_key), created_at=time.time(),
                epoch=secrets.token_hex(4),
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

    async def vote(self, code: str, participant_id: str, question_id: str, ballot: BallotInput) -> BallotOutcome:
        """Count a participant's ballot; returns only once it is durably stored (or identical to the
        stored one). Raises PollError for a refused ballot, BackendUnavailable when it was not confirmed."""
        return await self.vote_as(code, self.voter(code, participant_id), question_id, ballot)

    async def vote_as(
        self, code: str, voter: str, question_id: str, ballot: BallotInput, *, admitted: bool = False
    ) -> BallotOutcome:
        """`vote()` for a caller that already holds the voter's pseudonym (a socket computes it once).
        Past the admission limit the ballot is refused at once (Overloaded, retryable) unless the caller
        already `admitted` it (a socket does, before it even validates the message)."""
        if admitted:
            return await self._vote(code, voter, question_id, ballot)
        if not self.admission.enter():
            BALLOT_OUTCOMES["unavailable"].inc()
            raise Overloaded(BUSY)
        started = time.monotonic()
        try:
            return await self._vote(code, voter, question_id, ballot)
        finally:
            self.admission.leave(started)

    async def _vote(self, code: str, voter: str, question_id: str, ballot: BallotInput) -> BallotOutcome:
        fresh = False
        for _attempt in range(MAX_VOTE_ATTEMPTS):
            session = await self._definition(code, fresh)
            question = session.question(question_id)
            if question is None:
                if not fresh:
                    fresh = True  # maybe a question added since the definition was cached
                    continue
                raise PollError("unknown_question", f"No question {question_id!r} in this session.", 422)
            rules = kinds.rules(question.kind)
            if rules.uses_words:
                await self.words_ready()
            previous = None
            if rules.adds_to_previous:
                mine = (await self.backend.own_ballots(code, question.id, (voter,))).get(voter)
                previous = None if mine is None else mine.value
            now = time.time()
            answer = kinds.answer(question, ballot, BallotContext(now, self.words, previous))
            if rules.adds_to_previous:
                stored = Ballot.added_to(previous, question.id, voter, answer, now)
            else:
                stored = Ballot.of(question.id, voter, answer, now)
            try:
                gate = SESSION_GATE if session.self_paced else QUESTION_GATE
                outcome = await self.backend.cast_ballot(code, question, stored, session.definition, gate)
            except BackendUnavailable:
                BALLOT_OUTCOMES["unavailable"].inc()
                raise
            if outcome is BallotOutcome.STALE:
                fresh = True  # the host edited the session meanwhile: check again against the new definition
                continue
            if outcome is BallotOutcome.CONFLICT:
                continue  # another entry of this participant came first: build on it
            if not outcome.acknowledged:
                BALLOT_OUTCOMES["refused"].inc()
                raise REFUSALS[outcome]
            BALLOT_OUTCOMES[outcome.value].inc()
            return outcome
        BALLOT_OUTCOMES["unavailable"].inc()
        raise BackendUnavailable("the session kept changing while the ballot was checked")

    async def _definition(self, code: str, fresh: bool) -> Session:
        session = None if fresh else self._definitions.get(code)
        if session is None:
            session = await self.session(code)
            if session.qa.enabled or any(kinds.rules(q.kind).uses_words for q in session.questions):
                self.warm_words()
            self._definitions[code] = session
            if len(self._definitions) > DEFINITION_CACHE_SIZE:
                self._definitions.popitem(last=False)
        return session

    async def own_ballot(self, code: str, voter: str, question_id: str | None) -> dict[str, object] | None:
        """The participant's counted ballot on the question (its fields, as they sent them), or None."""
        if question_id is None:
            return None
        found = (await self.backend.own_ballots(code, question_id, (voter,))).get(voter)
        return None if found is None else ballot_fields(found.value)

    async def listing(self) -> list[tuple[Session, SessionActivity]]:
        """Every stored session, newest first, with its activity (the host's list)."""
        sessions = await self.backend.list_sessions()
        activity = await self.backend.session_activity(sessions)
        return [(s, activity[s.code]) for s in sessions if s.code in activity]

    async def own_ballots(self, session: Session, voter: str) -> dict[str, dict[str, object]]:
        """The participant's counted ballot on every question they answered (a self-paced walk-through)."""
        lookups = (self.backend.own_ballots(session.code, q.id, (voter,)) for q in session.questions)
        found = await asyncio.gather(*lookups)
        return {q.id: ballot_fields(mine[voter].value) for q, mine in zip(session.questions, found, strict=True)
                if voter in mine}

    async def control(self, code: str, control: Control | ControlAction, question_id: str | None = None) -> Controlled:
        """Apply a host action atomically to the session as it is at that moment (by the store's clock)."""
        if isinstance(control, ControlAction):
            control = Control(control, question_id)
        new_key = new_host_key() if control.action is ControlAction.ROTATE_KEY else None
        new_hash = None if new_key is None else hash_host_key(new_key)
        session = await self.backend.change_session(
            code, lambda current, now: decide_control(current, control, None, new_hash, now)
        )
        if session is None:
            raise PollError("not_found", "No session with this code.", 404)
        self.forget(code)
        return Controlled(session, new_key)

    def forget(self, code: str) -> None:
        """Drop the cached definition of a session this process changed (others learn it from STALE)."""
        self._definitions.pop(code, None)

    def warm_words(self) -> None:
        """Start loading the words rules (dictionaries: a few seconds, ~60 MiB) in the background, once per
        process: when a session needs them, before the first ballot does."""
        if self._words_loaded is None and self.words.warm_up is not None:
            self._words_loaded = asyncio.create_task(self.words.warm_up(), name="livepoll-words")

    async def words_ready(self) -> None:
        self.warm_words()
        if self._words_loaded is not None:
            await asyncio.shield(self._words_loaded)

    async def set_nickname(self, code: str, voter: str, name: str) -> str:
        """The participant's name on the quiz leaderboard (with a suffix when someone else has it); a name the
        blocklist holds is refused."""
        await self.words_ready()
        if self.words.blocked(name):
            raise PollError("name_not_allowed", "Please choose another name.", 422)
        data = await self.backend.question_data(code, {NAMES: True})
        if NAMES not in data:
            raise PollError("not_found", "No session with this code.", 404)
        taken = [nickname_of(b.value) for other, b in data[NAMES].ballots.items() if other != voter]
        final = unique_name(name, taken)
        answer = Answer(ballot_value({"name": final}), ())
        ballot = Ballot.of(NAMES, voter, answer, time.time())
        outcome = await self.backend.cast_ballot(code, channel(NAMES), ballot, None, ALWAYS_OPEN)
        if not outcome.acknowledged:
            raise REFUSALS[outcome]
        return final

    async def leaderboard(self, session: Session, lang: str) -> list[Standing]:
        return await read_standings(self.backend, session, lang)

    async def question_data(self, session: Session, *, host: bool = True) -> list[tuple[Question, QuestionData]]:
        """Every question with what its results are made of (ballots too where its kind lists them)."""
        wanted = {q.id: kinds.rules(q.kind).needs_ballots(q, host) for q in session.questions}
        stored = await self.backend.question_data(session.code, wanted)
        return [(q, stored.get(q.id) or QuestionData(Tally.empty(q))) for q in session.questions]

    async def delete(self, session: Session) -> None:
        self._definitions.pop(session.code, None)
        await self.backend.delete_session(session.code)


async def read_standings(backend: Backend, session: Session, lang: str) -> list[Standing]:
    """The quiz leaderboard of `session` as stored now (revealed questions only)."""
    quizzes = quiz_questions(session.questions, session.state)
    data = await backend.question_data(session.code, {**{q.id: True for q in quizzes}, NAMES: True})
    ballots = {qid: found.ballots for qid, found in data.items() if qid != NAMES}
    names = {voter: nickname_of(b.value) for voter, b in data[NAMES].ballots.items()} if NAMES in data else {}
    return standings(session.questions, session.state, ballots, names, lang)


EXAMPLES = ("example_session", "evaluation_survey")


@dataclass(frozen=True, slots=True)
class Example:
    """An example session shipped as data: a creation request, read (`Polls.create(**example.options())`)."""

    title: Text
    drafts: list[Draft]
    default_language: str = DEFAULT_LANGUAGE
    present_languages: tuple[str, ...] = ()
    mode: SessionMode = SessionMode.LIVE
    qa: QaSettings = field(default_factory=QaSettings)

    def options(self) -> dict[str, object]:
        return {"qa": self.qa, "default_language": self.default_language,
                "present_languages": self.present_languages, "mode": self.mode}


def load_example(name: str = "example_session") -> Example:
    """An example session shipped as data (`livepoll demo`), in the shape of a creation request."""
    raw = json.loads(resources.files("livepoll").joinpath(f"data/{name}.json").read_text("utf-8"))
    default = raw.get("default_language", DEFAULT_LANGUAGE)
    drafts = [
        Draft.localized(QuestionKind(q.get("kind", "choice")), default, **{k: v for k, v in q.items() if k != "kind"})
        for q in raw["questions"]
    ]
    return Example(raw["title"], drafts, default, tuple(raw.get("present_languages", ())),
                   SessionMode(raw.get("mode", "live")), QaSettings.from_record(raw.get("qa")))


__all__ = ["EXAMPLES", "BallotOutcome", "Controlled", "CreatedSession", "Example", "Polls", "load_example"]
