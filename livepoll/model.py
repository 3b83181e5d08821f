"""Sessions, questions, ballots and tallies: the rules of a poll, with no I/O.

Backends store what these classes describe and the web layer validates input with them; nothing here
imports a backend or the web, so the rules are tested without sockets or servers.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from livepoll.questions import (  # re-exported: the model's vocabulary
    Question,
    QuestionKind,
)

JOIN_CODE_DIGITS = 8
QA_PER_PARTICIPANT = 5  # questions one participant may ask, unless the session says otherwise
MAX_QUESTIONS = 100
MAX_TITLE_CHARS = 200


class BallotOutcome(enum.StrEnum):
    """What storing a ballot did. `accepted` and `unchanged` are both acknowledged to the participant."""

    ACCEPTED = "accepted"
    UNCHANGED = "unchanged"
    VOTING_CLOSED = "voting_closed"
    NOT_CURRENT = "not_current"
    CHANGE_NOT_ALLOWED = "change_not_allowed"
    NO_SESSION = "no_session"
    # The question was checked against a definition the host has edited since: check it again.
    STALE = "stale"
    # The ballot was built on the participant's stored one (an entry added to their list), and that one
    # changed meanwhile (another entry of theirs came first): build it again.
    CONFLICT = "conflict"

    @property
    def acknowledged(self) -> bool:
        return self in (BallotOutcome.ACCEPTED, BallotOutcome.UNCHANGED)


class PollError(Exception):
    """A request the rules refuse: carries the API error code, a human message and the HTTP status."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


REFUSALS: Mapping[BallotOutcome, PollError] = {
    BallotOutcome.VOTING_CLOSED: PollError("voting_closed", "Voting on this question is closed.", 409),
    BallotOutcome.NOT_CURRENT: PollError("not_current", "This question is not the current one.", 409),
    BallotOutcome.CHANGE_NOT_ALLOWED: PollError(
        "change_not_allowed", "Your vote is already counted and this question does not allow changes.", 409
    ),
    BallotOutcome.NO_SESSION: PollError("not_found", "No session with this code.", 404),
}


@dataclass(frozen=True, slots=True)
class LiveState:
    """What the host controls: the current question, whether it takes votes, whether results are shown.

    `resets` counts the host's resets, so a phone can tell that the ballot it remembers was discarded.
    `deadline` (UNIX time, the store's clock) closes voting by itself; `opened` is when voting on each
    question last opened (a quiz's speed bonus counts from it); `revealed` lists the quiz questions whose
    correct answers are shown; `leaderboard` puts the quiz leaderboard on the presenter. `qa_open` lets the
    audience ask (when the session has Q&A), `qa_visible` switches the presenter to the Q&A view, `qa_pinned`
    is the one pinned Q&A question."""

    current: str | None
    voting_open: bool = True
    results_visible: bool = True
    results_on_phones: bool = False
    resets: int = 0
    deadline: float | None = None
    opened: tuple[tuple[str, float], ...] = ()
    revealed: tuple[str, ...] = ()
    leaderboard: bool = False
    qa_open: bool = True
    qa_visible: bool = False
    qa_pinned: str | None = None

    def open_at(self, now: float) -> bool:
        """Whether voting is open at `now`: opened by the host and its deadline, if any, not yet passed."""
        return self.voting_open and (self.deadline is None or now < self.deadline)

    def opened_at(self, question_id: str) -> float | None:
        return next((at for qid, at in self.opened if qid == question_id), None)

    def opening(self, question_id: str, now: float) -> tuple[tuple[str, float], ...]:
        """`opened` with `question_id` opened at `now`."""
        return (*((qid, at) for qid, at in self.opened if qid != question_id), (question_id, now))


