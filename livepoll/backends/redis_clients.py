"""The Redis clients of LIVEPOLL_REDIS_URL: one Redis, a primary watched by Sentinel, or a Redis Cluster.

    redis://[[user]:password@]host[:port][/db]        one Redis (also rediss:// for TLS, unix:///path)
    redis+sentinel://[[user]:password@]host:port[,host:port...]/service[/db][?sentinel_password=...]
                                                      the primary Sentinel names `service`; after a failover
                                                      new connections go to the new primary (rediss+sentinel://
                                                      for TLS); the password is the data nodes', the sentinels'
                                                      own is `sentinel_password` (default: none)
    redis+cluster://[[user]:password@]host:port[,host:port...]
                                                      a Redis Cluster (≥ 7.0) from any of its nodes; or a
                                                      redis:// URL with LIVEPOLL_REDIS_CLUSTER=1

`connect()` returns the backend's two clients: one for commands (a blocking pool: past its size a caller
waits instead of failing) and one for the notice listener (no retries: the listener rebuilds its own
connection). redis-py does the work: its `Sentinel` finds the primary for every new connection and drops
connections to a primary that became a replica; its `RedisCluster` routes each command by key slot.

A Cluster's client is `redis_cluster.ShardedCluster` (shard-channel notices, one-slot transactions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import parse_qs, unquote, urlsplit

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.exceptions import RedisError

from livepoll.backends.redis_cluster import ShardedCluster

SINGLE_SCHEMES = ("redis", "rediss", "unix")
SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")
SCHEMES = SINGLE_SCHEMES + SENTINEL_SCHEMES + CLUSTER_SCHEMES
DEFAULT_PORT = 6379
DEFAULT_SENTINEL_PORT = 26379

Options = Callable[[int], dict[str, Any]]  # retries -> connection keyword arguments


class ReplicasBehind(RedisError):
    """WAIT returned fewer replicas than asked for: the writes are on the primary only (not confirmed)."""


@dataclass(frozen=True, slots=True)
class Topology:
    kind: Literal["single", "sentinel", "cluster"]
    hosts: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    sentinel_password: str | None = None


def topology(url: str, cluster: bool = False) -> Topology:
    """What a LIVEPOLL_REDIS_URL names (`cluster`: LIVEPOLL_REDIS_CLUSTER); ValueError says what is wrong."""
    scheme, _, rest = url.partition("://")
    if not rest or scheme not in SCHEMES:
        raise ValueError(f"must be a {', '.join(s + '://' for s in SCHEMES)} URL")
    if scheme in SINGLE_SCHEMES and not cluster:
        return Topology("single")
    if scheme == "unix":
        raise ValueError("a Redis Cluster is not reached over a unix socket")
    parts = urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    kind: Literal["sentinel", "cluster"] = "sentinel" if scheme in SENTINEL_SCHEMES else "cluster"
    default_port = DEFAULT_SENTINEL_PORT if kind == "sentinel" else DEFAULT_PORT
    hosts = tuple(_host(h, default_port) for h in hostlist.split(",") if h)
    if not hosts:
        raise ValueError("names no host")
    path = [unquote(p) for p in parts.path.split("/") if p]
    service, db = "", 0
    if kind == "sentinel":
        if not path:
            raise ValueError("a redis+sentinel:// URL ends with /service_name (the primary's Sentinel name)")
        service = path[0]
        path = path[1:]
    if path:
        if len(path) > 1 or not path[0].isdigit() or (kind == "cluster" and path[0] != "0"):
            raise ValueError(f"unexpected path {parts.path!r} (a cluster has only database 0)")
        db = int(path[0])
    query = parse_qs(parts.query)
    return Topology(
        kind,
        hosts,
        service,
        db,
        unquote(username) or None,
        unquote(password) or None,
        tls=scheme.startswith("rediss"),
        sentinel_password=query.get("sentinel_password", [None])[0],
    )


def _host(text: str, default_port: int) -> tuple[str, int]:
    """`host`, `host:port`, `[v6]` or `[v6]:port`."""
    host, _, port = text.rpartition("]:") if text.startswith("[") else text.rpartition(":")
    if not host:
        return text.strip("[]"), default_port
    if not port.isdigit():
        raise ValueError(f"bad port in {text!r}")
    return host.strip("[]"), int(port)


def connect(
    url: str, *, cluster: bool, max_connections: int, timeout: float, options: Options
) -> tuple[Redis, Redis]:
    """The command client and the notice-listener client for `url` (nothing is connected yet)."""
    where = topology(url, cluster)
    if where.kind == "single":
        pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=timeout, **options(1))
        return Redis.from_pool(pool), Redis.from_pool(ConnectionPool.from_url(url, max_connections=4, **options(0)))
    auth = {"username": where.username, "password": where.password}
    if where.kind == "sentinel":
        sentinel_options = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "password": where.sentinel_password,
            "ssl": where.tls,
            "decode_responses": True,
        }
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            where.hosts, sentinel_kwargs=sentinel_options, db=where.db, ssl=where.tls, **auth
        )
        client = sentinel.master_for(
            where.service,
            connection_pool_class=BlockingSentinelPool,
            max_connections=max_connections,
            timeout=timeout,
            **options(1),
        )
        subscriber = sentinel.master_for(where.service, max_connections=4, **options(0))
        return client, subscriber
    # The backend uses only commands a Redis and a RedisCluster share: typed as Redis, it stays unchanged.
    return (
        cast(Redis, ShardedCluster(where, auth, options(1), max_connections)),
        cast(Redis, ShardedCluster(where, auth, options(0), 4)),
    )


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """Sentinel's pool (connections to whichever node is the primary now) that waits for a free connection
    past its size, as the single-Redis pool does; closing it closes the connections to the sentinels too."""

    async def disconnect(self, inuse_connections: bool = True) -> None:
        await super().disconnect(inuse_connections)
        if inuse_connections:  # closed for good (a new primary only drops the idle connections)
            for sentinel in self.sentinel_manager.sentinels:
                await sentinel.aclose()
