"""What every kind of question provides: a ballot check, results from a tally, and export rows.

A kind's rules are pure: they turn a participant's ballot into the one stored form (`Answer`: a canonical
value and the counts it adds to the tally) and turn a tally back into the kind's results. Backends store
every kind the same way and never look inside a value.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livepoll.model import Answer, PollError, StoredBallot, Tally
from livepoll.questions import Draft, Question, QuestionKind

# How long an identical open-text entry (or Q&A question) counts as a resend of the first one.
RESEND_WINDOW = 60.0


@dataclass(frozen=True, slots=True)
class BallotInput:
    """A ballot as sent (`POST .../votes` or a WebSocket `vote`): the fields of its question's kind."""

    choices: Sequence[str] | None = None
    other_text: str | None = None
    entries: Sequence[str] | None = None
    text: str | None = None
    ratings: Mapping[str, int] | None = None
    order: Sequence[str] | None = None
    ref: str = ""


@dataclass(frozen=True, slots=True)
class Words:
    """How free words are compared and screened: `normalize(text)` gives the key a word is counted under
    (None: not a word), `blocked(text)` whether the blocklist holds it. `warm_up()` loads what they need
    (dictionaries) off the event loop; a caller awaits it before the first use."""

    normalize: Callable[[str], str | None]
    blocked: Callable[[str], bool]
    warm_up: Callable[[], Coroutine[Any, Any, None]] | None = None


PLAIN_WORDS = Words(lambda text: " ".join(text.casefold().split()) or None, lambda text: False)


@dataclass(frozen=True, slots=True)
class BallotContext:
    """What a ballot check may need besides the ballot: the server's clock, the words rules, and the
    participant's stored ballot on the question (for kinds that add to it instead of replacing it)."""

    now: float
    words: Words = PLAIN_WORDS
    previous: str | None = None


@dataclass(frozen=True, slots=True)
class ResultsView:
    """What results are made of: the tally, every stored ballot (for kinds that list them), the host's
    marks (hidden words and entries, approvals), and who looks: the host sees what screens must not."""

    tally: Tally
    ballots: Mapping[str, StoredBallot] = field(default_factory=dict)
    marks: Mapping[str, str] = field(default_factory=dict)
    host: bool = False
    revealed: bool = False


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One row of `export.csv` for the question: an item and its number (votes, score or count)."""

    item_id: str
    item: str
    votes: int


@dataclass(frozen=True, slots=True)
class ResponseRow:
    """One row of `responses.csv` for one stored ballot: an item, and its rank or rating when it has one."""

    item_id: str
    item: str
    value: str = ""


class KindRules(abc.ABC):
    kind: QuestionKind
    # The Question fields this kind uses (stored, echoed, edited); the others keep their defaults.
    fields: tuple[str, ...] = ()
    # Whether every stored ballot is needed for results (a list of entries), for screens and for the host.
    lists_ballots = False
    # Whether a ballot adds to the participant's stored one (checked against it) instead of replacing it.
    adds_to_previous = False
    # Whether checking a ballot needs the words rules (lemmatiser, blocklist) loaded.
    uses_words = False

    @abc.abstractmethod
    def build(self, draft: Draft, question_id: str, where: str) -> Question:
        """The question a creation request describes; PollError 422 naming `where` when it is not valid."""

    @abc.abstractmethod
    def answer(self, question: Question, ballot: BallotInput, context: BallotContext) -> Answer:
        """The stored form of a valid ballot; PollError (422, or 409 for limits) for an invalid one."""

    def needs_ballots(self, question: Question, host: bool) -> bool:
        return self.lists_ballots

    @abc.abstractmethod
    def results(self, question: Question, view: ResultsView) -> dict[str, object]:
        """The kind's result fields (besides `kind` and `voters`)."""

    @abc.abstractmethod
    def result_rows(self, question: Question, view: ResultsView) -> list[ResultRow]: ...

    @abc.abstractmethod
    def response_rows(self, question: Question, value: Mapping[str, object]) -> list[ResponseRow]: ...


def refuse(code: str, message: str, status: int = 422) -> PollError:
    return PollError(code, message, status)


class InvalidQuestion(PollError):
    """A question a creation request describes wrongly; `field` names the request field at fault (when one
    is), so a form can show the problem next to it."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__("invalid_question", message, 422)
        self.field = field


def invalid(where: str, message: str, field: str | None = None) -> InvalidQuestion:
    return InvalidQuestion(f"{where}: {message}", field)


def labels(
    values: Sequence[str], prefix: str, where: str, what: str, low: int, high: int
) -> tuple[tuple[str, str], ...]:
    """Checked, trimmed labels with ids `<prefix><n>`: between `low` and `high`, none empty, none twice."""
    cleaned = [v.strip() for v in values]
    if not low <= len(cleaned) <= high:
        raise invalid(where, f"needs {low}-{high} {what}; got {len(cleaned)}", what)
    if any(not v for v in cleaned):
        raise invalid(where, f"has an empty {what[:-1]}", what)
    if len({v.casefold() for v in cleaned}) != len(cleaned):
        raise invalid(where, f"has the same {what[:-1]} twice", what)
    return tuple((f"{prefix}{n}", v) for n, v in enumerate(cleaned, start=1))


def text_of(draft: Draft, where: str) -> str:
    text = draft.text.strip()
    if not text:
        raise invalid(where, "has no text", "text")
    return text


def only_fields(ballot: BallotInput, allowed: Sequence[str]) -> None:
    """A ballot carries the fields of its question's kind and no others."""
    for name in ("choices", "other_text", "entries", "text", "ratings", "order"):
        if name not in allowed and getattr(ballot, name) is not None:
            raise refuse("unexpected_field", f"A ballot for this question has no field {name!r}.")


def percent(part: int, whole: int) -> float:
    return 0.0 if whole == 0 else part * 100.0 / whole


def average(total: float, count: int) -> float | None:
    return None if count == 0 else round(total / count, 2)