class ControlAction(enum.StrEnum):
    GOTO = "goto"
    OPEN = "open"
    CLOSE = "close"
    SHOW_RESULTS = "show_results"
    HIDE_RESULTS = "hide_results"
    SHOW_ON_PHONES = "show_on_phones"
    HIDE_ON_PHONES = "hide_on_phones"
    RESET = "reset"
    ROTATE_KEY = "rotate_key"
    REVEAL = "reveal"
    SHOW_LEADERBOARD = "show_leaderboard"
    HIDE_LEADERBOARD = "hide_leaderboard"
    HIDE_ENTRY = "hide_entry"
    SHOW_ENTRY = "show_entry"
    APPROVE_ENTRY = "approve_entry"
    QA_OPEN = "qa_open"
    QA_CLOSE = "qa_close"
    SHOW_QA = "show_qa"
    HIDE_QA = "hide_qa"


# A timer set with `open` runs at most this long.
MAX_TIMER_SECONDS = 3600
# What a mark says about a word or an entry (the default is the kind's: shown, or pending when moderated).
MARK_HIDDEN = "hidden"
MARK_VISIBLE = "visible"


@dataclass(frozen=True, slots=True)
class Control:
    """A host action and what it is about: a question, a timer's seconds, a word's key or an entry's id."""

    action: ControlAction
    question: str | None = None
    seconds: int | None = None
    key: str | None = None
    entry: str | None = None


# A change of a mark: (question id, word key or entry id, new mark or None to remove it).
MarkChange = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class Change:
    """What one host control does to a session, decided from the session as it is at that moment.

    A backend applies all of it in one atomic step: the new live state, the questions whose ballots are
    discarded (a reset), marks on words and entries (hidden, approved), and a new host key hash (a rotated
    key: old links and cookies stop working)."""

    state: LiveState
    clear: tuple[str, ...] = ()
    host_key_hash: str | None = None
    marks: tuple[MarkChange, ...] = ()

    @property
    def redefines(self) -> bool:
        """Whether the session's definition (not only its live state) changes."""
        return self.host_key_hash is not None


def _question_of(session: Session, control: Control) -> Question:
    if control.question is None:
        raise PollError("invalid_control", f"Action {control.action.value!r} needs a question id.", 422)
    question = session.question(control.question)
    if question is None:
        raise PollError("unknown_question", f"No question {control.question!r} in this session.", 422)
    return question


def _opened(state: LiveState, question: Question | None, seconds: int | None, now: float) -> LiveState:
    """Voting opened (again) at `now`, with a deadline from the timer's seconds or the quiz's time limit."""
    limit = seconds if seconds is not None else (question.time_limit if question is not None else None)
    opened = state.opened if question is None else state.opening(question.id, now)
    return replace(state, voting_open=True, opened=opened, deadline=None if limit is None else now + limit)


