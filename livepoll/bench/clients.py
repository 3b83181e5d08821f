"""Lean load-generator clients: a WebSocket client protocol and a keep-alive HTTP/1.1 pool.

Both are written on asyncio's Protocol/stream layer (uvloop when available) instead of a full client
library, so that one generator process holds thousands of sockets with no task per connection: frames are
parsed in `data_received` and handed to a callback. The generator shares the machine's cores with the
server it measures, so every microsecond it saves is one the server gets.

What the WebSocket client does (RFC 6455, client side): the opening handshake with Sec-WebSocket-Key and
a checked Sec-WebSocket-Accept, masked frames out (random 32-bit mask per frame), unmasked frames in,
answers pings with pongs, answers a close frame and records its code. No extensions (per-message deflate
is never offered, as the server runs it off).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import socket
import struct
import time
from collections.abc import Callable
from typing import cast

try:  # the C routine the `websockets` wheels ship (websockets is a livepoll dependency)
    from websockets.speedups import apply_mask as _apply_mask
except ImportError:  # pragma: no cover
    from websockets.utils import apply_mask as _apply_mask


GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
TCP_CLOSE_WAIT = 8  # linux/tcp_states.h: the peer sent FIN (we have not read it yet)
MAX_FRAME = 1 << 20

TextHandler = Callable[["WsClient", str], None]
CloseHandler = Callable[["WsClient"], None]


class HandshakeError(Exception):
    pass


def _frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0xFE, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0xFF, n)
    mask = random.getrandbits(32).to_bytes(4, "big")
    return head + mask + _apply_mask(payload, mask)


class WsClient(asyncio.Protocol):
    """One WebSocket connection. `opened` resolves after the 101 response; text frames go to `on_text`."""

    __slots__ = (
        "_buf", "_fragments", "_key", "close_code", "closed", "closed_at", "cookie", "data",
        "on_close", "on_text", "opened", "paused", "request", "set_cookie", "transport",
    )

    def __init__(self, request: bytes, key: bytes, on_text: TextHandler, on_close: CloseHandler) -> None:
        self.request = request
        self._key = key
        self.on_text = on_text
        self.on_close = on_close
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._fragments: list[bytes] | None = None
        self.closed = False
        self.closed_at = 0.0
        self.close_code: int | None = None
        self.paused = False
        self.set_cookie: str | None = None
        self.cookie: str | None = None
        self.data: object = None  # owner's per-connection record

    # asyncio callbacks -----------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self.opened.done():
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buf) > 16384:
                    self._fail(HandshakeError("handshake response too large"))
                return
            head = bytes(self._buf[:end]).decode("latin-1")
            del self._buf[: end + 4]
            if not self._check_handshake(head):
                return
        self._parse_frames()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.closed_at = time.monotonic()
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"connection lost during handshake: {exc}"))
        self.on_close(self)

    # handshake -------------------------------------------------------------------------------------------

    def _check_handshake(self, head: str) -> bool:
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or parts[1] != "101":
            self._fail(HandshakeError(f"handshake refused: {lines[0]!r}"))
            return False
        accept = ""
        for line in lines[1:]:
            name, _, value = line.partition(":")
            lname = name.strip().lower()
            if lname == "sec-websocket-accept":
                accept = value.strip()
            elif lname == "set-cookie":
                self.set_cookie = merge_cookies(self.set_cookie, value)
        expected = base64.b64encode(hashlib.sha1(self._key + GUID).digest()).decode()
        if accept != expected:
            self._fail(HandshakeError("bad Sec-WebSocket-Accept"))
            return False
        self.opened.set_result(None)
        return True

    def _fail(self, exc: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    # frames ----------------------------------------------------------------------------------------------

    def _parse_frames(self) -> None:
        buf = self._buf
        pos = 0
        end = len(buf)
        while end - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            at = pos + 2
            if length == 126:
                if end - at < 2:
                    break
                length = int.from_bytes(buf[at : at + 2], "big")
                at += 2
            elif length == 127:
                if end - at < 8:
                    break
                length = int.from_bytes(buf[at : at + 8], "big")
                at += 8
            if b1 & 0x80 or length > MAX_FRAME:
                self._fail(HandshakeError("protocol error: masked or oversized server frame"))
                return
            if end - at < length:
                break
            payload = bytes(buf[at : at + length])
            pos = at + length
            self._frame_in(b0 & 0x80 != 0, b0 & 0x0F, payload)
            if self.closed:
                break
        if pos:
            del buf[:pos]

    def _frame_in(self, fin: bool, opcode: int, payload: bytes) -> None:
        if opcode in (OP_TEXT, OP_CONT):
            if not fin:
                self._fragments = (self._fragments or []) + [payload]
                return
            if self._fragments is not None:
                payload = b"".join(self._fragments) + payload
                self._fragments = None
            self.on_text(self, payload.decode("utf-8"))
        elif opcode == OP_PING:
            self._write(_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self._write(_frame(OP_CLOSE, payload[:2]))
            if self.transport is not None:
                self.transport.close()

    # sending ---------------------------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def send_text(self, text: str) -> bool:
        if self.closed or self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(_frame(OP_TEXT, text.encode()))
        return True

    def close(self, code: int = 1000) -> None:
        """Start the closing handshake; the server answers and closes the TCP connection."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(OP_CLOSE, code.to_bytes(2, "big")))

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # stalling (slow-client scenario) ---------------------------------------------------------------------

    def stall(self) -> None:
        """Stop reading: the kernel buffers fill, then the server's writes to us back up."""
        if self.transport is not None and not self.paused and not self.closed:
            self.transport.pause_reading()
            self.paused = True

    def unstall(self) -> None:
        if self.transport is not None and self.paused and not self.closed:
            self.transport.resume_reading()
        self.paused = False

    def peer_closed(self) -> bool:
        """True once the server has closed its side, even while we are not reading (TCP CLOSE_WAIT)."""
        if self.closed or self.transport is None:
            return True
        sock = self.transport.get_extra_info("socket")
        if sock is None:
            return True
        try:
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        except OSError:
            return True
        return bool(info[0] == TCP_CLOSE_WAIT)


