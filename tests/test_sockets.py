"""Participant and presenter WebSockets against a real uvicorn on loopback (the `websockets` client), on both
backends: message shapes, coalescing, close codes, origin checks, limits, presence, and slow consumers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect as connect_sync

# Bounded waits: an expected frame comes within WAIT; "nothing happened" is checked over QUIET.
WAIT = 5.0
QUIET = 0.4
BURST = 300
# Coalescing promise: at most ~10 presenter messages per second. Ticks start >= 0.1 s apart on the server,
# but this client counts arrivals, and on a busy 2-core machine frames delayed in transit or in the reading
# thread arrive bunched; so the busiest second may show a few extra. The overall rate (below) stays <= 10/s,
# and without coalescing this burst would send ~300.
MAX_PER_SECOND = 15

Frame = dict[str, Any]


# Helpers ----------------------------------------------------------------------------------------------------


def presenter_url(server: ServerProcess, code: str, key: str | None = None) -> str:
    path = f"/ws/v1/sessions/{code}/presenter"
    return server.ws_url(path + (f"?key={key}" if key is not None else ""))


def participant_url(server: ServerProcess, code: str) -> str:
    return server.ws_url(f"/ws/v1/sessions/{code}")


def open_ws(url: str, *, origin: str | None = None, cookie: str | None = None, **kwargs: Any) -> Any:
    """A `websockets` client connection: no proxy, no compression, bounded handshake and close."""
    headers = {"Cookie": cookie} if cookie else None
    return connect(
        url, origin=origin, additional_headers=headers, proxy=None, compression=None, open_timeout=WAIT,
        close_timeout=2, **kwargs,
    )


async def recv(ws: ClientConnection, within: float = WAIT) -> Frame:
    raw = await asyncio.wait_for(ws.recv(), within)
    assert isinstance(raw, str), f"expected a text frame, got {raw!r}"
    frame: Frame = json.loads(raw)
    return frame


async def recv_until(ws: ClientConnection, predicate: Callable[[Frame], bool], within: float = WAIT) -> Frame:
    """The first frame that satisfies `predicate`, within `within` seconds (frames before it are skipped)."""
    deadline = time.monotonic() + within
    seen: list[Frame] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no matching frame within {within} s; last frames: {seen[-3:]}")
        try:
            frame = await recv(ws, remaining)
        except TimeoutError:
            continue
        if predicate(frame):
            return frame
        seen.append(frame)


async def expect_close(ws: ClientConnection, code: int, within: float = WAIT) -> list[Frame]:
    """Read until the server closes the connection with `code`; returns the frames read before."""
    frames: list[Frame] = []
    try:
        async with asyncio.timeout(within):
            while True:
                raw = await ws.recv()
                frames.append(json.loads(raw) if isinstance(raw, str) else {"binary": raw})
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, f"closed without a close frame ({exc!r})"
        assert exc.rcvd.code == code, f"expected close {code}, got {exc.rcvd.code} {exc.rcvd.reason!r}"
        return frames
    except TimeoutError:
        raise AssertionError(f"the server did not close with {code} within {within} s; got {frames[-3:]}") from None


async def expect_quiet(ws: ClientConnection, within: float = QUIET) -> None:
    """Nothing arrives within a short bounded wait."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            frame = await ws.recv()
        raise AssertionError(f"expected no frame, got {frame!r}")


def votes_of(frame: Frame) -> dict[str, int]:
    return {o["id"]: o["votes"] for o in frame["question"]["options"]}


async def cookie_for(api: LivepollClient, code: str) -> tuple[LivepollClient, str]:
    """A participant (HTTP client) and its cookie header, so the same participant can use the socket."""
    phone = api.participant()
    response = await phone.get(f"/api/v1/sessions/{code}")
    assert response.status_code == 200
    return phone, f"lp_pid={response.cookies['lp_pid']}"


@contextlib.asynccontextmanager
async def presenter(server: ServerProcess, code: str, key: str) -> AsyncIterator[tuple[ClientConnection, Frame]]:
    """A connected presenter and the full `results` message it got on connect."""
    async with open_ws(presenter_url(server, code, key)) as ws:
        first = await recv(ws)
        yield ws, first


# Presenter ---------------------------------------------------------------------------------------------------


