"""The shipped deployment (docker-compose.yml, deploy/Caddyfile, Dockerfile) against what the code reads,
and the same topology run natively: one redis-server, two livepoll processes with the compose environment.

No Docker engine runs on the CI machine, so the compose file is checked by reading it, and then its
environment is given to real `python -m livepoll serve` processes on loopback ports.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn.config
from support.redis_server import RedisServer
from support.server import ADMIN_TOKEN, SECRET, LivepollClient, ServerProcess
from websockets.asyncio.client import connect

from livepoll.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
DOCKERFILE = ROOT / "Dockerfile"

# Variables a replica may set that livepoll does not read itself, each with the module that reads it.
FOREIGN_VARIABLES = {"FORWARDED_ALLOW_IPS": uvicorn.config}
# What an operator's .env supplies (docker-compose.yml requires both secrets).
DOTENV = {"LIVEPOLL_ADMIN_TOKEN": ADMIN_TOKEN, "LIVEPOLL_SECRET": SECRET}


# Reading the files ---------------------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    try:
        import yaml
    except ImportError:  # imported here so that a missing PyYAML fails these tests, not the whole collection
        pytest.fail("PyYAML is missing: it is in the `test` extra (pip install -e '.[test]')", pytrace=False)
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}` and `$$`."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if name is None:
            return "$"
        present = name in variables
        found = variables.get(name, "")
        if op in (":-", ":?"):
            present = present and found != ""
        if present:
            return found
        if op in (":-", "-"):
            return arg or ""
        if op in (":?", "?"):
            raise KeyError(f"docker-compose.yml requires ${name}: {arg}")
        return ""

    return _VARIABLE.sub(replace, value)


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's `environment:` (mapping or list form), not yet interpolated."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}


def command(service: Mapping[str, Any]) -> list[str]:
    raw = service.get("command") or []
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def option(args: list[str], name: str) -> str | None:
    """The value of `--name value` or `--name=value` in a command line."""
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def livepoll_services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if command(service)[:2] == ["livepoll", "serve"]
    }


def healthcheck_command(service: Mapping[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return test
    assert test[0] in ("CMD", "CMD-SHELL"), f"healthcheck test must start with CMD or CMD-SHELL: {test}"
    return " ".join(test[1:])


def caddy_blocks(text: str) -> list[tuple[str, list[str]]]:
    """Top-level directives of the site block(s) with their bodies: [(directive line, body lines)]."""
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    blocks: list[tuple[str, list[str]]] = []
    depth = 0
    current: tuple[str, list[str]] | None = None
    for line in lines:
        if not line:
            continue
        if depth == 1 and current is None and line != "}":
            current = (line.rstrip("{").strip(), [])
            if not line.endswith("{"):
                blocks.append(current)
                current = None
        elif current is not None and depth >= 2 and (line != "}" or depth > 2):
            current[1].append(line)
        depth += line.count("{") - line.count("}")
        if current is not None and depth == 1:
            blocks.append(current)
            current = None
    return blocks


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def replicas(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return livepoll_services(compose)


# (a) The files -------------------------------------------------------------------------------------------


def test_compose_has_redis_two_replicas_and_a_proxy(compose: dict[str, Any]) -> None:
    """docker-compose.yml runs one Redis, at least two livepoll replicas and a reverse proxy."""
    services = compose["services"]
    assert "redis" in services
    assert str(services["redis"]["image"]).startswith("redis:7")
    assert len(livepoll_services(compose)) >= 2, sorted(services)
    assert {"livepoll1", "livepoll2"} <= set(livepoll_services(compose))
    assert "proxy" in services
    assert str(services["proxy"]["image"]).startswith("caddy:")


def test_replica_environment_names_are_read_by_the_code(replicas: dict[str, dict[str, Any]]) -> None:
    """Every variable a replica sets is one that livepoll's Settings (or uvicorn) reads: no typos."""
    read_by_settings = {"LIVEPOLL_" + name.upper() for name in Settings.model_fields}
    for name, service in replicas.items():
        env = environment(service)
        assert env, f"{name} has no environment"
        for variable in env:
            if variable.startswith("LIVEPOLL_"):
                assert variable in read_by_settings, f"{name}: {variable} is not read by livepoll/config.py"
            else:
                assert variable in FOREIGN_VARIABLES, f"{name}: {variable} is read by nothing we know"
                source = inspect.getsource(FOREIGN_VARIABLES[variable])
                assert f'"{variable}"' in source, f"{variable} is no longer read by {FOREIGN_VARIABLES[variable]}"


