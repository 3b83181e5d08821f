"""Two livepoll processes on a three-primary Redis Cluster behave as one server: the ballots of sessions whose
slots live on different primaries are counted exactly, and a presenter on one process sees ballots cast on
the other (notices are shard channels: SPUBLISH/SSUBSCRIBE on the session's own primary).

Process A reaches the cluster by a redis+cluster:// URL, process B by a redis:// URL of one node with
LIVEPOLL_REDIS_CLUSTER=1. Real processes on loopback (tests/support/redis_topologies.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import websockets
from support.redis_server import RedisServer
from support.redis_topologies import Cluster, run_cli
from support.server import LivepollClient, ServerProcess
from test_scale_out import MARGIN, next_frame

from livepoll.backends.redis_layout import SessionKeys

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]

VOTERS = 24  # per session, half on each process


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with Cluster() as found:
        yield found


@pytest.fixture(scope="module")
def pair(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    a = ServerProcess(tmp_path_factory.mktemp("cluster-a"), redis_url=cluster.url)
    b = ServerProcess(
        tmp_path_factory.mktemp("cluster-b"),
        redis_url=cluster.nodes[1].url,
        redis_prefix=a.redis_prefix,
        env={"LIVEPOLL_REDIS_CLUSTER": "1"},
    )
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        b.stop()
        a.stop()


async def sessions_on_every_node(
    api: LivepollClient, cluster: Cluster, prefix: str
) -> dict[int, tuple[str, str]]:
    """One session (code, host key) whose keys live on each primary, by port."""
    found: dict[int, tuple[str, str]] = {}
    for _ in range(60):
        code, key, _ = await api.create_session(options=("A", "B", "C"))
        node: RedisServer = await asyncio.to_thread(cluster.node_of, SessionKeys(prefix, code).state)
        found.setdefault(node.port, (code, key))
        if len(found) == len(cluster.nodes):
            return found
    raise AssertionError(f"60 sessions and still only on {sorted(found)}")


async def test_ballots_of_sessions_on_different_primaries_are_exact(
    cluster: Cluster, pair: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = pair
    async with LivepollClient(a) as api_a, LivepollClient(b) as api_b:
        assert a.redis_prefix is not None
        sessions = await sessions_on_every_node(api_a, cluster, a.redis_prefix)
        expected: dict[str, dict[str, int]] = {}

        async def vote(api: LivepollClient, code: str, index: int) -> None:
            voter = api.participant()
            await voter.join(code)
            response = await voter.vote(code, "q1", [f"o{1 + index % 3}"])
            assert response.status_code == 200, response.text

        for code, _key in sessions.values():
            expected[code] = {f"o{i}": sum(1 for v in range(VOTERS) if v % 3 == i - 1) for i in (1, 2, 3)}
            await asyncio.gather(*(vote(api_a if i % 2 else api_b, code, i) for i in range(VOTERS)))
        for code, key in sessions.values():
            for api in (api_a, api_b):
                assert await api.votes(code, key) == (expected[code], VOTERS)


async def test_presenter_on_one_process_sees_ballots_cast_on_the_other(
    cluster: Cluster, pair: tuple[ServerProcess, ServerProcess]
) -> None:
    a, b = pair
    async with LivepollClient(a) as api_a:
        assert a.redis_prefix is not None
        sessions = await sessions_on_every_node(api_a, cluster, a.redis_prefix)
        for code, key in sessions.values():
            async with websockets.connect(b.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}")) as presenter:
                first = await next_frame(presenter, lambda f: f["type"] == "results", 5 + MARGIN)
                assert first["voters"] == 0
                voter = api_a.participant()
                await voter.join(code)
                assert (await voter.vote(code, "q1", ["o2"])).status_code == 200
                frame = await next_frame(presenter, lambda f: f.get("voters") == 1, 1.0 + MARGIN)
                assert {o["id"]: o["votes"] for o in frame["question"]["options"]}["o2"] == 1


async def test_guess_budgets_and_a_lost_session_run_on_the_cluster(
    cluster: Cluster, pair: tuple[ServerProcess, ServerProcess]
) -> None:
    """The scripts the tests above do not reach: an unknown code spends the address's guess budget (a 404,
    not a cross-slot error), and a session whose keys the cluster lost is rebuilt, with zero tallies, by the
    process that knew it."""
    a, _b = pair
    assert a.redis_prefix is not None
    async with LivepollClient(a) as api:
        code, key, _ = await api.create_session()
        unknown = await api.participant().get(f"/api/v1/sessions/{(int(code) + 1) % 10**len(code):0{len(code)}d}")
        assert unknown.status_code == 404, unknown.text
        voter = api.participant()
        await voter.join(code)
        assert (await voter.vote(code, "q1", ["o1"])).status_code == 200
        keys = SessionKeys(a.redis_prefix, code)
        node = await asyncio.to_thread(cluster.node_of, keys.state)
        assert await asyncio.to_thread(run_cli, node.port, "DEL", keys.state, keys.definition) == b"2\n"
        await api.participant().join(code)
        assert await api.votes(code, key) == ({"o1": 0, "o2": 0, "o3": 0}, 0)
