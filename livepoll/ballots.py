"""Ballots and tallies: one participant's answer as every backend stores it, whatever the question's kind,
and the summed counts a question's results are read from. Pure: no I/O.

A vote goes: a kind checks it (livepoll/kinds/) into an `Answer`, the use case wraps it in a `Ballot`, a
backend stores it and adds its counts to the question's `Tally`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from livepoll.questions import Question

# Count keys starting with this are remembered with the time they first appeared (see Tally.first_seen).
FIRST_SEEN = "~"
# The count key every accepted ballot and every mark adds one to (see Tally.version).
VERSION = "#"


def ballot_value(fields: Mapping[str, object]) -> str:
    """The canonical JSON of a ballot's fields: equal answers give equal strings."""
    return _CANONICAL.encode(fields)


# What json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True) builds on every call.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


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
