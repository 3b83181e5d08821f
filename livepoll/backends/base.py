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
from collections.abc import Callable
from dataclasses import dataclass, field

from livepoll.backends.guesses import GuessBudget
from livepoll.model import Ballot, BallotOutcome, LiveState, Question, Response, Session, Snapshot, Tally

ChangeListener = Callable[[str], None]


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
    async def delete_session(self, code: str) -> bool:
        """Delete the session and all its ballots at once; True if it existed."""

    @abc.abstractmethod
    async def set_state(self, code: str, state: LiveState) -> bool:
        """Replace the live state; False if there is no such session."""

    @abc.abstractmethod
    async def reset_question(self, code: str, question_id: str) -> None:
        """Discard every ballot on the question."""

    # Ballots ---------------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def cast_ballot(self, code: str, question: Question, ballot: Ballot) -> BallotOutcome:
        """Store a ballot whose choices the question already accepted (canonical order).

        Atomic against the live state: the ballot counts only if `question` is current and voting is open
        at the moment it is stored. One ballot per voter per question: an identical ballot is UNCHANGED, a
        different one replaces the old one (moving its counts) unless the question forbids changes.
        Returns only after the outcome is durable; raises BackendUnavailable instead of guessing.
        """

    @abc.abstractmethod
    async def tallies(self, code: str) -> dict[str, Tally]:
        """Tally of every question of the session that has one; absent questions have no ballots."""

    @abc.abstractmethod
    async def responses(self, code: str) -> list[Response]:
        """Every counted ballot, oldest first."""

    @abc.abstractmethod
    async def expire_sessions(self, inactive_since: float) -> int:
        """Delete sessions with no activity since the given UNIX time; return how many."""

    # Live ------------------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def snapshot(self, code: str) -> Snapshot | None:
        """The current question, its tally and the connected-participant count at the latest version."""

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
