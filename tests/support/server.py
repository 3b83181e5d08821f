"""A real livepoll server in a subprocess on loopback, for tests that need the whole thing.

`ServerProcess` runs `python -m livepoll serve --host 127.0.0.1 --port <port>` with its own data dir and known
secrets, waits until `/healthz` answers, and can be stopped (SIGTERM), killed (SIGKILL) and restarted on the
same port and data dir. Its stdout and stderr go to a log file; `log_tail()` shows the end of it, and the
conftest hook adds that tail to the report of every failing test that used the server.

    with ServerProcess(tmp_path) as server:          # embedded backend
        httpx.get(server.url("/healthz"))
    ServerProcess(tmp_path, redis_url=redis.url)     # Redis backend, unique key prefix per server
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

HOST = "127.0.0.1"
# Known secrets: tests log in with the admin token, and may recompute pseudonyms with the secret.
ADMIN_TOKEN = "test-admin-token-7d3c9a51e2"
SECRET = "test-cookie-secret-4b8f0e62a1"
# A cold start of `python -m livepoll serve` takes ~1.5 s on the 2-core CI machine; leave ample room.
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

# Every ServerProcess made in this test process, so the conftest hook can attach their logs to failures.
_ALL: weakref.WeakSet[ServerProcess] = weakref.WeakSet()


class ServerStartError(RuntimeError):
    """The server did not come up (exited, or /healthz did not answer in time); carries its log tail."""


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any LIVEPOLL_* variable (so a developer's shell cannot leak into a
    test), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEPOLL_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def livepoll_command(*args: str) -> list[str]:
    """`python -m livepoll ARGS` with this interpreter."""
    return [sys.executable, "-m", "livepoll", *args]


def run_cli(
    args: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run a `livepoll` command to completion (output captured) with a clean environment plus `env`."""
    return subprocess.run(
        livepoll_command(*args), env=clean_environ(env), capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, check=False,
    )


