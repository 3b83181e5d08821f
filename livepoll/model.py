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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

JOIN_CODE_DIGITS = 8
MIN_OPTIONS = 2
MAX_OPTIONS = 30
MAX_QUESTIONS = 100
MAX_TITLE_CHARS = 200
MAX_QUESTION_CHARS = 500
MAX_OPTION_CHARS = 200


class QuestionKind(enum.StrEnum):
    """What a question asks for. Only `choice` exists today; word cloud, open text, scale, ranking, quiz and
    Q&A will add members here, each with its own ballot check and tally."""

    CHOICE = "choice"


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
class Option:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    kind: QuestionKind
    text: str
    options: tuple[Option, ...]
    max_choices: int = 1
    allow_change: bool = True
    _positions: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Option id -> position, built once: every ballot is checked against it.
        object.__setattr__(self, "_positions", {o.id: n for n, o in enumerate(self.options)})

    def option(self, option_id: str) -> Option | None:
        position = self._positions.get(option_id)
        return None if position is None else self.options[position]

    def canonical_choices(self, choices: Sequence[str]) -> tuple[str, ...]:
        """Check a ballot's choices against this question; return them in the question's option order, so
        that the same set of choices is always stored (and compared) as the same value."""
        if not choices:
            raise PollError("invalid_ballot", "Choose at least one option.", 422)
        positions = self._positions
        for choice in choices:
            if choice not in positions:
                raise PollError("unknown_option", f"Unknown option {choice!r} for this question.", 422)
        if len(set(choices)) != len(choices):
            raise PollError("duplicate_option", "The same option was chosen twice.", 422)
        if len(choices) > self.max_choices:
            raise PollError(
                "too_many_choices", f"Choose at most {self.max_choices} option(s); got {len(choices)}.", 422
            )
        if len(choices) == 1:
            return (choices[0],)
        return tuple(sorted(choices, key=positions.__getitem__))

    def answer(self, choices: Sequence[str]) -> Answer:
        """Check a ballot for this question: what is stored for it and what it adds to the tally."""
        canonical = self.canonical_choices(choices)
        return Answer(ballot_value({"choices": list(canonical)}), tuple((c, 1) for c in canonical))

    def to_public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "text": self.text,
            "max_choices": self.max_choices,
            "allow_change": self.allow_change,
            "options": [{"id": o.id, "label": o.label} for o in self.options],
        }

    def to_record(self) -> dict[str, object]:
        return self.to_public()

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> Question:
        options = record["options"]
        assert isinstance(options, list)
        return cls(
            id=str(record["id"]),
            kind=QuestionKind(str(record["kind"])),
            text=str(record["text"]),
            options=tuple(Option(str(o["id"]), str(o["label"])) for o in options),
            max_choices=int(str(record["max_choices"])),
            allow_change=bool(record.get("allow_change", True)),
        )


def make_question(
    index: int, text: str, labels: Sequence[str], max_choices: int | None, allow_change: bool | None
) -> Question:
    """Build question number `index` (1-based) of a new session, with ids `q<index>` and `o<n>`."""
    text = text.strip()
    cleaned = [label.strip() for label in labels]
    if not text:
        raise PollError("invalid_question", f"Question {index} has no text.", 422)
    if not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        raise PollError(
            "invalid_question",
            f"Question {index} needs {MIN_OPTIONS}-{MAX_OPTIONS} options; got {len(cleaned)}.",
            422,
        )
    if any(not label for label in cleaned):
        raise PollError("invalid_question", f"Question {index} has an empty option.", 422)
    if len(set(cleaned)) != len(cleaned):
        raise PollError("invalid_question", f"Question {index} has the same option twice.", 422)
    limit = 1 if max_choices is None else max_choices
    if not 1 <= limit <= len(cleaned):
        raise PollError(
            "invalid_question", f"Question {index}: max_choices must be between 1 and {len(cleaned)}.", 422
        )
    return Question(
        id=f"q{index}",
        kind=QuestionKind.CHOICE,
        text=text,
        options=tuple(Option(f"o{n}", label) for n, label in enumerate(cleaned, start=1)),
        max_choices=limit,
        allow_change=True if allow_change is None else allow_change,
    )