def decide_control(
    session: Session, control: Control | ControlAction, question_id: str | None = None,
    new_key_hash: str | None = None, now: float = 0.0,
) -> Change:
    """The change a host action makes to `session` as it is at `now` (the store's clock). `goto` opens
    voting on the new question, as a host expects when moving on (a quiz with a time limit starts its
    timer); `open` with `seconds` sets a timer; `reset` discards the question's ballots and counts itself,
    so phones know their ballot is gone; `reveal` shows a quiz's answers and closes its voting;
    `rotate_key` needs the hash of the new key."""
    if isinstance(control, ControlAction):
        control = Control(control, question_id)
    action, state = control.action, session.state
    timer = control.seconds
    if timer is not None and (action is not ControlAction.OPEN or not 1 <= timer <= MAX_TIMER_SECONDS):
        raise PollError("invalid_control", f"seconds go with 'open' only, 1-{MAX_TIMER_SECONDS}.", 422)
    if action is ControlAction.GOTO:
        question = _question_of(session, control)
        return Change(_opened(replace(state, current=question.id), question, None, now))
    if action is ControlAction.RESET:
        question = _question_of(session, control)
        return Change(replace(state, resets=state.resets + 1), clear=(question.id,))
    if action is ControlAction.ROTATE_KEY:
        if new_key_hash is None:
            raise ValueError("rotate_key needs the hash of the new host key")
        return Change(state, host_key_hash=new_key_hash)
    if action is ControlAction.OPEN:
        return Change(_opened(state, session.current_question, control.seconds, now))
    if action is ControlAction.CLOSE:
        return Change(replace(state, voting_open=False, deadline=None))
    if action is ControlAction.REVEAL:
        question = _question_of(session, control)
        if question.kind is not QuestionKind.QUIZ:
            raise PollError("invalid_control", "Only a quiz question has answers to reveal.", 422)
        revealed = state.revealed if question.id in state.revealed else (*state.revealed, question.id)
        closed = state.current == question.id
        return Change(replace(state, revealed=revealed, voting_open=state.voting_open and not closed,
                              deadline=None if closed else state.deadline))
    if action in (ControlAction.HIDE_ENTRY, ControlAction.SHOW_ENTRY, ControlAction.APPROVE_ENTRY):
        return Change(state, marks=(_mark(session, control),))
    if action in (ControlAction.QA_OPEN, ControlAction.QA_CLOSE, ControlAction.SHOW_QA, ControlAction.HIDE_QA):
        if not session.qa.enabled:
            raise PollError("qa_disabled", "This session has no Q&A.", 409)
        if action in (ControlAction.QA_OPEN, ControlAction.QA_CLOSE):
            return Change(replace(state, qa_open=action is ControlAction.QA_OPEN))
        return Change(replace(state, qa_visible=action is ControlAction.SHOW_QA))
    if action in (ControlAction.SHOW_LEADERBOARD, ControlAction.HIDE_LEADERBOARD):
        return Change(replace(state, leaderboard=action is ControlAction.SHOW_LEADERBOARD))
    if action in (ControlAction.SHOW_RESULTS, ControlAction.HIDE_RESULTS):
        return Change(replace(state, results_visible=action is ControlAction.SHOW_RESULTS))
    return Change(replace(state, results_on_phones=action is ControlAction.SHOW_ON_PHONES))


def _mark(session: Session, control: Control) -> MarkChange:
    """hide_entry / show_entry take a word (`key`) of a word cloud or an entry (`entry`) of open text off or
    back on every screen; approve_entry lets a moderated entry through."""
    question = _question_of(session, control)
    if question.kind is QuestionKind.WORDCLOUD and control.action is not ControlAction.APPROVE_ENTRY:
        if not control.key:
            raise PollError("invalid_control", "A word is named by its key.", 422)
        return question.id, control.key, MARK_HIDDEN if control.action is ControlAction.HIDE_ENTRY else MARK_VISIBLE
    if question.kind is QuestionKind.OPEN:
        if not control.entry:
            raise PollError("invalid_control", "An entry is named by its id (entry).", 422)
        hide = control.action is ControlAction.HIDE_ENTRY
        return question.id, control.entry, MARK_HIDDEN if hide else MARK_VISIBLE
    raise PollError("invalid_control", f"{control.action.value!r} does not apply to this question.", 422)


def apply_change(session: Session, change: Change) -> Session:
    """The session after `change`; a change of definition counts a new definition version."""
    if not change.redefines:
        return replace(session, state=change.state)
    return replace(
        session,
        state=change.state,
        host_key_hash=change.host_key_hash or session.host_key_hash,
        definition=session.definition + 1,
    )


@dataclass(frozen=True, slots=True)
class QaSettings:
    """A session's Q&A: whether it has one, whether the host approves each question, and how many questions
    one participant may ask."""

    enabled: bool = False
    moderated: bool = False
    max_per_participant: int = QA_PER_PARTICIPANT

    def record(self) -> dict[str, object]:
        return {"enabled": self.enabled, "moderated": self.moderated,
                "max_per_participant": self.max_per_participant}

    @classmethod
    def from_record(cls, record: object) -> QaSettings:
        if not isinstance(record, dict):
            return cls()
        limit = record.get("max_per_participant")
        return cls(bool(record.get("enabled")), bool(record.get("moderated")),
                   limit if isinstance(limit, int) else QA_PER_PARTICIPANT)