class ServerProcess:
    """One `livepoll serve` subprocess on 127.0.0.1.

    `workdir` holds the data dir (`workdir/data`, i.e. LIVEPOLL_DATA_DIR) and the log (`workdir/server.log`).
    With `redis_url` the server uses the Redis backend under a key prefix unique to this object (kept across
    restarts, so a restarted server sees the same state). `env` adds or overrides variables; a value of ""
    is passed as an empty string, and `unset` removes a variable (e.g. LIVEPOLL_ADMIN_TOKEN).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        port: int | None = None,
        redis_url: str | None = None,
        redis_prefix: str | None = None,
        workers: int = 1,
        env: Mapping[str, str] | None = None,
        unset: Sequence[str] = (),
        args: Sequence[str] = (),
        admin_token: str = ADMIN_TOKEN,
        secret: str = SECRET,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "data"
        self.log_path = self.workdir / "server.log"
        self.port = port or free_port()
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix or (f"lpt{uuid.uuid4().hex[:10]}" if redis_url else None)
        self.workers = workers
        self.admin_token = admin_token
        self.secret = secret
        self.extra_env = dict(env or {})
        self.unset = tuple(unset)
        self.extra_args = tuple(args)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._log_offset_at_start = 0
        _ALL.add(self)

    # Addresses -------------------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return HOST

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://{HOST}:{self.port}"

    @property
    def origin(self) -> str:
        """The server's own origin, as a browser on one of its pages would send it."""
        return self.base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def ws_url(self, path: str) -> str:
        return self.ws_base + path

    @property
    def backend_name(self) -> str:
        return "redis" if self.redis_url else "embedded"

    # Environment -----------------------------------------------------------------------------------------

    def environ(self) -> dict[str, str]:
        env = {
            "LIVEPOLL_DATA_DIR": str(self.data_dir),
            "LIVEPOLL_ADMIN_TOKEN": self.admin_token,
            "LIVEPOLL_SECRET": self.secret,
        }
        if self.redis_url:
            env["LIVEPOLL_REDIS_URL"] = self.redis_url
            assert self.redis_prefix is not None
            env["LIVEPOLL_REDIS_PREFIX"] = self.redis_prefix
        env.update(self.extra_env)
        full = clean_environ(env)
        for name in self.unset:
            full.pop(name, None)
        return full

    def command(self) -> list[str]:
        args = ["serve", "--host", HOST, "--port", str(self.port), *self.extra_args]
        if self.workers != 1:
            args += ["--workers", str(self.workers)]
        return livepoll_command(*args)

    # Lifecycle -------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server was never started"
        return self.process.pid

    def start(self) -> ServerProcess:
        """Start the server and return once `/healthz` answers 200; raise ServerStartError otherwise."""
        if self.running:
            raise RuntimeError(f"server on port {self.port} is already running (pid {self.pid})")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log_offset_at_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            log.write(f"---- start #{self.starts + 1}: {' '.join(self.command())}\n".encode())
            log.flush()
            # Its own session (process group): kill() can then reach uvicorn's worker processes too.
            self.process = subprocess.Popen(
                self.command(), env=self.environ(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self.starts += 1
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise ServerStartError(
                        f"livepoll exited with {self.process.returncode} while starting on port {self.port}\n"
                        + self.log_tail()
                    )
                try:
                    response = client.get(self.url("/healthz"))
                    if response.status_code == 200:
                        return
                    last_error = f"HTTP {response.status_code}"
                except httpx.TransportError as exc:
                    last_error = repr(exc)
                time.sleep(0.05)
        self.kill()
        raise ServerStartError(
            f"livepoll did not answer /healthz on port {self.port} within {self.startup_timeout} s "
            f"({last_error})\n" + self.log_tail()
        )

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait up to `timeout` s for a clean exit, then SIGKILL. Returns the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill_group()
                self.process.wait(STOP_TIMEOUT)
        self._reap_group()
        return self.process.returncode

    def kill(self) -> int | None:
        """SIGKILL the server (and its workers) at once: nothing gets a chance to flush or say goodbye."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self._kill_group()
            self.process.wait(STOP_TIMEOUT)
        self._reap_group()
        return self.process.returncode

    def restart(self, how: str = "term") -> ServerProcess:
        """Stop (`term`: SIGTERM) or kill (`kill`: SIGKILL) the server, then start it again on the same port,
        data dir and Redis prefix."""
        if how == "term":
            self.stop()
        elif how == "kill":
            self.kill()
        else:
            raise ValueError(f"restart how must be 'term' or 'kill', not {how!r}")
        return self.start()

    def _kill_group(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def _reap_group(self) -> None:
        """Workers left behind by a parent that died: the group is ours (start_new_session), end it."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def worker_pids(self) -> list[int]:
        """Process ids of uvicorn's worker processes (children of the server), for fault tests."""
        import psutil

        if not self.running:
            return []
        return [child.pid for child in psutil.Process(self.pid).children(recursive=False)]

    # Logs ------------------------------------------------------------------------------------------------

    def log_text(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def log_since_start(self) -> str:
        """Log lines written since the most recent start()."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset_at_start)
            return log.read().decode("utf-8", "replace")

    def log_tail(self, lines: int = 60) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"---- last {len(tail)} lines of {self.log_path}\n" + "\n".join(tail)

    # Context manager -------------------------------------------------------------------------------------

    def __enter__(self) -> ServerProcess:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ServerProcess {self.backend_name} {self.base_url} {state}>"


def all_servers() -> Iterator[ServerProcess]:
    """Every ServerProcess made in this test process that still exists."""
    return iter(list(_ALL))


# Clients ---------------------------------------------------------------------------------------------------


class LivepollClient(httpx.AsyncClient):
    """An httpx.AsyncClient bound to one server, with its own cookie jar (one participant or one host), and
    helpers for the public API. Clients made with `participant()` share this client's connection pool, so
    200 of them cost 200 cookie jars, not 200 pools; close only the client the fixture made."""

    def __init__(self, server: ServerProcess, transport: httpx.AsyncHTTPTransport | None = None) -> None:
        self._owns_transport = transport is None
        self._transport_shared = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=400, max_keepalive_connections=400), trust_env=False
        )
        super().__init__(
            base_url=server.base_url, transport=self._transport_shared, timeout=15.0, trust_env=False
        )
        self.server = server

    def participant(self) -> LivepollClient:
        """A new client with an empty cookie jar (a new phone), on the same connection pool."""
        return LivepollClient(self.server, self._transport_shared)

    @staticmethod
    def admin_headers(token: str = ADMIN_TOKEN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @staticmethod
    def host_headers(host_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {host_key}"}

    async def create_session(
        self,
        title: str = "Test session",
        questions: list[dict[str, object]] | None = None,
        *,
        options: Sequence[str] = ("Tak", "Nie", "Nie wiem"),
        max_choices: int | None = None,
        allow_change: bool | None = None,
        text: str = "Czy to działa?",
        **fields: object,
    ) -> tuple[str, str, dict[str, object]]:
        """Create a session as admin; returns (code, host_key, the 201 body). Without `questions`, one
        choice question is made from `text`, `options`, `max_choices` and `allow_change`; other session
        fields of the request (e.g. `present_languages=["pl", "uk"]`) go in as keywords."""
        if questions is None:
            question: dict[str, object] = {"kind": "choice", "text": text, "options": list(options)}
            if max_choices is not None:
                question["max_choices"] = max_choices
            if allow_change is not None:
                question["allow_change"] = allow_change
            questions = [question]
        response = await self.post(
            "/api/v1/sessions", json={"title": title, "questions": questions, **fields}, headers=self.admin_headers()
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return body["code"], body["host_key"], body

    async def join(self, code: str) -> dict[str, object]:
        """GET the session as a participant (this sets the participant cookie on first call)."""
        response = await self.get(f"/api/v1/sessions/{code}")
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    async def vote(self, code: str, question: str, choices: Sequence[str]) -> httpx.Response:
        return await self.post(f"/api/v1/sessions/{code}/votes", json={"question": question, "choices": list(choices)})

    async def control(
        self, code: str, host_key: str, action: str, question: str | None = None
    ) -> httpx.Response:
        body: dict[str, object] = {"action": action}
        if question is not None:
            body["question"] = question
        return await self.post(f"/api/v1/sessions/{code}/control", json=body, headers=self.host_headers(host_key))

    async def results(self, code: str, host_key: str) -> dict[str, object]:
        response = await self.get(f"/api/v1/sessions/{code}/results", headers=self.host_headers(host_key))
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    async def votes(self, code: str, host_key: str, question: str = "q1") -> tuple[dict[str, int], int]:
        """({option id: votes}, voters) of one question, from the results endpoint."""
        for q in (await self.results(code, host_key))["questions"]:  # type: ignore[attr-defined]
            if q["id"] == question:
                return {o["id"]: o["votes"] for o in q["options"]}, q["voters"]
        raise AssertionError(f"no question {question!r} in the results of {code}")

    async def export(self, code: str, host_key: str, name: str = "export.csv", **params: str) -> bytes:
        response = await self.get(
            f"/api/v1/sessions/{code}/{name}", headers=self.host_headers(host_key), params=params
        )
        assert response.status_code == 200, response.text
        return response.content

    async def aclose(self) -> None:
        if self._owns_transport:
            await super().aclose()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        # httpx closes the transport here, which participants share with their parent: only the owner may.
        if self._owns_transport:
            await super().__aexit__(exc_type, exc_value, traceback)
