"""Bounded bodies and connections (B14 of shared/guides/reliability.md): a body over its route's
limit is refused before it is read, a stalled body or request head is cut off, huge uploads cost the
server no memory, a client leaving mid-upload is not a server error, and the largest valid session still
goes through. Raw sockets where httpx cannot say it (a head that never ends, a body that stops)."""

from __future__ import annotations

import asyncio
import json
import select
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field

import httpx
import psutil
import pytest
from support.server import ADMIN_TOKEN, LivepollClient, ServerProcess

# The server's defaults (livepoll/config.py): 64 KiB bodies, 5 s body pauses, 5 s request heads.
LIMIT = 64 * 1024
# The upload: 300 MB, three at once; the server may grow by at most this much meanwhile.
HUGE = 300 * 1000 * 1000
RSS_GROWTH_ALLOWED = 10 * 1024 * 1024
# A stalled body or head must be closed within 10 s; allow for a loaded machine, but not for "never".
CLOSE_BOUND = 15.0
NOT_INSTANT = 2.0


@pytest.fixture(scope="module")
def backend_name() -> str:
    """Bodies and connections are the web layer's; the embedded backend is enough."""
    return "embedded"


@dataclass
class Reply:
    """What came back on a raw connection before it closed (or the wait ended)."""

    raw: bytes = b""
    closed: bool = False
    elapsed: float = 0.0
    sent: int = 0
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def parse(self) -> Reply:
        head, _, self.body = self.raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if lines and lines[0].startswith("HTTP/1.1 "):
            self.status = int(lines[0].split()[1])
            for line in lines[1:]:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()
        return self

    def json(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.body)
        return data