async def test_presenter_gets_full_results_on_connect(api: LivepollClient, server: ServerProcess) -> None:
    """On connect the presenter gets one complete `results` message with the tally so far."""
    code, key, body = await api.create_session(options=["miasto", "NGO", "media"], max_choices=2)
    for choices in (["o1"], ["o1", "o3"]):
        phone = api.participant()
        await phone.join(code)
        assert (await phone.vote(code, "q1", choices)).status_code == 200
    async with presenter(server, code, key) as (_, first):
        assert first["type"] == "results"
        assert isinstance(first["seq"], int)
        q = first["question"]
        assert q["id"] == "q1" and q["text"] == body["questions"][0]["text"]  # type: ignore[index]
        assert q["options"] == [
            {"id": "o1", "label": "miasto", "votes": 2},
            {"id": "o2", "label": "NGO", "votes": 0},
            {"id": "o3", "label": "media", "votes": 1},
        ]
        assert first["voters"] == 2
        assert first["voting_open"] is True and first["results_visible"] is True
        assert first["participants"] == 0


async def test_presenter_gets_updates_with_growing_seq(api: LivepollClient, server: ServerProcess) -> None:
    """Every ballot and host action reaches the presenter as a new `results` message; `seq` only grows."""
    code, key, _ = await api.create_session(options=["a", "b"])
    async with presenter(server, code, key) as (ws, first):
        seqs = [first["seq"]]
        for n in range(1, 4):
            phone = api.participant()
            await phone.join(code)
            assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
            frame = await recv_until(ws, lambda f, n=n: f["voters"] == n)
            assert votes_of(frame) == {"o1": n, "o2": 0}
            seqs.append(frame["seq"])
        assert (await api.control(code, key, "close")).status_code == 200
        frame = await recv_until(ws, lambda f: f["voting_open"] is False)
        seqs.append(frame["seq"])
        assert (await api.control(code, key, "hide_results")).status_code == 200
        frame = await recv_until(ws, lambda f: f["results_visible"] is False)
        seqs.append(frame["seq"])
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
        await expect_quiet(ws)


async def test_presenter_follows_goto_to_the_new_question(api: LivepollClient, server: ServerProcess) -> None:
    """After `goto` the presenter shows the new question with its own tally."""
    questions = [
        {"kind": "choice", "text": "Pierwsze", "options": ["a", "b"]},
        {"kind": "choice", "text": "Drugie", "options": ["x", "y", "z"]},
    ]
    code, key, _ = await api.create_session(questions=questions)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200
    async with presenter(server, code, key) as (ws, first):
        assert first["voters"] == 1
        assert (await api.control(code, key, "goto", "q2")).status_code == 200
        frame = await recv_until(ws, lambda f: f["question"]["id"] == "q2")
        assert frame["question"]["text"] == "Drugie" and frame["voters"] == 0
        assert votes_of(frame) == {"o1": 0, "o2": 0, "o3": 0}
        assert frame["seq"] > first["seq"]


def _read_presenter_in_thread(url: str, ready: threading.Event, until_voters: int) -> tuple[list[float], Frame]:
    """Read a presenter socket in this (worker) thread until a message shows `until_voters` voters; returns
    the arrival time of every message after the first, and the last one. A thread of its own keeps the
    timestamps honest while the test's event loop is busy sending the burst."""
    arrivals: list[float] = []
    with connect_sync(url, proxy=None, compression=None, open_timeout=WAIT, close_timeout=2) as ws:
        json.loads(ws.recv(timeout=WAIT))
        ready.set()
        while True:
            frame: Frame = json.loads(ws.recv(timeout=30))
            arrivals.append(time.monotonic())
            if frame["voters"] >= until_voters:
                return arrivals, frame


