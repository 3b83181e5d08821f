"""Real redis-server processes for tests: each on a free loopback port, in its own temporary directory,
started, stopped (SIGTERM), killed (SIGKILL) and restarted on the same port by the test itself.

Also `StallProxy`, an in-process TCP proxy on loopback that can freeze the connections that subscribed to
pub/sub, to make a half-open subscriber (no FIN, no RST, nothing delivered) without root or iptables.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

REDIS_SERVER = "redis-server"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class RedisServerMissing(RuntimeError):
    pass


def redis_server_path() -> str:
    """The redis-server binary; a clear error (not a skip) when it is missing."""
    found = shutil.which(REDIS_SERVER)
    if found is None:
        raise RedisServerMissing(
            "redis-server is not on PATH: the Redis tests run a real Redis. "
            "Install it (Debian/Ubuntu: `apt-get install redis-server`; .ci/run does this) and run again."
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _resp(*args: str | bytes | int) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class RedisServer:
    """One redis-server on 127.0.0.1. `appendonly=True` makes acknowledged writes survive a SIGKILL
    (appendfsync always), as the deployment's AOF setting does."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        appendonly: bool = False,
        port: int | None = None,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.binary = redis_server_path()
        self.appendonly = appendonly
        self.port = port if port is not None else free_port()
        self.extra = extra
        # A directory the caller gives (e.g. a pytest tmp_path) is left in place; our own is removed on close.
        self._own_dir = directory is None
        self.dir = Path(tempfile.mkdtemp(prefix="livepoll-redis-")) if directory is None else Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.dir / "redis.log"

    def _args(self) -> list[str]:
        return [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.dir),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "always",
            "--daemonize", "no",
            "--logfile", str(self.log_path),
            # DEBUG SLEEP is how the stall test freezes Redis; loopback clients only.
            "--enable-debug-command", "local",
            *self.extra,
        ]  # fmt: skip

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"redis-server on port {self.port} is already running")
        self.process = subprocess.Popen(
            self._args(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.starts += 1
        self.wait_ready()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Block until the server answers PING with PONG (not LOADING), or fail with its log."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.command("PING", timeout=0.5) == b"+PONG":
                    return
            except OSError as exc:
                last = exc
            time.sleep(0.02)
        raise TimeoutError(f"redis-server on port {self.port} not ready in {timeout}s ({last!r}):\n{self.log_tail()}")

    def command(self, *args: str | bytes | int, timeout: float = 5.0) -> bytes:
        """Send one command on a fresh connection and return the first reply line (enough for
        PING, CLIENT KILL, DEBUG SLEEP, CONFIG SET). Blocking: run it in a thread from async code."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(_resp(*args))
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionError(f"redis-server closed the connection after {args[0]!r}")
                reply += chunk
        return reply.split(b"\r\n", 1)[0]

    def answers(self, within: float) -> bool:
        """True if the server answers PING within `within` seconds; False while it is stalled (DEBUG SLEEP),
        down, or not listening."""
        try:
            return self.command("PING", timeout=within) == b"+PONG"
        except OSError:  # a timeout, a refused or a reset connection
            return False

    def _wait_exit(self, timeout: float) -> None:
        assert self.process is not None
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM and wait (redis-server flushes its AOF on a clean shutdown)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self._wait_exit(STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL: what a crash or the OOM killer does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self._wait_exit(STOP_TIMEOUT)

    def restart(self, empty: bool = False) -> None:
        """Start again on the same port; `empty=True` throws the data away first (a Redis that lost it)."""
        self.kill()
        if empty:
            for entry in self.dir.iterdir():
                if entry != self.log_path:
                    if entry.is_dir():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink()
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class StallProxy:
    """A TCP proxy on 127.0.0.1 in front of a Redis. `freeze_subscribers()` stops moving bytes, both ways,
    on every connection that has sent SUBSCRIBE, while keeping its sockets open: to the client that is a
    half-open connection (no FIN, no error, just silence). Connections opened later pass normally."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: list[_Link] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        link = _Link(writer, up_writer)
        self._links.append(link)
        link.tasks = [
            asyncio.create_task(link.pump(reader, up_writer, watch_subscribe=True)),
            asyncio.create_task(link.pump(up_reader, writer, watch_subscribe=False)),
        ]

    def freeze_subscribers(self) -> int:
        frozen = 0
        for link in self._links:
            if link.subscriber and not link.frozen.is_set():
                link.frozen.set()
                frozen += 1
        return frozen

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for link in self._links:
            await link.close()
        self._links.clear()


class _Link:
    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream
        self.subscriber = False
        self.frozen = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, watch_subscribe: bool) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                data = await source.read(65536)
                if not data:
                    break
                if watch_subscribe and b"SUBSCRIBE" in data.upper():
                    self.subscriber = True
                if self.frozen.is_set():
                    await asyncio.Event().wait()  # hold the bytes for ever: a silent, open connection
                sink.write(data)
                await sink.drain()
        sink.close()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for writer in (self.client, self.upstream):
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)


def kill_pubsub_clients(server: RedisServer) -> int:
    """CLIENT KILL TYPE pubsub; returns how many connections Redis closed."""
    reply = server.command("CLIENT", "KILL", "TYPE", "pubsub")
    return int(reply.lstrip(b":") or 0)


__all__ = ["RedisServer", "RedisServerMissing", "StallProxy", "free_port", "kill_pubsub_clients"]
