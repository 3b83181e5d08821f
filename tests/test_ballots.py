"""The cookie ballot rules against a real server on both backends: one counted ballot per participant per
question, changes replace, identical re-sends are acknowledged and change nothing, concurrency is exact."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import httpx
from support.server import LivepollClient

PARTICIPANTS = 200
SAME_PARTICIPANT_BURST = 100


async def test_changed_ballot_replaces_the_old_one(api: LivepollClient) -> None:
    """A participant who changes their ballot is counted once, for the newest choice, every time."""
    code, key, _ = await api.create_session(options=["a", "b", "c"])
    phone = api.participant()
    await phone.join(code)
    for choice in ("o1", "o2", "o3", "o1"):
        response = await phone.vote(code, "q1", [choice])
        assert response.status_code == 200 and response.json() == {"accepted": True}
        votes, voters = await api.votes(code, key)
        assert voters == 1 and votes == {o: int(o == choice) for o in ("o1", "o2", "o3")}


async def test_changed_multi_choice_ballot_moves_counts_exactly(api: LivepollClient) -> None:
    """Changing a multi-choice ballot removes every old choice and adds every new one."""
    code, key, _ = await api.create_session(options=["a", "b", "c", "d"], max_choices=3)
    phone, other = api.participant(), api.participant()
    for p in (phone, other):
        await p.join(code)
    assert (await other.vote(code, "q1", ["o1"])).status_code == 200
    assert (await phone.vote(code, "q1", ["o1", "o2", "o3"])).status_code == 200
    assert await api.votes(code, key) == ({"o1": 2, "o2": 1, "o3": 1, "o4": 0}, 2)
    assert (await phone.vote(code, "q1", ["o4", "o3"])).status_code == 200
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 1, "o4": 1}, 2)
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200
    assert await api.votes(code, key) == ({"o1": 1, "o2": 1, "o3": 0, "o4": 0}, 2)


async def test_identical_resend_is_acknowledged_and_changes_nothing(api: LivepollClient) -> None:
    """Re-sending the same ballot (a retry after a dropped connection) gets 200 again; the tally and the
    per-response export are unchanged."""
    code, key, _ = await api.create_session(options=["a", "b"])
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200
    before = await api.votes(code, key)
    responses_before = await api.export(code, key, "responses.csv")
    for _ in range(3):
        response = await phone.vote(code, "q1", ["o2"])
        assert response.status_code == 200 and response.json() == {"accepted": True}
    assert await api.votes(code, key) == before == ({"o1": 0, "o2": 1}, 1)
    assert await api.export(code, key, "responses.csv") == responses_before


async def test_identical_resend_is_acknowledged_where_changes_are_not_allowed(api: LivepollClient) -> None:
    """With allow_change=false an identical re-send is still acknowledged (in any order of its choices),
    while a different ballot is refused; the count never moves."""
    code, key, _ = await api.create_session(options=["a", "b", "c"], max_choices=2, allow_change=False)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1", "o3"])).status_code == 200
    for choices in (["o1", "o3"], ["o3", "o1"]):
        response = await phone.vote(code, "q1", choices)
        assert response.status_code == 200 and response.json() == {"accepted": True}, response.text
    for choices in (["o1"], ["o1", "o2"], ["o2"]):
        response = await phone.vote(code, "q1", choices)
        assert response.status_code == 409 and response.json()["error"] == "change_not_allowed"
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 1}, 1)


async def test_multi_choice_counts_votes_per_option_and_voters_per_participant(api: LivepollClient) -> None:
    """In a pick-several question each chosen option gets a vote and each participant is one voter."""
    code, key, _ = await api.create_session(options=["a", "b", "c", "d"], max_choices=4)
    ballots = [["o1"], ["o1", "o2"], ["o1", "o2", "o3"], ["o1", "o2", "o3", "o4"], ["o4", "o2"]]
    for choices in ballots:
        phone = api.participant()
        await phone.join(code)
        assert (await phone.vote(code, "q1", choices)).status_code == 200
    assert await api.votes(code, key) == ({"o1": 4, "o2": 4, "o3": 2, "o4": 2}, 5)


async def test_a_new_cookie_is_a_new_voter(api: LivepollClient) -> None:
    """B10 (documented limit): the same person with a cleared cookie is a new participant."""
    code, key, _ = await api.create_session(options=["a", "b"])
    for _ in range(2):
        phone = api.participant()
        await phone.join(code)
        assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    assert await api.votes(code, key) == ({"o1": 2, "o2": 0}, 2)


async def test_200_concurrent_participants_give_exact_totals(api: LivepollClient) -> None:
    """200 participants joining and voting at the same moment are all counted, exactly once each; then all
    of them changing their ballot at once moves the totals exactly."""
    code, key, _ = await api.create_session(options=["a", "b", "c", "d"], max_choices=2)
    rng = random.Random(2024)
    phones = [api.participant() for _ in range(PARTICIPANTS)]
    await asyncio.gather(*(p.join(code) for p in phones))
    first = [sorted(rng.sample(["o1", "o2", "o3", "o4"], rng.randint(1, 2))) for _ in phones]
    responses = await asyncio.gather(*(p.vote(code, "q1", c) for p, c in zip(phones, first, strict=True)))
    assert [r.status_code for r in responses] == [200] * PARTICIPANTS
    expected = Counter(o for choices in first for o in choices)
    assert await api.votes(code, key) == ({o: expected[o] for o in ("o1", "o2", "o3", "o4")}, PARTICIPANTS)

    second = [[rng.choice(["o1", "o2", "o3", "o4"])] for _ in phones]
    responses = await asyncio.gather(*(p.vote(code, "q1", c) for p, c in zip(phones, second, strict=True)))
    assert [r.status_code for r in responses] == [200] * PARTICIPANTS
    expected = Counter(o for choices in second for o in choices)
    assert await api.votes(code, key) == ({o: expected[o] for o in ("o1", "o2", "o3", "o4")}, PARTICIPANTS)
    rows = (await api.export(code, key, "responses.csv")).decode("utf-8-sig").splitlines()[1:]
    assert len(rows) == PARTICIPANTS


async def test_100_concurrent_identical_ballots_from_one_participant_count_once(api: LivepollClient) -> None:
    """B8: 100 simultaneous copies of one participant's ballot are all acknowledged and count once."""
    code, key, _ = await api.create_session(options=["a", "b"], allow_change=False)
    phone = api.participant()
    await phone.join(code)
    responses = await asyncio.gather(*(phone.vote(code, "q1", ["o1"]) for _ in range(SAME_PARTICIPANT_BURST)))
    assert [r.status_code for r in responses] == [200] * SAME_PARTICIPANT_BURST
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0}, 1)