async def test_burst_of_ballots_is_coalesced_to_at_most_10_messages_per_second(
    api: LivepollClient, server: ServerProcess
) -> None:
    """L1: 300 ballots in a burst give at most ~10 presenter messages per second (counted over the burst), and
    the last message has the exact totals."""
    code, key, _ = await api.create_session(options=["a", "b", "c"])
    phones = [api.participant() for _ in range(BURST)]
    await asyncio.gather(*(p.join(code) for p in phones))
    choices = [f"o{n % 3 + 1}" for n in range(BURST)]
    ready = threading.Event()
    reader = asyncio.create_task(
        asyncio.to_thread(_read_presenter_in_thread, presenter_url(server, code, key), ready, BURST)
    )
    assert await asyncio.to_thread(ready.wait, WAIT), "the presenter got no first message"
    started = time.monotonic()
    responses = await asyncio.gather(*(p.vote(code, "q1", [c]) for p, c in zip(phones, choices, strict=True)))
    assert [r.status_code for r in responses] == [200] * BURST
    arrivals, final = await asyncio.wait_for(reader, 30)
    duration = time.monotonic() - started
    assert votes_of(final) == {"o1": 100, "o2": 100, "o3": 100}
    busiest = max(sum(1 for t in arrivals if a <= t < a + 1.0) for a in arrivals)
    assert len(arrivals) <= 10 * duration + 2, (len(arrivals), duration)
    assert busiest <= MAX_PER_SECOND, (busiest, len(arrivals), duration)
    # The presenter is quiet once everything is shown.
    async with presenter(server, code, key) as (ws, first):
        assert first["voters"] == BURST
        await expect_quiet(ws)


async def test_wrong_host_key_closes_with_4403(api: LivepollClient, server: ServerProcess) -> None:
    """A presenter with no key, a wrong key or another session's key is closed with 4403."""
    code, key, _ = await api.create_session()
    _, other_key, _ = await api.create_session()
    for wrong in (None, "wrong", other_key, key + "x"):
        async with open_ws(presenter_url(server, code, wrong)) as ws:
            frames = await expect_close(ws, 4403)
            assert frames == [], wrong


async def test_unknown_session_closes_participants_with_4404_and_presenters_with_4403(
    api: LivepollClient, server: ServerProcess
) -> None:
    """A participant socket for a code with no session is closed with 4404; a presenter socket with a key
    to it with 4403, exactly as a wrong key to an existing session (a key tells nothing about codes)."""
    _, key, _ = await api.create_session()
    async with open_ws(participant_url(server, "01234567")) as ws:
        assert await expect_close(ws, 4404) == []
    async with open_ws(presenter_url(server, "01234567", key)) as ws:
        assert await expect_close(ws, 4403) == []


@pytest.mark.parametrize("which", ["presenter", "participant"])
async def test_foreign_origin_is_refused_before_accept(api: LivepollClient, server: ServerProcess, which: str) -> None:
    """B6: a handshake whose Origin is another site (also a look-alike suffix) is answered HTTP 403, never
    upgraded; the server's own origin is accepted."""
    code, key, _ = await api.create_session()
    url = presenter_url(server, code, key) if which == "presenter" else participant_url(server, code)
    for origin in ("https://evil.example", f"{server.origin}.evil.io", "null", f"http://localhost:{server.port}"):
        with pytest.raises(InvalidStatus) as refused:
            async with open_ws(url, origin=origin):
                pass
        assert refused.value.response.status_code == 403, origin
    async with open_ws(url, origin=server.origin) as ws:
        assert (await recv(ws))["type"] in ("results", "state")


async def test_host_cookie_without_origin_is_not_enough_for_the_presenter(
    api: LivepollClient, server: ServerProcess
) -> None:
    """A non-browser handshake (no Origin) carrying only the host cookie is closed 4403: it needs the key
    itself. The same cookie from the server's own origin (a browser on our page) is accepted."""
    code, key, _ = await api.create_session()
    cookie = f"lp_host_{code}={key}"
    async with open_ws(presenter_url(server, code), cookie=cookie) as ws:
        assert await expect_close(ws, 4403) == []
    async with open_ws(presenter_url(server, code), cookie=cookie, origin=server.origin) as ws:
        assert (await recv(ws))["type"] == "results"
    # The key itself works without Origin.
    async with open_ws(presenter_url(server, code, key)) as ws:
        assert (await recv(ws))["type"] == "results"


async def test_presenter_participant_count_follows_connections(api: LivepollClient, server: ServerProcess) -> None:
    """`participants` goes up as participant sockets connect and down as they leave."""
    code, key, _ = await api.create_session()
    async with presenter(server, code, key) as (ws, first):
        assert first["participants"] == 0
        async with contextlib.AsyncExitStack() as stack:
            phones = [await stack.enter_async_context(open_ws(participant_url(server, code))) for _ in range(3)]
            for phone in phones:
                assert (await recv(phone))["type"] == "state"
            await recv_until(ws, lambda f: f["participants"] == 3)
            await phones[0].close()
            await phones[1].close()
            await recv_until(ws, lambda f: f["participants"] == 1)
        await recv_until(ws, lambda f: f["participants"] == 0)


