"""Every question kind through the real stores, on both backends: 200 participants at once on each kind give
exact results (the tally equals the sum of every participant's last counted ballot), the same results on
the embedded and the Redis backend, and a timer's deadline refuses a late ballot atomically, on two processes
sharing one Redis, by Redis's clock."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from support.redis_server import RedisServer
from support.waiting import wait_until

from livepoll import kinds
from livepoll.backends.base import Backend
from livepoll.backends.embedded import EmbeddedBackend
from livepoll.kinds import BallotInput, ResultsView
from livepoll.kinds.base import Words
from livepoll.model import Answer, ControlAction, PollError, ballot_fields, count_ballots
from livepoll.polls import Polls
from livepoll.questions import OTHER, Draft, Question, QuestionKind

K = QuestionKind
PARTICIPANTS = 200
LEMMAS = {"miasta": "miasto", "miastem": "miasto", "rady": "rada", "radą": "rada", "громади": "громада"}
WORDS = Words(lambda text: LEMMAS.get(text.casefold(), text.casefold()), lambda text: text.casefold() == "brzydal")
DRAFTS = [
    Draft(K.CHOICE, "Z kim?", ["miasto", "NGO", "biznes"], max_choices=2, other=True),
    Draft(K.QUIZ, "Ile?", ["1", "2", "3"], correct=[1]),
    Draft(K.WORDCLOUD, "Słowo?", max_entries=3),
    Draft(K.OPEN, "Uwagi?", max_entries=2),
    Draft(K.SCALE, "Oceń", statements=["treść", "czas"], min=1, max=5),
    Draft(K.RANKING, "Kolejność", ["a", "b", "c", "d"]),
]
VOCABULARY = ["miasta", "Miasto", "miastem", "rady", "radą", "громади", "громада", "NGO", "brzydal", "szkoła"]


def ballots_for(kind: QuestionKind, n: int, rng: random.Random) -> list[BallotInput]:
    """A participant's ballots on one question of `kind`, in the order sent (the last one counts, or for
    open text, every one adds an entry)."""
    if kind is K.CHOICE:
        picks = [["o1"], ["o2", "o3"], [OTHER]]
        return [BallotInput(choices=c, other_text="rada" if OTHER in c else None) for c in rng.sample(picks, 2)]
    if kind is K.QUIZ:
        return [BallotInput(choices=[rng.choice(["o1", "o2", "o3"])]) for _ in range(2)]
    if kind is K.WORDCLOUD:
        return [BallotInput(entries=rng.sample(VOCABULARY, rng.randint(1, 3))) for _ in range(2)]
    if kind is K.OPEN:
        return [BallotInput(text=f"uwaga {n}"), BallotInput(text=f"druga uwaga {n}", ref=f"r{n}")]
    if kind is K.SCALE:
        return [BallotInput(ratings={"s1": rng.randint(1, 5), "s2": rng.randint(1, 5)}) for _ in range(2)]
    order = ["o1", "o2", "o3", "o4"]
    return [BallotInput(order=rng.sample(order, 4)) for _ in range(2)]


class Stores:
    """Backends of one store (embedded: one; Redis: as many processes as asked), stopped at the end."""

    def __init__(self, kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.kind, self.tmp_path, self.request = kind, tmp_path, request
        self.prefix = f"k{secrets.token_hex(4)}"
        self.opened: list[Backend] = []

    async def open(self) -> Backend:
        backend: Backend
        if self.kind == "embedded":
            backend = EmbeddedBackend(self.tmp_path / "data")
        else:
            from livepoll.backends.redis import RedisBackend

            redis: RedisServer = self.request.getfixturevalue("store_redis")
            backend = RedisBackend(redis.url, prefix=self.prefix, timeout=5.0)
        await backend.start()
        self.opened.append(backend)
        await wait_until(lambda: backend.health().ready, "the backend to be ready")
        return backend


@pytest.fixture(params=["embedded", "redis"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stores]:
    opened = Stores(request.param, tmp_path, request)
    yield opened
    for backend in reversed(opened.opened):
        await backend.stop()


def _comparable(results: dict[str, Any]) -> dict[str, Any]:
    """Results without what differs between runs by nature: entry ids and times (random, clock)."""
    if results["kind"] == "open":
        return {**results, "entries": sorted(e["text"] for e in results["entries"])}
    return results


async def _run_every_kind(backend: Backend) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """200 participants at once on each kind, in turn; returns (stored results, results recomputed from every
    participant's final answer), both as the host sees them."""
    polls = Polls(backend, "secret", WORDS)
    created = await polls.create("Wszystkie rodzaje", DRAFTS)
    code = created.session.code
    rng = random.Random(7)
    expected_answers: dict[str, dict[str, Answer]] = {}
    for question in created.session.questions:
        await polls.control(code, ControlAction.GOTO, question.id)
        final: dict[str, Answer] = {}

        async def participant(n: int, question: Question = question, final: dict[str, Answer] = final) -> None:
            voter = f"voter-{n:03}"
            for ballot in ballots_for(question.kind, n, rng):
                await polls.vote_as(code, voter, question.id, ballot)
            stored = (await backend.own_ballots(code, question.id, [voter]))[voter]
            final[voter] = Answer(stored.value, _counts_of(question, stored.value))

        await asyncio.wait_for(asyncio.gather(*(participant(n) for n in range(PARTICIPANTS))), 60)
        expected_answers[question.id] = final
    session = await polls.session(code)
    stored = []
    recomputed = []
    for question, data in await polls.question_data(session):
        view = ResultsView(data.tally, data.ballots, data.marks, host=True)
        stored.append(_comparable(kinds.question_results(question, view)))
        answers = list(expected_answers[question.id].values())
        tally = count_ballots(question, answers)
        assert tally.voters == PARTICIPANTS
        assert dict(data.tally.counts) == {k: v for k, v in tally.counts.items() if v or k in data.tally.counts}
        recomputed.append(_comparable(kinds.question_results(question, ResultsView(
            data.tally.__class__(question.id, tally.counts, tally.voters, data.tally.first_seen), data.ballots,
            data.marks, host=True))))
    return stored, recomputed


def _counts_of(question: Question, value: str) -> tuple[tuple[str, int], ...]:
    """The counts a stored value adds, recomputed with the kind's rules from the fields as stored (open text:
    its number of entries)."""
    fields = ballot_fields(value)
    if question.kind is K.OPEN:
        entries = fields["entries"]
        assert isinstance(entries, list)
        return (("entries", len(entries)),)
    ballot = BallotInput(**{k: v for k, v in fields.items() if k in BallotInput.__dataclass_fields__})
    return kinds.answer(question, ballot, kinds.BallotContext(0.0, WORDS)).counts


async def test_every_kind_counts_200_participants_exactly(stores: Stores) -> None:
    """Each participant sends two ballots per kind, all 200 at once: every tally is the sum of each
    participant's last counted ballot (for open text: both entries), with 200 voters."""
    stored, recomputed = await _run_every_kind(await stores.open())
    assert stored == recomputed
    by_kind = {r["kind"]: r for r in stored}
    assert len(by_kind["open"]["entries"]) == 2 * PARTICIPANTS
    assert sum(w["count"] for w in by_kind["wordcloud"]["blocked_words"]) > 0


async def test_both_backends_give_the_same_results(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The same ballots, in the same order, give the same results on the embedded and the Redis backend."""
    outcomes = []
    for name in ("embedded", "redis"):
        store = Stores(name, tmp_path / name, request)
        try:
            outcomes.append((await _run_every_kind(await store.open()))[0])
        finally:
            for backend in store.opened:
                await backend.stop()
    assert outcomes[0] == outcomes[1]


async def test_a_ballot_after_the_deadline_is_refused_on_every_process(stores: Stores) -> None:
    """A timer set with `open` + seconds: a ballot within it counts, one after it is refused with
    voting_closed on every process (on Redis, by Redis's clock), and the snapshot says voting is closed."""
    first = await stores.open()
    second = first if stores.kind == "embedded" else await stores.open()
    polls_a, polls_b = Polls(first, "s", WORDS), Polls(second, "s", WORDS)
    created = await polls_a.create("Czas", [Draft(K.CHOICE, "Szybko", ["a", "b"])])
    code = created.session.code
    done = await polls_a.control(code, kinds_control(seconds=1))
    deadline = done.session.state.deadline
    assert deadline is not None and done.session.state.voting_open
    await polls_b.vote_as(code, "early", "q1", BallotInput(choices=["o1"]))
    snap = await second.snapshot(code)
    assert snap is not None and snap.state.open_at(snap.now)
    await wait_until(lambda: time.time() > deadline + 0.05, "the deadline to pass (plus 50 ms)", 5)
    for polls in (polls_a, polls_b):
        with pytest.raises(PollError) as refused:
            await polls.vote_as(code, "late", "q1", BallotInput(choices=["o2"]))
        assert refused.value.code == "voting_closed"
    for backend in (first, second):
        snap = await backend.snapshot(code)
        assert snap is not None and not snap.state.open_at(snap.now)
        assert snap.tally is not None and snap.tally.voters == 1
    # The counted ballot resent after the deadline is still acknowledged (its ack may have been lost).
    await polls_b.vote_as(code, "early", "q1", BallotInput(choices=["o1"]))


def kinds_control(seconds: int) -> Any:
    from livepoll.model import Control

    return Control(ControlAction.OPEN, seconds=seconds)


Voter = Callable[[int], Any]
