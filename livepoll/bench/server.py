"""The parent's view of the server under test: which addresses it may load, the session it creates, and
the figures it reads from the server's own `/metrics` (so they do not depend on the generator)."""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from livepoll.bench import kinds
from livepoll.bench.records import Target


class BenchError(Exception):
    pass


@dataclass(frozen=True)
class Server:
    url: str
    target: Target


def parse_target(url: str, i_own_it: bool) -> Server:
    """Only loopback (127.0.0.0/8, ::1, localhost) unless the operator says the server is theirs."""
    parts = urlsplit(url.rstrip("/"))
    if parts.scheme != "http" or not parts.hostname:
        raise BenchError(f"{url}: give an http:// URL (put TLS in front of the server, not in the bench)")
    host = parts.hostname
    port = parts.port or 80
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback and not i_own_it:
        raise BenchError(
            f"{url}: refusing to load a non-loopback address. The bench sends thousands of connections and "
            "ballots per second; point it only at a server you run. If this one is yours, add "
            "--i-own-this-server."
        )
    connect_host = "127.0.0.1" if host == "localhost" else host
    host_header = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return Server(f"http://{host_header}", Target(connect_host, port, host_header))


def _call(method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 15.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise BenchError(f"{method} {url}: HTTP {exc.code} {exc.read()[:300]!r}") from None
    except OSError as exc:
        raise BenchError(f"{method} {url}: {exc}") from None
    return json.loads(raw) if raw and raw[:1] in (b"{", b"[") else raw


@dataclass(frozen=True)
class BenchSession:
    code: str
    host_key: str
    question: str
    load_options: list[str]  # the kind's load tokens (option ids, statement ids, words)
    probe_options: list[str]  # one token per latency probe
    kind: str = "choice"


def create_session(server: Server, admin_token: str, kind: str = "choice") -> BenchSession:
    """One question of the kind (livepoll.bench.kinds); for choice: options o1-o4 take the load, o5-o30
    belong to latency probes."""
    rules = kinds.get(kind)
    created = _call(
        "POST", f"{server.url}/api/v1/sessions",
        {"title": "livepoll bench", "questions": [rules.definition()]}, token=admin_token,
    )
    layout = rules.layout(created["questions"][0])
    return BenchSession(created["code"], created["host_key"], layout.question, layout.load, layout.probes, kind)


def control(server: Server, session: BenchSession, action: str) -> None:
    _call("POST", f"{server.url}/api/v1/sessions/{session.code}/control", {"action": action},
          token=session.host_key)


def results(server: Server, session: BenchSession) -> tuple[dict[str, int], int]:
    payload = _call("GET", f"{server.url}/api/v1/sessions/{session.code}/results", token=session.host_key)
    question = next(q for q in payload["questions"] if q["id"] == session.question)
    return kinds.get(session.kind).tally(question), int(question["voters"])


def delete_session(server: Server, session: BenchSession) -> None:
    _call("DELETE", f"{server.url}/api/v1/sessions/{session.code}", token=session.host_key)


@dataclass(frozen=True)
class Metrics:
    cpu_seconds: float
    rss_bytes: float
    encodes: float


def scrape(server: Server, timeout: float = 10.0) -> Metrics:
    raw = _call("GET", f"{server.url}/metrics", timeout=timeout)
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, _, value = line.rpartition(" ")
        values[name] = float(value)
    if "process_cpu_seconds_total" not in values:
        raise BenchError(f"{server.url}/metrics has no process_cpu_seconds_total (not Linux, or no /proc?)")
    return Metrics(values["process_cpu_seconds_total"], values.get("process_resident_memory_bytes", 0.0),
                   values.get("livepoll_snapshot_encodes", 0.0))


def commits(servers: list[Server], admin_token: str) -> float | None:
    """Transactions the embedded store committed so far (its /readyz detail, shown to the admin); None on
    other backends."""
    total = 0.0
    for s in servers:
        try:
            detail = _call("GET", f"{s.url}/readyz", token=admin_token).get("backend", {})
        except (BenchError, AttributeError):
            return None
        if not isinstance(detail, dict) or "commits" not in detail:
            return None
        total += float(detail["commits"])
    return total


def scrape_all(servers: list[Server]) -> Metrics:
    """Summed over the server processes (one URL per process)."""
    got = [scrape(s) for s in servers]
    return Metrics(sum(m.cpu_seconds for m in got), sum(m.rss_bytes for m in got), sum(m.encodes for m in got))