@dataclass(frozen=True, slots=True)
class Session:
    """A session as stored. `definition` counts changes of its definition (questions, host key): a ballot
    checked against one definition is stored only while that definition is current."""

    code: str
    title: str
    host_key_hash: str
    questions: tuple[Question, ...]
    state: LiveState
    created_at: float
    epoch: str = field(default_factory=lambda: secrets.token_hex(4))
    definition: int = 1
    qa: QaSettings = field(default_factory=lambda: QaSettings())

    def question(self, question_id: str | None) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None

    @property
    def current_question(self) -> Question | None:
        return self.question(self.state.current)


# Ballots and tallies ---------------------------------------------------------------------------------------


# Count keys starting with this are remembered with the time they first appeared (see Tally.first_seen).
FIRST_SEEN = "~"
# The count key every accepted ballot and every mark adds one to (see Tally.version).
VERSION = "#"


def iso_utc(timestamp: float) -> str:
    """A UNIX time as UTC ISO 8601 with milliseconds: `2026-12-01T09:30:00.123Z`."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ballot_value(fields: Mapping[str, object]) -> str:
    """The canonical JSON of a ballot's fields: equal answers give equal strings."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True, slots=True)
class Answer:
    """A checked ballot, in the one form every backend stores whatever the question's kind:

    - `value`: the canonical JSON of the ballot's fields (the same answer is always the same string, so an
      identical resend is recognised by comparing strings, and a phone is shown its ballot from it);
    - `counts`: what the ballot adds to the question's tally, as (key, amount) pairs. A backend adds them
      when the ballot is stored and takes them away when a new ballot of the same voter replaces it, without
      knowing what the keys mean; the question's kind turns the summed counts into results.
    """

    value: str
    counts: tuple[tuple[str, int], ...]

    def fields(self) -> dict[str, object]:
        return ballot_fields(self.value)


def ballot_fields(value: str) -> dict[str, object]:
    """A stored ballot's fields, as the participant sent them (canonical)."""
    parsed = json.loads(value)
    assert isinstance(parsed, dict)
    return parsed


@dataclass(frozen=True, slots=True)
class Ballot:
    """One participant's answer to one question. `voter` is the session-scoped pseudonym of the
    participant, never the cookie value. A ballot `built_on` the voter's stored value (an entry added to
    their list; None: they had none) is stored only if that is still what is stored."""

    question_id: str
    voter: str
    value: str
    counts: tuple[tuple[str, int], ...]
    cast_at: float
    conditional: bool = False
    built_on: str | None = None

    @classmethod
    def of(cls, question_id: str, voter: str, answer: Answer, cast_at: float) -> Ballot:
        """A ballot that replaces whatever the voter had stored."""
        return cls(question_id, voter, answer.value, answer.counts, cast_at)

    @classmethod
    def added_to(cls, previous: str | None, question_id: str, voter: str, answer: Answer, cast_at: float) -> Ballot:
        """A ballot built on the voter's stored value `previous` (None: nothing stored)."""
        return cls(question_id, voter, answer.value, answer.counts, cast_at, True, previous)

    def fits(self, stored: str | None) -> bool:
        """Whether this ballot may replace what is stored (its condition, if any, holds)."""
        return not self.conditional or stored == self.built_on


@dataclass(frozen=True, slots=True)
class StoredBallot:
    value: str
    cast_at: float


@dataclass(frozen=True, slots=True)
class Tally:
    """The summed counts of a question's counted ballots (see `Answer`), and how many voters cast them."""

    question_id: str
    counts: Mapping[str, int]
    voters: int
    # When each count key starting with FIRST_SEEN first appeared (UNIX time): the order of written forms.
    first_seen: Mapping[str, float] = field(default_factory=dict)
    # How many times the question's ballots or marks changed (stored under the count key VERSION): a screen
    # reads a long list (Q&A, open text) again only when this moved.
    version: int = 0

    @classmethod
    def empty(cls, question: Question) -> Tally:
        return cls(question.id, {o.id: 0 for o in question.options}, 0)

    @classmethod
    def of(
        cls,
        question: Question,
        counts: Iterable[tuple[str, int]],
        voters: int,
        first_seen: Mapping[str, float] | None = None,
    ) -> Tally:
        """A stored tally, with every option present (at 0 when nobody chose it)."""
        summed = {o.id: 0 for o in question.options}
        summed.update(counts)
        version = summed.pop(VERSION, 0)
        return cls(question.id, summed, voters, dict(first_seen or {}), version)

    @property
    def votes(self) -> Mapping[str, int]:
        """Votes per option (choice questions count one per chosen option)."""
        return self.counts

    def percent(self, option_id: str) -> float:
        if self.voters == 0:
            return 0.0
        return self.counts.get(option_id, 0) * 100.0 / self.voters


