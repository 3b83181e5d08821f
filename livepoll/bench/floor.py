"""The framework floor: server CPU per WebSocket message for an endpoint that does nothing but answer, on the
same uvicorn settings livepoll uses. `python -m livepoll.bench.floor [--starlette] [--connections 1000]`.

Starts `uvicorn livepoll.bench.floor:bare_app` (or `:starlette_app`) on a free loopback port in a child
process, opens the connections with the bench's client, keeps one message in flight per connection for
`--seconds`, and reads the child's CPU time from /proc. Bounded in time; stops the child at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from typing import Any

import psutil

from livepoll.bench.clients import WsClient, ws_connect

ACK = '{"type": "ack", "ref": "17:1234.567890"}'
VOTE = '{"type":"vote","question":"q1","choices":["o2"],"ref":"17:1234.567890"}'


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI WebSocket endpoint that answers every message."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        await send({"type": "websocket.send", "text": ACK})


def _starlette() -> Any:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        while (await ws.receive())["type"] != "websocket.disconnect":
            await ws.send_text(ACK)

    return Starlette(routes=[WebSocketRoute("/", echo)])


starlette_app = _starlette()


async def drive(port: int, pid: int, connections: int, seconds: float) -> tuple[float, float]:
    answered = 0
    end = time.monotonic() + 3600.0

    def on_text(ws: WsClient, text: str) -> None:
        nonlocal answered
        answered += 1
        if time.monotonic() < end:
            ws.send_text(VOTE)

    sem = asyncio.Semaphore(200)

    async def one() -> WsClient:
        async with sem:
            return await ws_connect("127.0.0.1", port, f"127.0.0.1:{port}", "/", None, on_text, lambda ws: None)

    clients = await asyncio.gather(*(one() for _ in range(connections)))
    proc = psutil.Process(pid)
    before = sum(proc.cpu_times()[:2])
    counted, end = answered, time.monotonic() + seconds
    for client in clients:
        client.send_text(VOTE)
    await asyncio.sleep(seconds + 0.5)
    used = sum(proc.cpu_times()[:2]) - before
    messages = answered - counted
    for client in clients:
        client.abort()
    return messages / seconds, used / max(1, messages) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starlette", action="store_true", help="the endpoint as a Starlette WebSocketRoute")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = "livepoll.bench.floor:" + ("starlette_app" if args.starlette else "bare_app")
    child = subprocess.Popen([
        sys.executable, "-m", "uvicorn", app, "--port", str(port), "--ws", "websockets-sansio",
        "--ws-per-message-deflate", "false", "--http", "httptools", "--loop", "uvloop", "--log-level", "warning",
    ])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            rate, us = runner.run(drive(port, child.pid, args.connections, args.seconds))
        print(f"{app}: {args.connections} connections, {rate:,.0f} messages/s answered, "
              f"{us:.1f} µs server CPU per message (receive + reply)")
    finally:
        child.terminate()
        child.wait(10)


if __name__ == "__main__":
    main()