@dataclass(frozen=True, slots=True)
class LiveState:
    """What the host controls: the current question, whether it takes votes, whether results are shown.
    `resets` counts the host's resets, so a phone can tell that the ballot it remembers was discarded."""

    current: str | None
    voting_open: bool = True
    results_visible: bool = True
    results_on_phones: bool = False
    resets: int = 0


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


@dataclass(frozen=True, slots=True)
class Change:
    """What one host control does to a session, decided from the session as it is at that moment.

    A backend applies all of it in one atomic step: the new live state, the questions whose ballots are
    discarded (a reset), and a new host key hash (a rotated key: old links and cookies stop working)."""

    state: LiveState
    clear: tuple[str, ...] = ()
    host_key_hash: str | None = None

    @property
    def redefines(self) -> bool:
        """Whether the session's definition (not only its live state) changes."""
        return self.host_key_hash is not None


def decide_control(
    session: Session, action: ControlAction, question_id: str | None, new_key_hash: str | None = None
) -> Change:
    """The change a host action makes to `session` as it is now. `goto` opens voting on the new question,
    as a host expects when moving on; `reset` discards the question's ballots and counts itself, so phones
    know their remembered ballot is gone; `rotate_key` needs the hash of the new key."""
    state = session.state
    known = {q.id for q in session.questions}
    if action in (ControlAction.GOTO, ControlAction.RESET):
        if question_id is None:
            raise PollError("invalid_control", f"Action {action.value!r} needs a question id.", 422)
        if question_id not in known:
            raise PollError("unknown_question", f"No question {question_id!r} in this session.", 422)
    if action is ControlAction.GOTO:
        return Change(replace(state, current=question_id, voting_open=True))
    if action is ControlAction.RESET:
        assert question_id is not None
        return Change(replace(state, resets=state.resets + 1), clear=(question_id,))
    if action is ControlAction.ROTATE_KEY:
        if new_key_hash is None:
            raise ValueError("rotate_key needs the hash of the new host key")
        return Change(state, host_key_hash=new_key_hash)
    if action in (ControlAction.OPEN, ControlAction.CLOSE):
        return Change(replace(state, voting_open=action is ControlAction.OPEN))
    if action in (ControlAction.SHOW_RESULTS, ControlAction.HIDE_RESULTS):
        return Change(replace(state, results_visible=action is ControlAction.SHOW_RESULTS))
    return Change(replace(state, results_on_phones=action is ControlAction.SHOW_ON_PHONES))


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

    def question(self, question_id: str | None) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None

    @property
    def current_question(self) -> Question | None:
        return self.question(self.state.current)


# Ballots and tallies ---------------------------------------------------------------------------------------


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
    participant, never the cookie value."""

    question_id: str
    voter: str
    value: str
    counts: tuple[tuple[str, int], ...]
    cast_at: float

    @classmethod
    def of(cls, question_id: str, voter: str, answer: Answer, cast_at: float) -> Ballot:
        return cls(question_id, voter, answer.value, answer.counts, cast_at)


@dataclass(frozen=True, slots=True)
class Tally:
    """The summed counts of a question's counted ballots (see `Answer`), and how many voters cast them."""

    question_id: str
    counts: Mapping[str, int]
    voters: int

    @classmethod
    def empty(cls, question: Question) -> Tally:
        return cls(question.id, {o.id: 0 for o in question.options}, 0)

    @classmethod
    def of(cls, question: Question, counts: Iterable[tuple[str, int]], voters: int) -> Tally:
        """A stored tally, with every option present (at 0 when nobody chose it)."""
        summed = {o.id: 0 for o in question.options}
        summed.update(counts)
        return cls(question.id, summed, voters)

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
class Snapshot:
    """Everything a live screen shows about a session, at one version. `seq` only grows within an epoch;
    a new epoch means the backend lost the session's state and rebuilt it. Only what is durably stored
    is in a snapshot."""

    code: str
    epoch: str
    seq: int
    state: LiveState
    question: Question | None
    tally: Tally | None
    participants: int
    state_lost: bool = False
    host_key_hash: str = ""


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