def exchange(server: ServerProcess, head: bytes, pieces: Iterable[bytes] = (), limit: float = CLOSE_BOUND + 1,
             ) -> Reply:
    """On a fresh blocking socket: send `head`, then `pieces` one by one until the server answers, and read
    until it closes the connection (or `limit` s pass). Blocking sockets, unlike asyncio's, still read a reply
    that arrived before a reset. Run it in a thread."""
    reply = Reply()
    with socket.create_connection((server.host, server.port), timeout=limit) as sock:
        started = time.monotonic()
        try:
            sock.sendall(head)
            for piece in pieces:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server has answered (or closed): stop sending
                sock.sendall(piece)
                reply.sent += len(piece)
        except OSError:
            pass  # the server closed while we were sending
        while (left := started + limit - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionError:
                reply.closed = True
                break
            if not chunk:
                reply.closed = True
                break
            reply.raw += chunk
        reply.elapsed = time.monotonic() - started
    return reply.parse()


async def raw_exchange(server: ServerProcess, head: bytes, pieces: Iterable[bytes] = (),
                       limit: float = CLOSE_BOUND + 1) -> Reply:
    return await asyncio.to_thread(exchange, server, head, pieces, limit)


def chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def post_head(server: ServerProcess, path: str, cookie: str = "", **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {server.host}:{server.port}", "Content-Type: application/json"]
    if cookie:
        lines.append(f"Cookie: lp_pid={cookie}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Phone:
    code: str
    host_key: str
    cookie: str
    client: LivepollClient

    @property
    def votes_path(self) -> str:
        return f"/api/v1/sessions/{self.code}/votes"


@pytest.fixture
async def phone(api: LivepollClient) -> Phone:
    """A session and a participant cookie (free to get, as for anyone on the internet)."""
    code, host_key, _ = await api.create_session()
    client = api.participant()
    await client.join(code)
    cookie = client.cookies.get("lp_pid")
    assert cookie
    return Phone(code, host_key, cookie, client)


def assert_refused(reply: Reply, status: int, error: str) -> None:
    assert reply.status == status, reply.raw[:300]
    assert reply.json()["error"] == error
    assert isinstance(reply.json()["message"], str)
    assert reply.headers.get("connection") == "close"
    assert reply.closed, "the connection stayed open after the refusal"


# Size ------------------------------------------------------------------------------------------------------


async def test_declared_oversize_body_is_refused_before_it_is_sent(server: ServerProcess, phone: Phone) -> None:
    """B14: a ballot declaring 1 GB gets 413 at once, while not one byte of its body has been sent."""
    head = post_head(server, phone.votes_path, phone.cookie, Content_Length=str(10**9))
    reply = await raw_exchange(server, head, limit=10.0)
    assert_refused(reply, 413, "too_large")
    assert reply.elapsed < 10.0


async def test_streamed_body_is_cut_off_at_the_limit(server: ServerProcess, phone: Phone) -> None:
    """B14: a chunked ballot (no length declared) is refused with 413 as soon as it passes 64 KiB, long
    before the sender is done, and its first 64 KiB, a valid ballot, are not taken for the whole."""
    ballot = json.dumps({"question": "q1", "choices": ["o1"]}).encode()
    pieces = [ballot] + [b" " * 8192] * 4096  # a valid ballot padded with whitespace to 32 MiB
    head = post_head(server, phone.votes_path, phone.cookie, Transfer_Encoding="chunked")
    reply = await raw_exchange(server, head, chunked(pieces))
    assert_refused(reply, 413, "too_large")
    assert reply.sent < 32 * 8192 * 4096 // 4, f"the server let {reply.sent} bytes in before answering"
    assert await phone.client.votes(phone.code, phone.host_key) == ({"o1": 0, "o2": 0, "o3": 0}, 0)


async def test_body_of_a_request_answered_early(server: ServerProcess) -> None:
    """A request answered before its body is read (401: no participant cookie) has the rest of its body
    read and dropped, so the connection serves the next request; but a body that goes on past the limit
    is not read to its end: the answer closes the connection."""
    path = "/api/v1/sessions/12345678/votes"
    body = b" " * 50_000
    second = f"GET /healthz HTTP/1.1\r\nHost: {server.host}\r\nConnection: close\r\n\r\n".encode()
    reply = await raw_exchange(server, post_head(server, path, Content_Length=str(len(body))) + body + second)
    assert reply.status == 401, reply.raw[:300]
    assert reply.headers.get("connection") != "close"
    assert reply.raw.count(b"HTTP/1.1 ") == 2 and b"HTTP/1.1 200 OK" in reply.raw, reply.raw[-300:]

    endless = chunked([b" " * 8192] * 4096)
    reply = await raw_exchange(server, post_head(server, path, Transfer_Encoding="chunked"), endless)
    assert reply.status == 401, reply.raw[:300]
    assert reply.headers.get("connection") == "close" and reply.closed
    assert reply.sent < 32 * 8192 * 4096 // 4, f"the server read {reply.sent} bytes of a refused request"


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_three_huge_uploads_leave_memory_flat(make_server: Callable[..., ServerProcess]) -> None:
    """B14: three concurrent 300 MB ballots (two declaring their length, one chunked) are refused while the
    server's resident memory stays within 10 MB of idle."""
    server = make_server()
    process = psutil.Process(server.pid)
    async with LivepollClient(server) as api:
        code, _, _ = await api.create_session()
        client = api.participant()
        await client.join(code)
        for _ in range(5):  # warm up the paths the uploads take
            assert (await client.vote(code, "q1", ["o1"])).status_code == 200
            refused = await client.post(f"/api/v1/sessions/{code}/votes", content=b" " * (LIMIT + 1),
                                        headers={"Content-Type": "application/json"})
            assert refused.status_code >= 400
        idle = process.memory_info().rss
        peak = idle
        sent = [0, 0, 0]

        async def body(n: int) -> AsyncIterator[bytes]:
            chunk = b" " * 65536
            while sent[n] < HUGE:
                piece = chunk[: HUGE - sent[n]]
                yield piece
                sent[n] += len(piece)

        async def upload(n: int, declared: bool) -> str:
            headers = {"Content-Type": "application/json"}
            if declared:
                headers["Content-Length"] = str(HUGE)
            try:
                response = await client.post(f"/api/v1/sessions/{code}/votes", content=body(n), headers=headers)
            except httpx.TransportError as exc:  # cut off mid-send, before the reply could be read
                return type(exc).__name__
            return str(response.status_code)

        async def watch_memory() -> None:
            nonlocal peak
            while True:
                peak = max(peak, process.memory_info().rss)
                await asyncio.sleep(0.01)  # sampling period, not synchronisation

        watcher = asyncio.create_task(watch_memory())
        try:
            async with asyncio.timeout(180):
                outcomes = await asyncio.gather(upload(0, True), upload(1, True), upload(2, False))
        finally:
            watcher.cancel()
        peak = max(peak, process.memory_info().rss)
    assert peak - idle <= RSS_GROWTH_ALLOWED, f"server grew by {(peak - idle) / 2**20:.1f} MiB ({outcomes})"
    assert all(o in ("413", "WriteError", "ReadError", "RemoteProtocolError") for o in outcomes), outcomes
    assert all(n < HUGE // 10 for n in sent), f"the server read on: {sent} bytes sent ({outcomes})"


# Time ------------------------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_stalled_body_gets_408(server: ServerProcess, phone: Phone) -> None:
    """B14: a ballot that declares 10,000 bytes and stops after 1,000 gets 408 and a closed connection
    within 10 s (not at once: a pause is allowed), and counts nothing."""
    head = post_head(server, phone.votes_path, phone.cookie, Content_Length="10000")
    reply = await raw_exchange(server, head + b'{"question": "q1", ' + b" " * 980)
    assert reply.closed, f"still open after {reply.elapsed:.1f} s"
    assert NOT_INSTANT <= reply.elapsed <= CLOSE_BOUND, reply.elapsed
    assert_refused(reply, 408, "request_timeout")
    assert await phone.client.votes(phone.code, phone.host_key) == ({"o1": 0, "o2": 0, "o3": 0}, 0)


def wait_for_close(server: ServerProcess, trickle: bool) -> tuple[float, bool]:
    """Open a connection, send an unfinished head (one more byte every 0.5 s) or nothing; seconds until the
    server closed it, and whether it did within the bound."""
    with socket.create_connection((server.host, server.port), timeout=0.5) as sock:
        started = time.monotonic()
        try:
            if trickle:
                sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {server.host}\r\nX-Slow: ".encode())
            while time.monotonic() - started < CLOSE_BOUND + 1:
                if trickle:
                    sock.sendall(b"a")
                try:
                    if sock.recv(1) == b"":
                        return time.monotonic() - started, True
                except TimeoutError:
                    pass  # still open after 0.5 s: send the next byte
        except ConnectionError:
            return time.monotonic() - started, True
        return time.monotonic() - started, False


@pytest.mark.slow
@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "trickled-head"])
async def test_incomplete_request_head_is_closed(server: ServerProcess, trickle: bool) -> None:
    """B14 (slowloris): a connection whose request head never ends is closed within 10 s, whether it sends
    nothing at all or a header byte every half second."""
    elapsed, closed = await asyncio.to_thread(wait_for_close, server, trickle)
    assert closed, f"still open after {elapsed:.1f} s"
    assert NOT_INSTANT <= elapsed <= CLOSE_BOUND, elapsed


async def test_client_leaving_mid_upload_is_not_a_server_error(make_server: Callable[..., ServerProcess]) -> None:
    """B14: a phone that goes away halfway through sending its ballot leaves no ERROR and no traceback in the
    server log (it is the client's doing, noted at debug level)."""
    server = make_server(args=["--log-level", "debug"])
    async with LivepollClient(server) as api:
        code, _, _ = await api.create_session()
        client = api.participant()
        await client.join(code)
        cookie = client.cookies.get("lp_pid")
        assert cookie
    path = f"/api/v1/sessions/{code}/votes"
    for streamed in (False, True):
        headers = {"Transfer_Encoding": "chunked"} if streamed else {"Content_Length": "10000"}
        body = b"3e8\r\n" + b" " * 1000 + b"\r\n" if streamed else b" " * 1000
        _, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(post_head(server, path, cookie, **headers) + body)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    deadline = time.monotonic() + 15.0
    while server.log_text().count("client left during a request body") < 2:
        if "Traceback" in server.log_text() or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)  # polling the log for a condition, with a deadline
    log = server.log_text()
    assert "ERROR" not in log and "Traceback" not in log, log[-3000:]
    assert log.count("client left during a request body") == 2, log[-3000:]


# What must still work ---------------------------------------------------------------------------------------


def largest_session() -> dict[str, object]:
    """100 questions of 30 options, every text at its longest, in Ukrainian (2 bytes a letter in UTF-8)."""
    from livepoll.model import MAX_QUESTIONS, MAX_TITLE_CHARS
    from livepoll.questions import MAX_OPTION_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS

    def text(prefix: str, length: int) -> str:
        return (prefix + " " + "Чи підтримуєте ви це рішення? " * length)[:length]

    return {
        "title": text("Опитування", MAX_TITLE_CHARS),
        "questions": [
            {"text": text(f"П{q}", MAX_QUESTION_CHARS),
             "options": [text(f"В{q}.{o}", MAX_OPTION_CHARS) for o in range(MAX_OPTIONS)]}
            for q in range(MAX_QUESTIONS)
        ],
    }


@pytest.mark.slow
async def test_largest_session_is_created_through_api_and_form(api: LivepollClient, server: ServerProcess) -> None:
    """The largest valid session (100 questions x 30 options, every text at its longest, in Cyrillic) is
    created through the JSON API (~1.2 MB) and the host's create form (~3.3 MB URL-encoded)."""
    session = largest_session()
    questions: list[dict[str, object]] = session["questions"]  # type: ignore[assignment]
    assert len(json.dumps(session, ensure_ascii=False).encode()) > 1_000_000
    response = await api.post("/api/v1/sessions", json=session, headers=api.admin_headers())
    assert response.status_code == 201, response.text[:300]
    created = response.json()
    assert len(created["questions"]) == 100 and {len(q["options"]) for q in created["questions"]} == {30}

    browser = api.participant()
    login = await browser.post("/host", data={"token": ADMIN_TOKEN}, headers={"Origin": server.origin})
    assert login.status_code == 303, login.text
    form = {"count": str(len(questions)), "op": "create", "title": session["title"]}
    for n, question in enumerate(questions, start=1):
        form[f"q{n}_text"] = question["text"]
        form[f"q{n}_options"] = "\n".join(question["options"])  # type: ignore[arg-type]
        form[f"q{n}_max_choices"] = "1"
    response = await browser.post("/host/sessions", data=form, headers={"Origin": server.origin})
    assert int(response.request.headers["content-length"]) > 3_000_000
    assert response.status_code == 303, response.text[:500]
    code = response.headers["location"].rsplit("/", 1)[1]
    joined = await api.participant().join(code)
    assert joined["question"]["text"] == questions[0]["text"]  # type: ignore[index]