async def test_deleted_session_closes_its_viewers_with_4410(api: LivepollClient, server: ServerProcess) -> None:
    """P4: DELETE of a session closes its presenter and participant sockets with 4410, and only its own."""
    code, key, _ = await api.create_session()
    other, other_key, _ = await api.create_session()
    async with (
        open_ws(presenter_url(server, code, key)) as screen,
        open_ws(participant_url(server, code)) as phone,
        open_ws(presenter_url(server, other, other_key)) as bystander,
    ):
        await recv(screen)
        await recv(phone)
        await recv(bystander)
        response = await api.delete(f"/api/v1/sessions/{code}", headers=api.host_headers(key))
        assert response.status_code == 204
        await expect_close(screen, 4410)
        await expect_close(phone, 4410)
        p = api.participant()
        await p.join(other)
        assert (await p.vote(other, "q1", ["o1"])).status_code == 200
        assert (await recv_until(bystander, lambda f: f["voters"] == 1))["type"] == "results"


async def test_slow_presenter_does_not_hold_back_another(api: LivepollClient, server: ServerProcess) -> None:
    """L3: a presenter that stops reading (a tiny receive buffer, never read) does not delay another
    presenter, which keeps getting each update; the server stays responsive."""
    labels = [f"{n:02d} " + "współpraca z lokalnymi organizacjami pozarządowymi " * 4 for n in range(30)]
    code, key, _ = await api.create_session(options=[label[:200] for label in labels])
    stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A tiny receive window and a tiny MSS: otherwise loopback's 64 KiB segments make the server's kernel
    # send buffer megabytes large, and it would take minutes of updates to fill.
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    stalled.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    stalled.settimeout(WAIT)
    try:
        stalled.connect((server.host, server.port))
        stalled.sendall(
            (
                f"GET /ws/v1/sessions/{code}/presenter?key={key} HTTP/1.1\r\n"
                f"Host: {server.host}:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        assert stalled.recv(12, socket.MSG_PEEK) == b"HTTP/1.1 101"
        # From here on the stalled presenter reads nothing.
        async with presenter(server, code, key) as (ws, _):
            phones = [api.participant() for _ in range(40)]
            await asyncio.gather(*(p.join(code) for p in phones))
            lags = []
            for n, phone in enumerate(phones, start=1):
                assert (await phone.vote(code, "q1", [f"o{n % 30 + 1}"])).status_code == 200
                sent = time.monotonic()
                await recv_until(ws, lambda f, n=n: f["voters"] >= n)
                lags.append(time.monotonic() - sent)
            lags.sort()
            # Held back, the other presenter would wait for ever (or for a send timeout); ticks are 0.1 s apart,
            # and the rest is headroom for a loaded 2-core machine (strict latency is `livepoll bench`'s).
            assert lags[len(lags) // 2] < 1.0, lags
            started = time.monotonic()
            assert (await api.get("/healthz")).status_code == 200
            assert time.monotonic() - started < 1.0
        # When the stalled presenter reads again it catches up to the newest state (latest-wins outbox),
        # having missed the frames that were replaced while it was stuck: no backlog was kept for it.
        frames = await asyncio.to_thread(_drain_raw_frames, stalled, len(phones))
        assert frames[-1]["voters"] == len(phones)
        print(f"stalled presenter caught up with {len(frames)} frames for {len(phones)} updates")
        assert len(frames) < len(phones), len(frames)
    finally:
        stalled.close()


def _drain_raw_frames(sock: socket.socket, voters: int) -> list[Frame]:
    """Read unmasked server text frames from a raw socket until one shows `voters` voters."""
    buffer = b""
    frames: list[Frame] = []
    deadline = time.monotonic() + 10
    # Skip the rest of the HTTP 101 response.
    while b"\r\n\r\n" not in buffer:
        buffer += sock.recv(65536)
    buffer = buffer.split(b"\r\n\r\n", 1)[1]
    while time.monotonic() < deadline:
        while len(buffer) >= 2:
            length, offset = buffer[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < offset + length:
                break
            assert buffer[0] == 0x81, f"expected a final text frame, got opcode byte {buffer[0]:#x}"
            frames.append(json.loads(buffer[offset : offset + length]))
            buffer = buffer[offset + length :]
            if frames[-1]["voters"] == voters:
                return frames
        buffer += sock.recv(65536)
    raise AssertionError(f"the stalled presenter never caught up; got {len(frames)} frames")


# Participant -------------------------------------------------------------------------------------------------


async def test_participant_gets_state_on_connect_and_every_change(api: LivepollClient, server: ServerProcess) -> None:
    """A participant gets `state` (public question, voting_open) on connect, and again on goto/close/open."""
    questions = [
        {"kind": "choice", "text": "Pierwsze", "options": ["a", "b"]},
        {"kind": "choice", "text": "Drugie", "options": ["x", "y", "z"], "max_choices": 2},
    ]
    code, key, body = await api.create_session(questions=questions)
    public_q1, public_q2 = body["questions"]  # type: ignore[misc]
    async with open_ws(participant_url(server, code)) as ws:
        assert ws.response is not None
        assert any("lp_pid=" in value for value in ws.response.headers.get_all("set-cookie"))
        state = await recv(ws)
        assert state["type"] == "state" and state["voting_open"] is True
        assert state["question"] == public_q1
        assert (await api.control(code, key, "close")).status_code == 200
        state = await recv_until(ws, lambda f: f["type"] == "state" and f["voting_open"] is False)
        assert state["type"] == "state" and state["question"] == public_q1
        assert (await api.control(code, key, "open")).status_code == 200
        state = await recv_until(ws, lambda f: f["type"] == "state" and f["voting_open"] is True)
        assert (await api.control(code, key, "goto", "q2")).status_code == 200
        state = await recv_until(ws, lambda f: f["type"] == "state" and f["question"]["id"] == "q2")
        assert state["type"] == "state" and state["question"] == public_q2 and state["voting_open"] is True


async def test_participant_vote_is_acknowledged_with_its_ref(api: LivepollClient, server: ServerProcess) -> None:
    """A `vote` message is answered by `ack` carrying the same `ref`; it counts, and it is the same voter as
    the participant's HTTP cookie (a change over the socket replaces the HTTP ballot)."""
    code, key, _ = await api.create_session(options=["a", "b", "c"])
    phone, cookie = await cookie_for(api, code)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    async with open_ws(participant_url(server, code), cookie=cookie) as ws:
        await recv(ws)
        await ws.send(json.dumps({"type": "vote", "question": "q1", "choices": ["o2"], "ref": "r-1"}))
        ack = await recv_until(ws, lambda f: f["type"] in ("ack", "error"))
        assert ack == {"type": "ack", "ref": "r-1"}
        assert await api.votes(code, key) == ({"o1": 0, "o2": 1, "o3": 0}, 1)
        # Re-sending the same ballot with the same ref is acknowledged again and changes nothing.
        await ws.send(json.dumps({"type": "vote", "question": "q1", "choices": ["o2"], "ref": "r-1"}))
        assert await recv_until(ws, lambda f: f["type"] in ("ack", "error")) == {"type": "ack", "ref": "r-1"}
        assert await api.votes(code, key) == ({"o1": 0, "o2": 1, "o3": 0}, 1)


async def test_refused_vote_gets_an_error_frame_with_its_ref(api: LivepollClient, server: ServerProcess) -> None:
    """Refused ballots get `error` frames with the same `ref` and the API's error codes; nothing counts."""
    questions = [
        {"kind": "choice", "text": "Q1", "options": ["a", "b"], "allow_change": False},
        {"kind": "choice", "text": "Q2", "options": ["x", "y"]},
    ]
    code, key, _ = await api.create_session(questions=questions)
    async with open_ws(participant_url(server, code)) as ws:
        await recv(ws)

        async def vote(ref: str, question: str, choices: list[str]) -> Frame:
            await ws.send(json.dumps({"type": "vote", "question": question, "choices": choices, "ref": ref}))
            return await recv_until(ws, lambda f: f["type"] in ("ack", "error"))

        for ref, question, choices, error in [
            ("a", "q1", ["o9"], "unknown_option"),
            ("b", "q1", ["o1", "o1"], "duplicate_option"),
            ("c", "q1", ["o1", "o2"], "too_many_choices"),
            ("d", "q2", ["o1"], "not_current"),
            ("e", "q9", ["o1"], "unknown_question"),
        ]:
            frame = await vote(ref, question, choices)
            assert frame["type"] == "error" and frame["ref"] == ref and frame["error"] == error, frame
            assert isinstance(frame["message"], str) and frame["message"]
        assert await api.votes(code, key) == ({"o1": 0, "o2": 0}, 0)
        assert await vote("f", "q1", ["o1"]) == {"type": "ack", "ref": "f"}
        frame = await vote("g", "q1", ["o2"])
        assert (frame["type"], frame["ref"], frame["error"]) == ("error", "g", "change_not_allowed")
        assert (await api.control(code, key, "close")).status_code == 200
        await recv_until(ws, lambda f: f["type"] == "state" and f["voting_open"] is False)
        frame = await vote("h", "q1", ["o2"])
        assert (frame["type"], frame["ref"], frame["error"]) == ("error", "h", "voting_closed")
        # The counted ballot sent again (its ack lost) is acknowledged, also after the close.
        assert await vote("i", "q1", ["o1"]) == {"type": "ack", "ref": "i"}
        assert await api.votes(code, key) == ({"o1": 1, "o2": 0}, 1)


MALFORMED = [
    ("not-json", "{vote"),
    ("json-string", '"vote"'),
    ("json-array", '[{"type": "vote"}]'),
    ("unknown-type", '{"type": "control", "action": "close", "ref": "m"}'),
    ("missing-choices", '{"type": "vote", "question": "q1", "ref": "m"}'),
    ("choices-number", '{"type": "vote", "question": "q1", "choices": 1, "ref": "m"}'),
    ("question-number", '{"type": "vote", "question": 1, "choices": ["o1"], "ref": "m"}'),
    ("extra-key", '{"type": "vote", "question": "q1", "choices": ["o1"], "ref": "m", "weight": 9}'),
    ("huge-number", '{"type": "vote", "question": "q1", "choices": ["o1"], "ref": 1' + "0" * 5000 + "}"),
    ("deep-nesting", "[" * 5000 + "]" * 5000),
]


async def test_malformed_messages_get_an_error_frame_and_change_nothing(
    api: LivepollClient, server: ServerProcess
) -> None:
    """B2/B7: malformed JSON, wrong types, unknown types (incl. host actions), huge numbers and deep nesting
    each get an `error` frame; state and tally are unchanged and the connection still works."""
    questions = [
        {"kind": "choice", "text": "Q1", "options": ["a", "b"]},
        {"kind": "choice", "text": "Q2", "options": ["x", "y"]},
    ]
    code, key, _ = await api.create_session(questions=questions)
    refused = json.dumps({"type": "vote", "question": "q2", "choices": ["o1"], "ref": "n"})
    async with open_ws(participant_url(server, code)) as ws:
        await recv(ws)
        for n, (name, text) in enumerate(MALFORMED):
            if n == len(MALFORMED) // 2:
                await asyncio.sleep(1.05)  # stay under the per-second message limit
            await ws.send(text)
            frame = await recv_until(ws, lambda f: f["type"] in ("ack", "error"))
            assert frame["type"] == "error", (name, frame)
            assert isinstance(frame["error"], str) and isinstance(frame["message"], str), name
            assert frame["ref"] in ("", "m"), (name, frame)
            assert len(frame["message"]) < 1000, name  # the payload is not echoed back
            # A well-formed (if refused) ballot in between keeps the violations from being consecutive.
            await ws.send(refused)
            assert (await recv_until(ws, lambda f: f["type"] in ("ack", "error")))["error"] == "not_current"
        state = await live_state(api, code, key)
        assert state["voting_open"] is True and state["current"] == "q1"
        assert await api.votes(code, key) == ({"o1": 0, "o2": 0}, 0)
        await ws.send(json.dumps({"type": "vote", "question": "q1", "choices": ["o1"], "ref": "ok"}))
        assert await recv_until(ws, lambda f: f["type"] in ("ack", "error")) == {"type": "ack", "ref": "ok"}


async def live_state(api: LivepollClient, code: str, key: str) -> dict[str, Any]:
    state: dict[str, Any] = (await api.results(code, key))["state"]  # type: ignore[assignment]
    return state


async def test_repeated_violations_close_with_1008(api: LivepollClient, server: ServerProcess) -> None:
    """B2: ten malformed messages in a row get error frames and then a close with 1008."""
    code, key, _ = await api.create_session()
    async with open_ws(participant_url(server, code)) as ws:
        await recv(ws)
        for _ in range(10):
            await ws.send("not json")
        frames = await expect_close(ws, 1008)
        assert [f["type"] for f in frames if f["type"] not in ("state", "ballot")] == ["error"] * 10
    assert await api.votes(code, key) == ({"o1": 0, "o2": 0, "o3": 0}, 0)


async def test_valid_message_resets_the_violation_count(api: LivepollClient, server: ServerProcess) -> None:
    """B2: violations only close the socket when consecutive: nine bad, one good, nine bad stays open."""
    code, _, _ = await api.create_session()
    async with open_ws(participant_url(server, code)) as ws:
        await recv(ws)
        for batch in range(2):
            for _ in range(9):
                await ws.send("not json")
                assert (await recv_until(ws, lambda f: f["type"] in ("ack", "error")))["type"] == "error"
            if batch == 0:
                await ws.send(json.dumps({"type": "vote", "question": "q1", "choices": ["o1"], "ref": "x"}))
                assert (await recv_until(ws, lambda f: f["type"] in ("ack", "error")))["type"] == "ack"
            await asyncio.sleep(1.05)  # stay under the per-second message limit
        await ws.send(json.dumps({"type": "vote", "question": "q1", "choices": ["o1"], "ref": "y"}))
        assert await recv_until(ws, lambda f: f["type"] in ("ack", "error")) == {"type": "ack", "ref": "y"}


async def test_message_flood_closes_with_1008(api: LivepollClient, server: ServerProcess) -> None:
    """L4: a participant sending far more than a person could (50 ballots at once) is closed with 1008."""
    code, key, _ = await api.create_session()
    async with open_ws(participant_url(server, code)) as ws:
        await recv(ws)
        message = json.dumps({"type": "vote", "question": "q1", "choices": ["o1"], "ref": "f"})
        for _ in range(50):
            await ws.send(message)
        await expect_close(ws, 1008)
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 0}, 1)


async def test_binary_frame_closes_with_1003(api: LivepollClient, server: ServerProcess) -> None:
    """B3: a binary frame on the text protocol closes the socket with 1003."""
    code, _, _ = await api.create_session()
    async with open_ws(participant_url(server, code)) as ws:
        await recv(ws)
        await ws.send(b'{"type": "vote"}')
        await expect_close(ws, 1003)


async def test_oversized_frame_closes_with_1009_and_others_are_unaffected(
    api: LivepollClient, server: ServerProcess
) -> None:
    """B1: a frame of 64 KiB + 1 closes that socket with 1009; another participant and the presenter on
    the same session keep working."""
    code, key, _ = await api.create_session(options=["a", "b"])
    async with (
        open_ws(participant_url(server, code)) as big,
        open_ws(participant_url(server, code)) as other,
        presenter(server, code, key) as (screen, _),
    ):
        await recv(big)
        await recv(other)
        padding = "x" * (64 * 1024 + 1 - len('{"type":"vote","question":"q1","choices":["o1"],"ref":""}'))
        oversized = json.dumps({"type": "vote", "question": "q1", "choices": ["o1"], "ref": padding},
                               separators=(",", ":"))
        assert len(oversized.encode()) == 64 * 1024 + 1
        await big.send(oversized)
        await expect_close(big, 1009)
        await other.send(json.dumps({"type": "vote", "question": "q1", "choices": ["o2"], "ref": "ok"}))
        assert await recv_until(other, lambda f: f["type"] in ("ack", "error")) == {"type": "ack", "ref": "ok"}
        frame = await recv_until(screen, lambda f: f["voters"] == 1)
        assert votes_of(frame) == {"o1": 0, "o2": 1}
    assert await api.votes(code, key) == ({"o1": 0, "o2": 1}, 1)


async def test_frame_of_exactly_64_kib_is_accepted(api: LivepollClient, server: ServerProcess) -> None:
    """B1: the limit is 64 KiB: a frame of exactly that size is read and answered (here: an error frame for its
    over-long ref), not closed."""
    code, _, _ = await api.create_session()
    async with open_ws(participant_url(server, code)) as ws:
        await recv(ws)
        head, tail = '{"type":"vote","question":"q1","choices":["o1"],"ref":"', '"}'
        text = head + "x" * (64 * 1024 - len(head) - len(tail)) + tail
        assert len(text.encode()) == 64 * 1024
        await ws.send(text)
        frame = await recv_until(ws, lambda f: f["type"] in ("ack", "error"))
        assert frame["type"] == "error"
