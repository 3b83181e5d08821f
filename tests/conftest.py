"""Fixtures for tests that run the real livepoll server on loopback (no mocks, no in-process app).

Reuse from any test file (pages, browser, fault tests):

- `backend_name` (module scope): parametrized over ``["embedded", "redis"]``; test ids carry the name, so
  ``-k embedded`` or ``-k redis`` picks one backend.
- `store_redis` (session scope): another redis-server, for suites that drive backends directly.
- `redis_server` (session scope): a real redis-server on a free loopback port, started by
  ``tests/support/redis_server.py`` for this test run (the machine's own Redis on 6379 is never used).
- `server` (module scope): a running ``ServerProcess`` (``tests/support/server.py``) on `backend_name`.
  One server per backend is shared by every module that uses this fixture (from `shared_servers`, session
  scope), so each test makes its own session (``api.create_session()``) and leaves server-wide state alone:
  no stop, kill or reconfiguration (use `make_server`), and no floods of wrong join codes from 127.0.0.1
  (the guessing limiter is per address: use another loopback address, e.g. httpx
  ``AsyncHTTPTransport(local_address="127.0.0.77")``). If the server dies during a test, that test errors
  at teardown with the server's log and the next test gets it started again. A module may override
  `backend_name` (e.g. a plain module fixture returning "embedded") or `server` itself.
- `make_server` (function scope): ``make_server(backend="embedded" | "redis", start=True, **kwargs)``
  returns a new ``ServerProcess`` of its own (own data dir, own port, own Redis key prefix); kwargs go to
  ``ServerProcess`` (``workers=``, ``env=``, ``unset=``, ``args=``, ``port=``). All are stopped at teardown.
  ``ServerProcess`` has ``start()``, ``stop()`` (SIGTERM, bounded wait, SIGKILL), ``kill()`` (SIGKILL,
  the whole process group), ``restart(how="term" | "kill")`` (same port, data dir and Redis prefix),
  ``base_url``/``url(path)``/``ws_url(path)``/``origin``, ``log_text()``/``log_tail()``.
- `api` (function scope): a ``LivepollClient`` (an ``httpx.AsyncClient`` with base_url = the `server`)
  with ``create_session(...) -> (code, host_key, body)``, ``participant()`` (a new client with its own
  cookie jar on the same connection pool), ``join``, ``vote``, ``control``, ``results``, ``votes``,
  ``export``; ``ADMIN_TOKEN`` and ``SECRET`` (the server's known secrets) are in ``support.server``.
- `browser` (function scope): a launched headless Chromium (``support.chromium``); modules that share one
  browser across their tests override it with a module-scoped fixture of the same name.
- `client_for` (function scope): ``client_for(server)`` gives a ``LivepollClient`` for any
  ``ServerProcess`` (e.g. one from `make_server`), closed at teardown.
- Plain helpers in ``support.server`` (import with ``from support.server import ...``): ``run_cli(args,
  env)`` runs ``python -m livepoll ARGS`` to completion with a clean environment (no inherited LIVEPOLL_*),
  ``free_port()``, ``clean_environ()``, ``ServerStartError``, ``ADMIN_TOKEN``, ``SECRET``.
- Waiting (``from support.waiting import ...``): ``wait_until(check, what)``, ``eventually(read, expected)``
  and ``stays(check, what, within)`` (a short bounded wait that something does not happen): poll a
  condition with a generous deadline instead of sleeping.

When a test fails, the tail of the log of every server it used (stdout and stderr of the subprocess) is
added to its report as a section "livepoll server log".
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.server import (
    LivepollClient,
    ServerProcess,
    all_servers,
)

BACKENDS = ["embedded", "redis"]
TEARDOWN_STOP_TIMEOUT = 5.0


# Backends ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    """The backend this test runs on; every contract test runs on both."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real redis-server on a free loopback port for the whole run (not the machine's own on 6379)."""
    from support.redis_server import RedisServer, RedisServerMissing

    try:
        redis = RedisServer(tmp_path_factory.mktemp("redis"))
    except RedisServerMissing as exc:  # a missing Redis fails the Redis half loudly, it never skips it
        pytest.fail(str(exc), pytrace=False)
    with redis:
        yield redis
        # Servers on this Redis stop before it does, so none of them spends its shutdown reconnecting.
        for process in all_servers():
            if process.redis_url == redis.url and process.running:
                process.stop(TEARDOWN_STOP_TIMEOUT)


