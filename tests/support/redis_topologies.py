"""Redis past one server, for tests: a Sentinel set (primary, replica, three sentinels) and a three-primary
Cluster, all real redis-server processes on free loopback ports.

Sentinels run as `redis-server <conf> --sentinel`: Debian's redis-server package does not bring the
redis-sentinel program (a package of its own), and the server binary is the sentinel with that flag.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from support.redis_server import RedisServer, free_port, redis_server_path

SERVICE = "livepoll"
READY_TIMEOUT = 30.0


class Topology:
    """Servers started together and stopped together, also when starting them fails half-way."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class Sentinel:
    """One sentinel watching SERVICE on `primary_port`."""

    def __init__(self, directory: Path, primary_port: int, down_after_ms: int) -> None:
        self.port = free_port()
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "sentinel.conf"
        self.config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.dir}\nlogfile {self.dir / 'sentinel.log'}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary_port} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {down_after_ms}\n"
            f"sentinel failover-timeout {SERVICE} 10000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redis_server_path(), str(self.config), "--sentinel"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class SentinelSet(Topology):
    """A primary, one replica of it, and three sentinels (quorum 2) that fail over to the replica."""

    def __init__(self, down_after_ms: int = 1000) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="livepoll-sentinel-"))
        self.primary = RedisServer(self.dir / "primary")
        self.replica = RedisServer(self.dir / "replica", extra=("--replicaof", "127.0.0.1", str(self.primary.port)))
        self.sentinels = [Sentinel(self.dir / f"sentinel{i}", self.primary.port, down_after_ms) for i in range(3)]

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{SERVICE}"

    def start(self) -> None:
        self.primary.start()
        self.replica.start()
        for sentinel in self.sentinels:
            sentinel.start()
        wait(lambda: b"master_link_status:up" in info(self.replica.port, "replication"), "the replica in sync")
        wait(
            lambda: all(b"slaves=1,sentinels=3" in info(s.port, "sentinel") for s in self.sentinels),
            "every sentinel seeing the replica and the other sentinels",
        )

    def primary_port(self) -> int:
        """The port the sentinels name as the primary now."""
        reply = run_cli(self.sentinels[0].port, "SENTINEL", "get-master-addr-by-name", SERVICE)
        return int(reply.split()[-1])

    def close(self) -> None:
        for sentinel in self.sentinels:
            sentinel.stop()
        for server in (self.primary, self.replica):
            server.close()


class Cluster(Topology):
    """Three primaries, no replicas, the 16384 slots split between them by `redis-cli --cluster create`."""

    def __init__(self, primaries: int = 3) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="livepoll-cluster-"))
        self.nodes = [RedisServer(self.dir / f"node{i}", extra=cluster_options()) for i in range(primaries)]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses, "--cluster-yes"],
            check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60,
        )  # fmt: skip
        wait(lambda: all(b"cluster_state:ok" in run_cli(n.port, "CLUSTER", "INFO") for n in self.nodes), "cluster ok")

    def node_of(self, key: str) -> RedisServer:
        """The primary that owns `key`'s slot."""
        slot = int(run_cli(self.nodes[0].port, "CLUSTER", "KEYSLOT", key).strip())
        for node in self.nodes:
            if owns(node.port, slot):
                return node
        raise AssertionError(f"no node owns slot {slot}")

    def close(self) -> None:
        for node in self.nodes:
            node.close()


def cluster_options() -> tuple[str, ...]:
    bus = str(free_port())
    return ("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", bus,
            "--cluster-node-timeout", "5000")  # fmt: skip


def owns(port: int, slot: int) -> bool:
    for line in run_cli(port, "CLUSTER", "NODES").decode().splitlines():
        fields = line.split()
        if "myself" not in fields[2]:
            continue
        for part in fields[8:]:
            start, _, end = part.partition("-")
            if start.isdigit() and int(start) <= slot <= int(end or start):
                return True
    return False


def run_cli(port: int, *args: str) -> bytes:
    return subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
        check=True, capture_output=True, timeout=10,
    ).stdout  # fmt: skip


def info(port: int, section: str) -> bytes:
    try:
        return run_cli(port, "INFO", section)
    except subprocess.SubprocessError:
        return b""


def wait(check: object, what: str, within: float = READY_TIMEOUT) -> None:
    """Blocking wait for a set-up condition (before any server of the test runs)."""
    assert callable(check)
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)