def ws_request(host_header: str, path: str, cookie: str | None) -> tuple[bytes, bytes]:
    """The opening handshake request and its key."""
    key = base64.b64encode(os.urandom(16))
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host_header}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key.decode()}",
        "Sec-WebSocket-Version: 13",
        "User-Agent: livepoll-bench",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), key


async def ws_connect(
    host: str,
    port: int,
    host_header: str,
    path: str,
    cookie: str | None,
    on_text: TextHandler,
    on_close: CloseHandler,
    *,
    local_addr: str | None = None,
    limit: float = 10.0,
    data: object = None,
) -> WsClient:
    request, key = ws_request(host_header, path, cookie)
    loop = asyncio.get_running_loop()
    client = WsClient(request, key, on_text, on_close)
    client.cookie = cookie
    client.data = data  # set before the first frame can arrive (it may come with the 101 response)

    async def connect() -> None:
        await loop.create_connection(
            lambda: client, host, port, local_addr=(local_addr, 0) if local_addr else None
        )
        await client.opened

    try:
        await asyncio.wait_for(connect(), limit)
    except BaseException:
        client.abort()
        raise
    return client


def merge_cookies(jar: str | None, set_cookie: str) -> str:
    """A Cookie header as a browser would send it after `set_cookie` (name=value pairs; a name set again
    replaces its old value)."""
    pairs = dict(p.split("=", 1) for p in (jar or "").split("; ") if "=" in p)
    name, _, value = set_cookie.strip().split(";", 1)[0].partition("=")
    pairs[name] = value
    return "; ".join(f"{k}={v}" for k, v in pairs.items())


# HTTP ------------------------------------------------------------------------------------------------------


class HttpResponse:
    __slots__ = ("body", "set_cookie", "status")

    def __init__(self, status: int, set_cookie: str | None, body: bytes) -> None:
        self.status = status
        self.set_cookie = set_cookie
        self.body = body


class _HttpConn:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer


class HttpPool:
    """A few keep-alive HTTP/1.1 connections shared by a generator process (no TCP connection per request,
    so ephemeral ports go to WebSockets). Requests wait for a free connection; bounded by `size`."""

    def __init__(self, host: str, port: int, host_header: str, size: int, local_addr: str | None = None) -> None:
        self.host = host
        self.port = port
        self.host_header = host_header
        self.local_addr = local_addr
        self._free: asyncio.Queue[_HttpConn | None] = asyncio.Queue()
        for _ in range(size):
            self._free.put_nowait(None)

    async def _open(self) -> _HttpConn:
        reader, writer = await asyncio.open_connection(
            self.host, self.port, local_addr=(self.local_addr, 0) if self.local_addr else None
        )
        return _HttpConn(reader, writer)

    async def request(
        self, method: str, path: str, *, cookie: str | None = None, body: bytes | None = None,
        limit: float = 10.0,
    ) -> HttpResponse:
        conn = await self._free.get()
        try:
            for attempt in (1, 2):
                if conn is None:
                    conn = await asyncio.wait_for(self._open(), limit)
                try:
                    response, keep = await asyncio.wait_for(
                        self._exchange(conn, method, path, cookie, body), limit
                    )
                except (OSError, asyncio.IncompleteReadError, ConnectionError):
                    conn.writer.close()
                    conn = None
                    if attempt == 2 or method != "GET":
                        raise
                    continue
                if not keep:
                    conn.writer.close()
                    conn = None
                return response
            raise ConnectionError("unreachable")  # pragma: no cover
        except BaseException:
            if conn is not None:
                conn.writer.close()
                conn = None
            raise
        finally:
            self._free.put_nowait(conn)

    async def _exchange(
        self, conn: _HttpConn, method: str, path: str, cookie: str | None, body: bytes | None
    ) -> tuple[HttpResponse, bool]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host_header}", "User-Agent: livepoll-bench"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        if body is not None:
            lines.append("Content-Type: application/json")
            lines.append(f"Content-Length: {len(body)}")
        conn.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        head = (await conn.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status_line, *header_lines = head[:-4].split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length = 0
        set_cookie = None
        keep = True
        for line in header_lines:
            name, _, value = line.partition(":")
            lname = name.strip().lower()
            if lname == "content-length":
                length = int(value)
            elif lname == "set-cookie":
                set_cookie = merge_cookies(set_cookie, value)
            elif lname == "connection" and value.strip().lower() == "close":
                keep = False
        data = await conn.reader.readexactly(length) if length else b""
        return HttpResponse(status, set_cookie, data), keep

    async def close(self) -> None:
        while not self._free.empty():
            conn = self._free.get_nowait()
            if conn is not None:
                conn.writer.close()
