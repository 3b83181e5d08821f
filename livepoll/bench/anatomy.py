"""CPU anatomy of one WebSocket ballot on the server, step by step, in this process:
`python -m livepoll.bench.anatomy [--backend embedded|redis --redis-url URL]`.

Each step of the vote path (docs/architecture.md) is run many times and timed with process CPU time (all
threads), so the figures hold even on a machine busy with other work, where wall-clock profiles lie. The
steps add up to roughly what `livepoll bench` reads from /metrics per acknowledged ballot; the rest is the
event loop, ASGI and task switching around them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from livepoll.backends.base import Backend
from livepoll.kinds import choices_answer, make_question
from livepoll.model import Ballot, LiveState, Session, hash_host_key, new_join_code, voter_pseudonym
from livepoll.web.schemas import VoteMessage

N = 20_000


def per_call(fn: Callable[[], object], n: int = N) -> float:
    """µs of process CPU per call."""
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n * 1e6


def frame_steps() -> dict[str, float]:
    """The websockets sans-I/O protocol uvicorn's websockets-sansio implementation drives, after a real
    opening handshake between a client and a server protocol object."""
    client = ClientProtocol(parse_uri("ws://127.0.0.1/"))
    client.send_request(client.connect())
    server = ServerProtocol()
    server.receive_data(b"".join(client.data_to_send()))
    request = server.events_received()[0]
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    client.receive_data(b"".join(server.data_to_send()))
    client.events_received()
    client.send_frame(Frame(Opcode.TEXT, b'{"type":"vote","question":"q1","choices":["o2"],"ref":"17:1234.567890"}'))
    wire = b"".join(client.data_to_send())

    def parse() -> None:
        server.receive_data(wire)
        assert server.events_received()

    def serialize() -> None:
        server.send_text(b'{"type": "ack", "ref": "17:1234.567890"}')
        server.data_to_send()

    return {"websocket frame in (websockets parser)": per_call(parse),
            "websocket frame out (websockets serializer)": per_call(serialize)}


def rule_steps() -> dict[str, float]:
    text = '{"type":"vote","question":"q1","choices":["o2"],"ref":"17:1234.567890"}'
    q = make_question(1, "Q", [f"option {n}" for n in range(1, 31)], None, None)
    return {
        "pydantic VoteMessage.model_validate_json": per_call(lambda: VoteMessage.model_validate_json(text)),
        "kinds.choices_answer (30 options)": per_call(lambda: choices_answer(q, ["o2"])),
        "voter_pseudonym (HMAC-SHA256)": per_call(lambda: voter_pseudonym("secret", "12345678", "participant-id")),
        "json.dumps ack": per_call(lambda: json.dumps({"type": "ack", "ref": "17:1234.567890"})),
    }


async def backend_steps(backend: Backend, name: str, ballots: int = N) -> dict[str, float]:
    """µs of process CPU per get_session and per cast_ballot, 2,000 in flight at a time (as under load)."""
    q = make_question(1, "Q", [f"option {n}" for n in range(1, 31)], None, None)
    session = Session(new_join_code(), "anatomy", hash_host_key("k"), (q,), LiveState(current=q.id), time.time())
    await backend.create_session(session)

    t0 = time.process_time()
    for wave in range(0, ballots, 2000):
        await asyncio.gather(*(backend.get_session(session.code) for _ in range(wave, min(ballots, wave + 2000))))
    lookup = (time.process_time() - t0) / ballots * 1e6

    async def one(n: int) -> None:
        await backend.cast_ballot(
            session.code, q, Ballot.of(q.id, f"v{n % 5000}", choices_answer(q, [f"o{1 + n % 4}"]), time.time()), 1
        )

    t0 = time.process_time()
    for wave in range(0, ballots, 2000):  # waves of 2,000 concurrent ballots (each voter changes its ballot)
        await asyncio.gather(*(one(n) for n in range(wave, min(ballots, wave + 2000))))
    cast = (time.process_time() - t0) / ballots * 1e6
    return {
        f"Backend.get_session ({name}; Polls.vote calls it for every ballot)": lookup,
        f"Backend.cast_ballot ({name}, incl. its writer thread/round trips)": cast,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["embedded", "redis"], default="embedded")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    results = {**frame_steps(), **rule_steps()}
    backend: Backend
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "embedded":
            from livepoll.backends.embedded import EmbeddedBackend

            backend = EmbeddedBackend(Path(tmp))
        else:
            from livepoll.backends.redis import RedisBackend

            backend = RedisBackend(args.redis_url, prefix="anatomy", timeout=5.0)
        await backend.start()
        try:
            results.update(await backend_steps(backend, args.backend))
        finally:
            await backend.stop()
    width = max(len(k) for k in results)
    for name, us in results.items():
        print(f"{name.ljust(width)}  {us:8.1f} µs CPU")
    print(f"{'sum of the steps'.ljust(width)}  {sum(results.values()):8.1f} µs CPU")


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    asyncio.run(main())