def test_replica_environment_is_valid_and_shared(replicas: dict[str, dict[str, Any]],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The replicas share one configuration (same Redis, same secrets from .env) and it passes validation."""
    envs = [environment(service) for service in replicas.values()]
    assert all(env == envs[0] for env in envs), "replicas must share one environment"
    env = envs[0]
    for secret in ("LIVEPOLL_ADMIN_TOKEN", "LIVEPOLL_SECRET"):
        # Required from the operator's environment (${VAR:?...}), never a value written in the file.
        assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]*\}}", env[secret]), env[secret]
        with pytest.raises(KeyError):
            interpolate(env[secret], {})
    for variable in list(os.environ):
        if variable.startswith("LIVEPOLL_"):
            monkeypatch.delenv(variable)
    for variable, value in env.items():
        monkeypatch.setenv(variable, interpolate(value, DOTENV))
    settings = load_settings()
    assert settings.redis_url is not None
    assert settings.admin_token == ADMIN_TOKEN and settings.secret == SECRET
    assert settings.public_url is not None


def test_replicas_use_the_redis_service(compose: dict[str, Any], replicas: dict[str, dict[str, Any]]) -> None:
    """LIVEPOLL_REDIS_URL names the compose Redis service on the port it listens on."""
    redis_port = int(option(command(compose["services"]["redis"]), "--port") or 6379)
    for name, service in replicas.items():
        url = urlsplit(interpolate(environment(service)["LIVEPOLL_REDIS_URL"], DOTENV))
        assert url.scheme == "redis", name
        assert url.hostname == "redis", f"{name} must use the compose service `redis`, not {url.hostname}"
        assert (url.port or 6379) == redis_port, name
        depends = service["depends_on"]
        assert depends["redis"]["condition"] == "service_healthy", name


def test_redis_keeps_an_append_only_file(compose: dict[str, Any]) -> None:
    """Acknowledged ballots survive a Redis restart: AOF on, fsync policy explicit, nothing evicted."""
    redis = compose["services"]["redis"]
    args = command(redis)
    assert args[0] == "redis-server"
    assert option(args, "--appendonly") == "yes"
    assert option(args, "--appendfsync") in ("always", "everysec")
    assert option(args, "--maxmemory-policy") == "noeviction"
    assert any(str(volume).endswith(":/data") for volume in redis["volumes"]), "AOF needs a volume at /data"


def test_every_service_has_a_healthcheck(compose: dict[str, Any], replicas: dict[str, dict[str, Any]]) -> None:
    """Healthchecks everywhere; the replicas' ask /readyz (or /healthz) on the port livepoll listens on."""
    for name, service in compose["services"].items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
        assert healthcheck_command(service), name
    assert "redis-cli" in healthcheck_command(compose["services"]["redis"])
    for name, service in replicas.items():
        port = option(command(service), "--port")
        check = healthcheck_command(service)
        assert re.search(rf"http://(127\.0\.0\.1|localhost):{port}/(readyz|healthz)\b", check), (name, check)
        assert option(command(service), "--host") == "0.0.0.0", f"{name} must listen beyond its own loopback"


def test_only_the_proxy_publishes_ports(compose: dict[str, Any], replicas: dict[str, dict[str, Any]]) -> None:
    """Replicas trust forwarded headers, so only the proxy may be reachable from outside."""
    for name, service in compose["services"].items():
        if name != "proxy":
            assert not service.get("ports"), f"{name} must not publish ports"
    container_ports = {str(p).rsplit(":", 1)[-1].split("/")[0] for p in compose["services"]["proxy"]["ports"]}
    assert "80" in container_ports
    for name, service in replicas.items():
        assert [str(p) for p in service.get("expose", [])] == [option(command(service), "--port")], name


def test_proxy_routes_to_every_replica_and_upgrades_websockets(
    compose: dict[str, Any], replicas: dict[str, dict[str, Any]]
) -> None:
    """deploy/Caddyfile balances over both replicas with /readyz health checks, WebSockets included."""
    proxy = compose["services"]["proxy"]
    assert any(str(v).startswith("./deploy/Caddyfile:/etc/caddy/Caddyfile") for v in proxy["volumes"])
    assert set(proxy["depends_on"]) >= set(replicas)
    upstreams = {f"{name}:{option(command(service), '--port')}" for name, service in replicas.items()}

    blocks = caddy_blocks(CADDYFILE.read_text(encoding="utf-8"))
    matchers = {head: body for head, body in blocks if head.startswith("@")}
    proxies = [(head.split(), body) for head, body in blocks if head.startswith("reverse_proxy")]
    assert proxies, "no reverse_proxy in deploy/Caddyfile"

    websocket_matchers = {
        name
        for name, body in matchers.items()
        if "header Upgrade websocket" in body and any(re.fullmatch(r"header Connection \*?Upgrade\*?", line)
                                                      for line in body)
    }
    assert websocket_matchers, "no matcher for WebSocket upgrades (header Connection/Upgrade)"
    routed_websockets = False
    for words, body in proxies:
        targets = {w for w in words[1:] if not w.startswith("@")}
        assert targets == upstreams, f"reverse_proxy must go to every replica: {targets} != {upstreams}"
        assert "health_uri /readyz" in body, words
        assert any(line.startswith("lb_policy ") for line in body), words
        if len(words) > 1 and words[1] in websocket_matchers:
            routed_websockets = True
    assert routed_websockets, "the WebSocket matcher does not lead to a reverse_proxy"
    # Everything else (pages, API) goes to the replicas too: one reverse_proxy without a matcher.
    assert any(len(words) > 1 and not words[1].startswith("@") for words, _ in proxies)


def test_dockerfile_builds_a_non_root_wheel_install() -> None:
    """The image installs the package (not editable), runs as a non-root user and checks /healthz."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"^RUN .*\bpip install \.(\s|$)", text, re.M)
    for tree in ("livepoll", "static", "templates"):
        assert re.search(rf"^COPY {tree} ", text, re.M), f"{tree}/ is not copied into the image"
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1] not in ("root", "0"), "the server must not run as root"
    assert re.search(r"^HEALTHCHECK .*(\n\s+.*)*?/healthz", text, re.M)
    assert re.search(r'^CMD \["livepoll", "serve", "--host", "0.0.0.0"', text, re.M)


# (b) The same topology, natively -------------------------------------------------------------------------


@pytest.fixture
def compose_redis(compose: dict[str, Any], tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server with the compose file's arguments, on a free loopback port."""
    args = command(compose["services"]["redis"])[1:]
    with RedisServer(tmp_path / "redis", appendonly=True, extra=tuple(args)) as redis:
        yield redis


def native_environment(service: Mapping[str, Any], redis: RedisServer) -> dict[str, str]:
    """A replica's compose environment with .env's secrets, the Redis service replaced by the test's."""
    env = {name: interpolate(value, DOTENV) for name, value in environment(service).items()}
    url = urlsplit(env["LIVEPOLL_REDIS_URL"])
    env["LIVEPOLL_REDIS_URL"] = url._replace(netloc=f"127.0.0.1:{redis.port}").geturl()
    return env


async def _presenter_sees(server: ServerProcess, code: str, host_key: str, voters: int) -> dict[str, Any]:
    """The first presenter frame from `server` that counts `voters` voters (fails after 5 s)."""
    async with connect(server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={host_key}")) as socket:
        async with asyncio.timeout(5):
            while True:
                frame: dict[str, Any] = json.loads(await socket.recv())
                if frame.get("type") == "results" and frame.get("voters") == voters:
                    return frame


@pytest.mark.slow
async def test_compose_topology_natively(
    replicas: dict[str, dict[str, Any]], compose_redis: RedisServer, tmp_path: Path
) -> None:
    """Two replicas with the compose environment share one Redis: a session made on A takes ballots on
    A and B (one participant cookie is valid on both), both are ready, and both export the same bytes."""
    servers: list[ServerProcess] = []
    clients: list[LivepollClient] = []
    try:
        for name, service in sorted(replicas.items())[:2]:
            env = native_environment(service, compose_redis)
            process = ServerProcess(
                tmp_path / name,
                redis_url=env["LIVEPOLL_REDIS_URL"],
                redis_prefix=env.get("LIVEPOLL_REDIS_PREFIX"),
                env=env,
            )
            servers.append(process.start())
            clients.append(LivepollClient(process))
        a, b = clients
        public_url = servers[0].environ()["LIVEPOLL_PUBLIC_URL"]

        for client in clients:
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["ready"] is True

        code, host_key, created = await a.create_session(options=("miasto", "NGO", "biznes lokalny"))
        assert created["links"]["join"].startswith(f"{public_url}/{code}?t=")  # type: ignore[index, attr-defined]

        # Six phones, half on each replica; the first one later changes its ballot on the other replica.
        phones = [(a if n % 2 == 0 else b).participant() for n in range(6)]
        for n, phone in enumerate(phones):
            await phone.join(code)
            response = await phone.vote(code, "q1", [f"o{n % 3 + 1}"])
            assert response.status_code == 200, response.text
            assert response.json() == {"accepted": True}
        moved = b.participant()
        moved.cookies = phones[0].cookies  # the cookie A issued, presented to B
        response = await moved.vote(code, "q1", ["o3"])
        assert response.status_code == 200, response.text

        expected = ({"o1": 1, "o2": 2, "o3": 3}, 6)
        assert await a.votes(code, host_key) == expected
        assert await b.votes(code, host_key) == expected
        frame = await _presenter_sees(servers[1], code, host_key, voters=6)
        assert {o["id"]: o["votes"] for o in frame["question"]["options"]} == expected[0]

        for name in ("export.csv", "responses.csv"):
            from_a = await a.export(code, host_key, name)
            from_b = await b.export(code, host_key, name)
            assert from_a == from_b, f"{name} differs between the replicas"
        assert (await a.export(code, host_key)).startswith("\ufeffquestion_id,".encode())

        for client in clients:
            readiness = await client.get("/readyz")
            assert readiness.status_code == 200, readiness.text
    finally:
        for client in clients:
            await client.aclose()
        for server in servers:
            server.stop()
