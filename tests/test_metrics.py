"""What an operator reads on /metrics: ballots by outcome, open sockets by role, new participant ids."""

from __future__ import annotations

import asyncio
import re

import websockets
from support.server import LivepollClient, ServerProcess


def metric(text: str, name: str, labels: str = "") -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    pattern = re.escape(name) + (re.escape("{" + labels + "}") if labels else "") + r" ([0-9.e+-]+)"
    found = re.search(r"^" + pattern + r"$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_metrics_count_ballots_sockets_and_new_participants(api: LivepollClient, server: ServerProcess) -> None:
    """Accepted, unchanged and refused ballots, connected participants and issued ids move on /metrics."""
    before = (await api.get("/metrics")).text
    code, _, _ = await api.create_session(allow_change=False)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 409
    cookie = phone.cookies["lp_pid"]
    async with websockets.connect(
        server.ws_url(f"/ws/v1/sessions/{code}"), additional_headers={"Cookie": f"lp_pid={cookie}"}
    ) as ws:
        await ws.recv()
        during = (await api.get("/metrics")).text
    after = (await api.get("/metrics")).text
    for _ in range(20):  # the server notices the close a moment after the client sent it
        if metric(after, "livepoll_websocket_connections", 'role="participant"') == metric(
            before, "livepoll_websocket_connections", 'role="participant"'
        ):
            break
        await asyncio.sleep(0.1)
        after = (await api.get("/metrics")).text

    def moved(name: str, labels: str = "", text: str = after) -> float:
        return metric(text, name, labels) - metric(before, name, labels)

    assert moved("livepoll_ballots_total", 'outcome="accepted"') == 1
    assert moved("livepoll_ballots_total", 'outcome="unchanged"') == 1
    assert moved("livepoll_ballots_total", 'outcome="refused"') == 1
    assert moved("livepoll_participant_ids_issued_total") >= 1
    assert moved("livepoll_websocket_connections", 'role="participant"', during) == 1
    assert moved("livepoll_websocket_connections", 'role="participant"') == 0
    assert metric(after, "process_resident_memory_bytes") > 0
