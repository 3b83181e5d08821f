"""A livepoll server on a Sentinel set (LIVEPOLL_REDIS_URL=redis+sentinel://...) rides out the loss of its
primary: ballots sent while Sentinel fails over are refused at once with the retryable error, ballots are
taken again on the new primary without restarting livepoll, and with LIVEPOLL_REDIS_WAIT_REPLICAS=1 no
acknowledged ballot is lost.

Real processes on loopback: a primary, its replica and three sentinels (tests/support/redis_topologies.py),
and a `livepoll serve`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator

import pytest
from support.redis_topologies import SentinelSet
from support.server import LivepollClient, ServerProcess
from support.waiting import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]

REDIS_TIMEOUT = 1.0  # LIVEPOLL_REDIS_TIMEOUT
MARGIN = 1.5  # a loaded 2-core machine can hold a process back for over a second
VOTERS = 40
OPTIONS = ("o1", "o2", "o3")


@pytest.fixture(scope="module")
def sentinels() -> Iterator[SentinelSet]:
    with SentinelSet() as found:
        yield found


@pytest.fixture(scope="module")
def server(sentinels: SentinelSet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("sentinel-server"),
        redis_url=sentinels.url,
        env={"LIVEPOLL_REDIS_WAIT_REPLICAS": "1", "LIVEPOLL_REDIS_TIMEOUT": str(REDIS_TIMEOUT)},
    )
    process.start()
    yield process
    process.stop()


async def test_primary_killed_during_a_vote_burst_fails_over_without_losing_an_acknowledged_ballot(
    sentinels: SentinelSet, server: ServerProcess
) -> None:
    async with LivepollClient(server) as api:
        code, key, _ = await api.create_session(options=("A", "B", "C"), allow_change=True)
        voters = [api.participant() for _ in range(VOTERS)]
        for voter in voters:
            await voter.join(code)
        last_acked: dict[int, str] = {}
        acked_at: dict[int, list[float]] = {i: [] for i in range(VOTERS)}
        refusals: list[tuple[float, float]] = []  # (sent at, seconds until the retryable refusal)
        voting = True

        async def vote(index: int) -> None:
            turn = random.randrange(len(OPTIONS))
            while voting:
                turn += 1
                choice = OPTIONS[turn % len(OPTIONS)]
                # A phone sends the same ballot again until it is acknowledged (a repeat is counted once).
                while True:
                    sent = time.monotonic()
                    response = await voters[index].vote(code, "q1", [choice])
                    if response.status_code == 200:
                        last_acked[index] = choice
                        acked_at[index].append(time.monotonic())
                        break
                    assert response.status_code == 503, response.text
                    assert response.json()["error"] == "unavailable"
                    refusals.append((sent, time.monotonic() - sent))
                    # As the phone page does: again after Retry-After, spread so that retries do not align.
                    await asyncio.sleep(float(response.headers["Retry-After"]) * random.uniform(0.3, 1.0))
                await asyncio.sleep(random.uniform(0.01, 0.05))

        tasks = [asyncio.create_task(vote(i)) for i in range(VOTERS)]
        try:
            await wait_until(lambda: len(last_acked) == VOTERS, "every voter to have a ballot acknowledged", 30)
            old_primary = sentinels.primary
            await asyncio.to_thread(old_primary.kill)
            killed_at = time.monotonic()
            await wait_until(
                lambda: sentinels.primary_port() == sentinels.replica.port, "Sentinel to promote the replica", 30
            )
            promoted_at = time.monotonic()
            # With WAIT 1 a ballot needs a replica: the old primary comes back and Sentinel makes it one.
            await asyncio.to_thread(old_primary.start)
            await wait_until(
                lambda: all(any(t > promoted_at for t in times) for times in acked_at.values()),
                "every voter to have a ballot acknowledged by the new primary",
                45,
            )
        finally:
            voting = False
            await asyncio.wait_for(asyncio.gather(*tasks), 30)

        assert server.running and server.starts == 1, "livepoll was restarted"
        during = [seconds for sent, seconds in refusals if killed_at <= sent <= promoted_at]
        assert during, "no ballot was refused while Sentinel failed over"
        # A ballot waits at most the timeout for its round trip to start and the timeout for the round trip.
        slowest = max(during)
        assert slowest <= 2 * REDIS_TIMEOUT + MARGIN, f"slowest refusal during the failover: {slowest:.2f}s"
        # Every voter's last acknowledged choice is counted, once: nothing acknowledged was lost.
        votes, voters_counted = await api.votes(code, key)
        expected = {f"o{i + 1}": 0 for i in range(3)}
        for choice in last_acked.values():
            expected[choice] += 1
        assert voters_counted == VOTERS
        assert votes == expected