@pytest.fixture(scope="session")
def store_redis() -> Iterator[Any]:
    """A redis-server of its own for the suites that drive backends directly (test_backend_contract,
    test_kinds_stored): they flush scripts and stop processes, which the servers on `redis_server` should not
    see. Each test keeps apart by a fresh key prefix."""
    from support.redis_server import RedisServer, RedisServerMissing

    try:
        server = RedisServer()
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    server.start()
    yield server
    server.close()


def _redis_url(request: pytest.FixtureRequest, backend: str) -> str | None:
    if backend == "embedded":
        return None
    if backend == "redis":
        url: str = request.getfixturevalue("redis_server").url
        return url
    raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")


# Servers -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def shared_servers() -> Iterator[dict[str, ServerProcess]]:
    """The servers behind `server`, one per backend, started on first use and stopped at the end."""
    servers: dict[str, ServerProcess] = {}
    try:
        yield servers
    finally:
        for process in servers.values():
            process.stop(TEARDOWN_STOP_TIMEOUT)


@pytest.fixture(scope="module")
def server(
    backend_name: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    shared_servers: dict[str, ServerProcess],
) -> ServerProcess:
    """The running server of `backend_name`, shared by every module on that backend (a server start costs
    ~1.5 s); tests make their own sessions and leave server-wide state alone."""
    process = shared_servers.get(backend_name)
    if process is None:
        process = ServerProcess(
            tmp_path_factory.mktemp(f"server-{backend_name}"), redis_url=_redis_url(request, backend_name)
        )
        shared_servers[backend_name] = process
    if not process.running:
        process.start()
    return process


@pytest.fixture
def make_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., ServerProcess]]:
    """A factory of servers owned by one test (restart, kill, other settings); all stopped at teardown."""
    made: list[ServerProcess] = []

    def make(backend: str = "embedded", start: bool = True, **kwargs: Any) -> ServerProcess:
        if "redis_url" not in kwargs:
            kwargs["redis_url"] = _redis_url(request, backend)
        process = ServerProcess(tmp_path / f"server{len(made)}-{backend}", **kwargs)
        made.append(process)
        if start:
            process.start()
        return process

    try:
        yield make
    finally:
        for process in made:
            process.stop(TEARDOWN_STOP_TIMEOUT)


# Clients -------------------------------------------------------------------------------------------------


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[LivepollClient]:
    """An HTTP client bound to the module's server, with API helpers; fails the test if the server died."""
    client = LivepollClient(server)
    try:
        yield client
    finally:
        await client.aclose()
    if not server.running:
        tail = server.log_tail(80)
        server.start()  # the next test gets a working server; this one reports the death
        pytest.fail(f"the livepoll server died during this test\n{tail}", pytrace=False)


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[[ServerProcess], LivepollClient]]:
    """`client_for(server)`: a LivepollClient for any ServerProcess, closed at teardown."""
    made: list[LivepollClient] = []

    def make(process: ServerProcess) -> LivepollClient:
        client = LivepollClient(process)
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            await client.aclose()


# Reports -------------------------------------------------------------------------------------------------

_STARTED_AT = pytest.StashKey[float]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_STARTED_AT] = time.time()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.failed:
        return
    started = item.stash.get(_STARTED_AT, 0.0)
    used = {id(v) for v in getattr(item, "funcargs", {}).values()}
    for process in all_servers():
        written = process.log_path.exists() and process.log_path.stat().st_mtime >= started - 1
        if id(process) in used or written:
            report.sections.append((f"livepoll server log ({process!r})", process.log_tail(60)))


# Browser -------------------------------------------------------------------------------------------------


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Debian Chromium for one test (a module that wants one for all its tests overrides this with
    a module-scoped fixture of the same name, using ``support.chromium.chromium()``)."""
    from support.chromium import chromium

    async with chromium() as launched:
        yield launched

