"""A phone joins and comes back after a server restart with one WebSocket handshake each time, and no HTTP
request before it (issue 12 item 3): the handshake itself hands out the participant cookie, and the first
frames after it are the whole resync, the participant's own counted ballot included. This is what keeps a
reconnect storm at one round trip and one handshake's CPU per phone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

import pytest
from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

WAIT = 15.0

Frame = dict[str, Any]


def open_phone(server: ServerProcess, code: str, cookie: str | None = None) -> Any:
    headers = {"Cookie": cookie} if cookie else None
    return connect(server.ws_url(f"/ws/v1/sessions/{code}"), additional_headers=headers, proxy=None,
                   compression=None, open_timeout=WAIT)


async def frames_until(ws: ClientConnection, done: Callable[[list[Frame]], bool]) -> list[Frame]:
    frames: list[Frame] = []
    async with asyncio.timeout(WAIT):
        while not done(frames):
            frames.append(json.loads(await ws.recv()))
    return frames


def of_type(frames: list[Frame], kind: str) -> list[Frame]:
    return [f for f in frames if f["type"] == kind]


@pytest.mark.parametrize("backend", ["embedded", "redis"])
async def test_a_phone_joins_and_resyncs_after_a_restart_with_the_handshake_alone(
    backend: str, make_server: Callable[..., ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    server = make_server(backend)
    api = client_for(server)
    code, _key, _ = await api.create_session(options=["a", "b", "c"])

    # First join: no HTTP request at all; the handshake's response carries the participant cookie.
    async with open_phone(server, code) as ws:
        set_cookie = ws.response.headers.get_all("Set-Cookie")
        jar = SimpleCookie()
        for header in set_cookie:
            jar.load(header)
        assert "lp_pid" in jar, set_cookie
        cookie = f"lp_pid={jar['lp_pid'].value}"
        first = await frames_until(ws, lambda fs: bool(of_type(fs, "state")))
        assert of_type(first, "state")[0]["question"]["id"] == "q1"
        await ws.send(json.dumps({"type": "vote", "question": "q1", "choices": ["o2"], "ref": "r1"}))
        await frames_until(ws, lambda fs: any(f["type"] == "ack" and f["ref"] == "r1" for f in fs))

        # The server restarts: the socket is closed as a restart (1012), which the pages retry at once.
        await asyncio.to_thread(server.restart, "term")
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT):
                while True:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code in (1001, 1012)

    # The reconnect: the cookie from the first handshake and nothing else; the first frames are the resync,
    # with the ballot this participant cast before the restart.
    async with open_phone(server, code, cookie) as ws:
        frames = await frames_until(ws, lambda fs: bool(of_type(fs, "state")) and bool(of_type(fs, "ballot")))
        assert of_type(frames, "state")[0]["question"]["id"] == "q1"
        mine = of_type(frames, "ballot")[0]
        assert mine["question"] == "q1" and mine["ballot"] == {"choices": ["o2"]}
        # Same participant: a new ballot replaces the one from before the restart.
        await ws.send(json.dumps({"type": "vote", "question": "q1", "choices": ["o3"], "ref": "r2"}))
        await frames_until(ws, lambda fs: any(f["type"] == "ack" and f["ref"] == "r2" for f in fs))
    assert await api.votes(code, _key) == ({"o1": 0, "o2": 0, "o3": 1}, 1)
