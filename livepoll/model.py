"""Sessions, their live state and host controls: the rules of a poll, with no I/O.

Backends store what these classes describe and the web layer validates input with them; nothing here
imports a backend or the web, so the rules are tested without sockets or servers.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

# Ballots and tallies live in livepoll/ballots.py; the model re-exports them as its vocabulary.
from livepoll.ballots import (
    FIRST_SEEN as FIRST_SEEN,
    VERSION as VERSION,
    Answer as Answer,
    Ballot as Ballot,
    QuestionData as QuestionData,
    Response as Response,
    StoredBallot as StoredBallot,
    Tally as Tally,
    ballot_fields as ballot_fields,
    ballot_value as ballot_value,
    count_ballots as count_ballots,
)
from livepoll.languages import DEFAULT_LANGUAGE, Text, Versions, resolve, versions_of
from livepoll.questions import (
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
    # The presenter's clean mode: no join banner, key help or language bar on the projected screen.
    clean_screen: bool = False

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
    CLEAN_SCREEN = "clean_screen"
    FULL_SCREEN = "full_screen"


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
    # An edit: the session with its new definition (title, questions, languages, mode, Q&A settings).
    edited: Session | None = None
    # What the stored ballots of edited questions must satisfy for the edit to be made (else 409).
    requires: tuple[BallotsMustFit, ...] = ()

    @property
    def redefines(self) -> bool:
        """Whether the session's definition (not only its live state) changes."""
        return self.host_key_hash is not None or self.edited is not None


@dataclass(frozen=True, slots=True)
class BallotsMustFit:
    """A condition an edit puts on the ballots stored for one question, checked by the backend in the same
    atomic step as the edit: `fits` holds for every stored ballot value, or (None) there is no ballot."""

    question_id: str
    fits: Callable[[str], bool] | None = None

    def refusal(self, values: Iterable[str]) -> PollError | None:
        for value in values:
            if self.fits is None or not self.fits(value):
                return PollError("has_ballots", "This question has ballots this change would not fit; "
                                 "only texts can be corrected and options appended.", 409)
        return None


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
    `rotate_key` needs the hash of the new key. In a self-paced session `open` and `close` apply to every
    question and `goto` only changes what the presenter shows."""
    if isinstance(control, ControlAction):
        control = Control(control, question_id)
    action, state = control.action, session.state
    timer = control.seconds
    if timer is not None and (action is not ControlAction.OPEN or not 1 <= timer <= MAX_TIMER_SECONDS):
        raise PollError("invalid_control", f"seconds go with 'open' only, 1-{MAX_TIMER_SECONDS}.", 422)
    if action is ControlAction.GOTO:
        question = _question_of(session, control)
        if session.self_paced:
            return Change(replace(state, current=question.id))  # only what the presenter shows
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
        closed = state.current == question.id and not session.self_paced
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
    if action in (ControlAction.CLEAN_SCREEN, ControlAction.FULL_SCREEN):
        return Change(replace(state, clean_screen=action is ControlAction.CLEAN_SCREEN))
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
        change.edited or session,
        code=session.code,
        epoch=session.epoch,
        created_at=session.created_at,
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


class SessionMode(enum.StrEnum):
    """`live`: the host moves the audience from question to question; `self_paced`: every question takes
    ballots while the session is open, each participant at their own pace (a survey sent as a link)."""

    LIVE = "live"
    SELF_PACED = "self_paced"


@dataclass(frozen=True, slots=True)
class Session:
    """A session as stored. `definition` counts changes of its definition (questions, texts, settings, host
    key): a ballot checked against one definition is stored only while that definition is current.

    `title` and the questions' plain texts are in `default_language`; texts given in several languages keep
    them (`title_i18n`, `Question.i18n`), and `in_language` reads the session in one of them."""

    code: str
    title: str
    host_key_hash: str
    questions: tuple[Question, ...]
    state: LiveState
    created_at: float
    epoch: str = field(default_factory=lambda: secrets.token_hex(4))
    definition: int = 1
    qa: QaSettings = field(default_factory=lambda: QaSettings())
    title_i18n: Versions = ()
    default_language: str = DEFAULT_LANGUAGE
    present_languages: tuple[str, ...] = ()
    mode: SessionMode = SessionMode.LIVE

    @property
    def presented(self) -> tuple[str, ...]:
        """The languages the presenter shows (one, or two stacked)."""
        return self.present_languages or (self.default_language,)

    @property
    def self_paced(self) -> bool:
        return self.mode is SessionMode.SELF_PACED

    @property
    def title_text(self) -> Text:
        """The title as given: its map of languages, or the plain string."""
        return dict(self.title_i18n) if self.title_i18n else self.title

    def in_language(self, lang: str) -> Session:
        """The session with every text read in `lang` (falling back to the default language, then any)."""
        if lang == self.default_language and not self.title_i18n and not any(q.i18n for q in self.questions):
            return self
        title = resolve(dict(self.title_i18n), lang, self.default_language) if self.title_i18n else self.title
        questions = tuple(q.in_language(lang, self.default_language) for q in self.questions)
        return replace(self, title=title, questions=questions)

    def settings_record(self) -> dict[str, object]:
        """What a session has besides its title and questions, as both backends store it."""
        record: dict[str, object] = {
            "qa": self.qa.record(), "default_language": self.default_language,
            "present_languages": list(self.present_languages), "mode": self.mode.value,
        }
        if self.title_i18n:
            record["title_i18n"] = dict(self.title_i18n)
        return record

    @staticmethod
    def settings_from(record: Mapping[str, object]) -> dict[str, Any]:
        """`Session` keyword arguments from a stored settings record (older records lack most of them)."""
        default = str(record.get("default_language") or DEFAULT_LANGUAGE)
        present = record.get("present_languages")
        title = record.get("title_i18n")
        return {
            "qa": QaSettings.from_record(record.get("qa")),
            "default_language": default,
            "present_languages": tuple(str(p) for p in present) if isinstance(present, list) else (),
            "mode": SessionMode(str(record.get("mode") or SessionMode.LIVE.value)),
            "title_i18n": versions_of({str(k): str(v) for k, v in title.items()}) if isinstance(title, dict) else (),
        }

    def question(self, question_id: str | None) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None

    def number_of(self, question_id: str | None) -> int | None:
        """The question's place in the session (1-based), as "question 2 / 5" shows it."""
        return next((n for n, q in enumerate(self.questions, start=1) if q.id == question_id), None)

    @property
    def current_question(self) -> Question | None:
        return self.question(self.state.current)


# Times ----------------------------------------------------------------------------------------------------


def iso_utc(timestamp: float) -> str:
    """A UNIX time as UTC ISO 8601 with milliseconds: `2026-12-01T09:30:00.123Z`."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    # The session as stored at this version (its title, every question, languages and mode).
    session: Session | None = None

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