async def test_100_concurrent_different_ballots_from_one_participant_count_once(api: LivepollClient) -> None:
    """B8: 100 simultaneous different ballots from one participant leave exactly one counted ballot, and
    where changes are not allowed every acknowledged ballot is that one."""
    for allow_change in (True, False):
        code, key, _ = await api.create_session(options=["a", "b", "c"], allow_change=allow_change)
        phone = api.participant()
        await phone.join(code)
        choices = [f"o{n % 3 + 1}" for n in range(SAME_PARTICIPANT_BURST)]
        responses = await asyncio.gather(*(phone.vote(code, "q1", [c]) for c in choices))
        votes, voters = await api.votes(code, key)
        assert voters == 1 and sum(votes.values()) == 1, (allow_change, votes)
        (counted,) = [o for o, n in votes.items() if n == 1]
        acked = {c for c, r in zip(choices, responses, strict=True) if r.status_code == 200}
        refused = [r for r in responses if r.status_code != 200]
        if allow_change:
            assert not refused, [r.text for r in refused[:3]]
        else:
            assert acked == {counted}, (acked, counted)
            assert all(_error(r) == (409, "change_not_allowed") for r in refused)
        rows = (await api.export(code, key, "responses.csv")).decode("utf-8-sig").splitlines()[1:]
        assert len(rows) == 1 and rows[0].split(",")[3] == counted


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]