def count_ballots(question: Question, ballots: Iterable[Answer]) -> Tally:
    """The tally of `question` from its counted ballots (one per voter)."""
    counts = {o.id: 0 for o in question.options}
    voters = 0
    for answer in ballots:
        voters += 1
        for key, amount in answer.counts:
            counts[key] = counts.get(key, 0) + amount
    return Tally(question.id, counts, voters)


@dataclass(frozen=True, slots=True)
class Response:
    """One counted ballot as the per-response export lists it."""

    question_id: str
    voter: str
    value: str
    answered_at: float

    @property
    def choices(self) -> tuple[str, ...]:
        chosen = ballot_fields(self.value).get("choices", [])
        assert isinstance(chosen, list)
        return tuple(str(c) for c in chosen)


@dataclass(frozen=True, slots=True)
class QuestionData:
    """What a question's results are made of, as stored: its tally, the host's marks on its words and
    entries, and (for kinds that list them) every ballot by voter."""

    tally: Tally
    marks: Mapping[str, str] = field(default_factory=dict)
    ballots: Mapping[str, StoredBallot] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a live screen shows about a session, at one version. `seq` only grows within an epoch;
    a new epoch means the backend lost the session's state and rebuilt it. Only what is durably stored
    is in a snapshot. `now` is the store's clock when it was read (timers count against it)."""

    code: str
    epoch: str
    seq: int
    state: LiveState
    question: Question | None
    data: QuestionData | None
    participants: int
    state_lost: bool = False
    host_key_hash: str = ""
    now: float = 0.0
    qa: QaSettings = field(default_factory=lambda: QaSettings())
    # Versions of the session's Q&A channels (asked, upvotes) when it has Q&A: they move with every question,
    # upvote and mark, so the Q&A list is read again only then.
    qa_versions: tuple[int, ...] = ()

    @property
    def tally(self) -> Tally | None:
        return None if self.data is None else self.data.tally


# Join codes ----------------------------------------------------------------------------------------------


def new_join_code() -> str:
    """A random 8-digit code, never starting with 0 so that spreadsheets and phones keep every digit."""
    return str(secrets.randbelow(9 * 10 ** (JOIN_CODE_DIGITS - 1)) + 10 ** (JOIN_CODE_DIGITS - 1))


def normalize_join_code(typed: str) -> str | None:
    """`7281 5366`, `7281-5366` and ` 72815366 ` all mean `72815366`; anything else is not a code."""
    digits = "".join(ch for ch in typed if ch not in " -\u00a0\t")
    if len(digits) == JOIN_CODE_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None


def group_join_code(code: str) -> str:
    """The code as it is read aloud and shown: `7281 5366`."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}"


# Keys and pseudonyms --------------------------------------------------------------------------------------


def new_host_key() -> str:
    return secrets.token_urlsafe(24)


def hash_host_key(host_key: str) -> str:
    # Host keys are 192-bit random tokens, so a plain SHA-256 is enough; no slow password hash needed.
    return hashlib.sha256(host_key.encode()).hexdigest()


def host_key_matches(session: Session, host_key: str) -> bool:
    return hmac.compare_digest(session.host_key_hash, hash_host_key(host_key))


def voter_pseudonym(secret: str, code: str, participant_id: str) -> str:
    """A participant's name inside one session: stable there, unlinkable across sessions, and not the
    cookie value, so stores and exports never hold the cookie."""
    digest = hmac.new(secret.encode(), f"{code}:{participant_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:16]
