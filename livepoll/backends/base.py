"""The one interface the web layer knows: where sessions and ballots are kept, and how processes hear
that a session changed.

Delivery guarantee of change notices: at most once, possibly coalesced. A notice only says "session
CODE changed"; the data is read back with `snapshot()`. A listener that may have missed notices (it
reconnected) calls `on_change` for every watched session, so a missed notice costs one extra read, never a
stale screen. A backend that lost a session's state rebuilds it under a new `epoch`, and its snapshots
say `state_lost` so screens can tell "the data is gone" from "I missed an update".
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from livepoll.backends.guesses import GuessBudget
from livepoll.model import Ballot, BallotOutcome, Change, QuestionData, Response, Session, Snapshot, StoredBallot
from livepoll.questions import Question

ChangeListener = Callable[[str], None]
# What must hold for a ballot to count: QUESTION_GATE, the question is current and voting on it is open (its
# deadline not passed); SESSION_GATE, voting is open; ALWAYS_OPEN, nothing (a nickname); or the name of a
# live-state flag that must be on.
QUESTION_GATE = ""
ALWAYS_OPEN = "*"
# Any question while voting is open (its deadline not passed): a self-paced session.
SESSION_GATE = "@"
# A host control's rule: given the session as stored at this moment and the store's clock (UNIX seconds),
# the change to make. Pure (model.decide_control); it may raise PollError, and then nothing changes.
Decide = Callable[[Session, float], Change]


@dataclass(frozen=True, slots=True)
class SessionActivity:
    """What the host's list of sessions shows besides the definition: when anything last happened (UNIX
    time), the participants connected now and the ballots counted on its questions."""

    last_active: float
    participants: int
    ballots: int


class BackendUnavailable(Exception):
    """The store did not answer in time or is down. Nothing was acknowledged; the client may retry."""


class CodeTaken(Exception):
    """A new session's join code is already used by a live session."""


@dataclass(slots=True)
class BackendHealth:
    ready: bool
    detail: dict[str, object] = field(default_factory=dict)


class Backend(abc.ABC):
    """State (sessions, ballots, tallies) plus bus (change notices between processes).

    Every write that changes what a screen shows bumps the session's version and notifies every process
    watching the session (including this one) through the `on_change` listener.
    """

    url: str
    on_change: ChangeListener

    def __init__(self) -> None:
        self.on_change = lambda code: None

    # Lifecycle -------------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def stop(self) -> None:
        """Finish or fail every in-flight write, then release connections and files."""

    @abc.abstractmethod
    async def shared_secret(self, name: str, generate: Callable[[], str]) -> tuple[str, bool]:
        """The value of a secret every process of this deployment shares, created with `generate` if none
        exists yet. Returns (value, created_now)."""

    # Sessions --------------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def create_session(self, session: Session) -> None:
        """Store a new session; raise CodeTaken if its join code is in use."""

    @abc.abstractmethod
    async def get_session(self, code: str) -> Session | None: ...

    @abc.abstractmethod
    async def list_sessions(self) -> list[Session]:
        """All stored sessions, newest first."""

    @abc.abstractmethod
    async def session_activity(self, sessions: Collection[Session]) -> dict[str, SessionActivity]:
        """The activity of each of `sessions` still stored (by code)."""

    @abc.abstractmethod
    async def delete_session(self, code: str) -> bool:
        """Delete the session and all its ballots at once; True if it existed."""

    @abc.abstractmethod
    async def change_session(self, code: str, decide: Decide) -> Session | None:
        """Apply one host control as one atomic step: `decide` sees the session as it is at that moment
        (no other control or ballot in between), and its whole change (live state, discarded ballots, new
        host key) is stored at once, after which the session's version grows and viewers are notified.
        Two controls racing from two screens or processes are applied one after the other, each to the
        state the other left. Returns the changed session once it is durable, None if there is no such
        session; raises what `decide` raises, having changed nothing."""

    # Ballots ---------------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def cast_ballot(
        self, code: str, question: Question, ballot: Ballot, definition: int | None, gate: str = QUESTION_GATE
    ) -> BallotOutcome:
        """Store a ballot that `question`, as in version `definition` of the session, already accepted.

        One ballot per voter per question: a ballot identical to the stored one is UNCHANGED (even once
        voting closed or the session moved on: the client may be retrying a lost acknowledgement); else it
        counts only if the definition is still `definition` (else STALE: check it again; None: any), the
        gate holds at the moment it is stored (by default: `question` is current, voting is open and its
        deadline, by the store's clock, not passed), a conditional ballot still fits what is stored (else
        CONFLICT), and it replaces the voter's previous ballot (moving its counts) unless the question
        forbids changes. Returns only after the outcome is durable; raises BackendUnavailable instead of
        guessing.
        """

    @abc.abstractmethod
    async def own_ballots(self, code: str, question_id: str, voters: Collection[str]) -> dict[str, StoredBallot]:
        """The stored ballot (value and time) of each of `voters` that has one on the question: a lookup per
        voter, never a scan. Only durably stored ballots."""

    @abc.abstractmethod
    async def question_data(self, code: str, wanted: Mapping[str, bool]) -> dict[str, QuestionData]:
        """Tally and marks of each wanted question or session-wide channel (id -> whether its ballots are
        wanted too), at one moment; empty if there is no such session."""

    @abc.abstractmethod
    async def responses(self, code: str) -> list[Response]:
        """Every counted ballot, oldest first."""

    @abc.abstractmethod
    async def expire_sessions(self, inactive_since: float) -> int:
        """Delete sessions with no activity since the given UNIX time; return how many."""

    # Live ------------------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def snapshot(self, code: str) -> Snapshot | None:
        """The current question, its tally and the connected-participant count at the latest version, from
        durably stored data only: a screen never shows a ballot or a control that could still be lost."""

    @abc.abstractmethod
    async def watch(self, code: str) -> None:
        """Start delivering this session's change notices to `on_change` (this process has viewers)."""

    @abc.abstractmethod
    async def unwatch(self, code: str) -> None: ...

    @abc.abstractmethod
    async def report_presence(self, code: str, participants: int) -> None:
        """This process now holds `participants` connected participants of the session; snapshots
        report the sum over all processes."""

    @abc.abstractmethod
    def health(self) -> BackendHealth: ...

    # Guess budgets ---------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def spend_guess_budget(self, budget: GuessBudget, address_key: str, misses: int) -> float:
        """Record `misses` wrong guesses (0: only ask) by one address, named by an opaque key (a keyed hash,
        never the address), shared by every process of the deployment; return how many seconds the address
        must still wait before it may guess again (0.0: it may). The state is forgotten as soon as the
        bucket would be full again."""
