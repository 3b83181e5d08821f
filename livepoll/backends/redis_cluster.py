"""The Redis Cluster client of the Redis backend (redis_clients.py builds it).

Every key of a session carries its join code as a hash tag (redis_layout.py), so each Lua script and each
MULTI/EXEC touches one slot. Notices are shard channels (SPUBLISH/SSUBSCRIBE, Redis 7): a notice goes only
to the nodes of its session's shard, not to the whole cluster. `ShardedCluster` does this below the backend,
which keeps speaking of PUBLISH and SUBSCRIBE.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.exceptions import AskError, ConnectionError as RedisConnectionError, MovedError

if TYPE_CHECKING:
    from livepoll.backends.redis_clients import Topology

# redis-py's cluster pools refuse a command past their size instead of waiting: the commands and pipelines
# in flight at once are bounded by a semaphore (`max_connections`, as the single pool is), and each node's
# pool has room for all of them plus some.
CLUSTER_SPARE_CONNECTIONS = 8
# A node's shard-channel connection that has not answered a PING for this long is taken as dead.
SHARD_PING_INTERVAL = 5.0


def sharded(source: str) -> str:
    """A Lua script's notices sent as shard messages (the channel is in the slot of the script's keys)."""
    return source.replace("redis.call('PUBLISH',", "redis.call('SPUBLISH',")


class ShardedCluster(RedisCluster):
    """A RedisCluster on which livepoll's notices are shard channels, and a MULTI/EXEC of one slot goes to
    the node of that slot.

    PUBLISH (direct, pipelined, or in a Lua script) is sent as SPUBLISH; `pubsub()` subscribes with
    SSUBSCRIBE on the node of each channel (`ShardedPubSub`); `pipeline(transaction=True)` runs on that
    node (`SlotTransaction`)."""

    def __init__(self, where: Topology, auth: dict[str, Any], options: dict[str, Any], concurrency: int) -> None:
        self.node_options = {**options, **auth, "ssl": where.tls}
        self.in_flight = asyncio.Semaphore(concurrency)
        super().__init__(
            startup_nodes=[ClusterNode(host, port) for host, port in where.hosts],
            max_connections=concurrency + CLUSTER_SPARE_CONNECTIONS,
            **{k: v for k, v in self.node_options.items() if k != "retry"},
            retry=options.get("retry"),
        )
        self._node_clients: dict[str, Redis] = {}

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self.in_flight:
            return await super().execute_command(*args, **kwargs)

    async def script_load(self, script: str) -> str:  # type: ignore[override]
        return await super().script_load(sharded(script))

    async def publish(self, channel: str, message: Any, **kwargs: Any) -> int:  # type: ignore[override]
        return await self.spublish(channel, message)

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> Any:
        if transaction:
            return SlotTransaction(self)
        return ShardedPipeline(self)  # type: ignore[abstract]

    def pubsub(self, *args: Any, **kwargs: Any) -> Any:
        return ShardedPubSub(self)

    async def node_of(self, key: str) -> ClusterNode:
        await self.initialize()
        node = self.get_node_from_key(key)
        if node is None:
            raise RedisConnectionError(f"no node serves the slot of {key!r}")
        return node

    def node_client(self, node: ClusterNode) -> Redis:
        """A plain client of one node (for MULTI/EXEC on one slot), kept per node."""
        client = self._node_clients.get(node.name)
        if client is None:
            pool = BlockingConnectionPool(
                host=node.host, port=node.port, max_connections=32, timeout=self.node_options["socket_timeout"],
                **{k: v for k, v in self.node_options.items() if k != "ssl" or v},
            )
            client = self._node_clients[node.name] = Redis.from_pool(pool)
        return client

    async def moved(self) -> None:
        """A node answered MOVED/ASK or vanished: read the slot map again before the next try."""
        with contextlib.suppress(Exception):
            await self.nodes_manager.initialize()

    async def aclose(self) -> None:
        clients, self._node_clients = list(self._node_clients.values()), {}
        for client in clients:
            await client.aclose()
        await super().aclose()


class ShardedPipeline(ClusterPipeline):
    """A cluster pipeline (no transaction) whose PUBLISH is SPUBLISH, and which sends scripts: redis-py's
    blocks EVAL/EVALSHA in cluster pipelines since it cannot check their keys share a slot; livepoll's do
    (each script's keys are one session's), and each command is routed by the slot of its first key."""

    def __init__(self, cluster: ShardedCluster) -> None:
        super().__init__(cluster)
        self._in_flight = cluster.in_flight

    def publish(self, channel: str, message: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.spublish(channel, message)

    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> list[Any]:
        async with self._in_flight:
            return await super().execute(raise_on_error, allow_redirections)

    def eval(self, script: str, numkeys: int, *keys_and_args: Any) -> Any:
        return self.execute_command("EVAL", sharded(script), numkeys, *keys_and_args)

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: Any) -> Any:
        return self.execute_command("EVALSHA", sha, numkeys, *keys_and_args)


class SlotTransaction:
    """A MULTI/EXEC whose commands all touch one slot (one session), sent to the node that owns it."""

    QUEUED = frozenset({"get", "hgetall", "exists", "hget", "hvals", "hlen", "hmget", "time", "zadd", "pexpire"})

    def __init__(self, cluster: ShardedCluster) -> None:
        self._cluster = cluster
        self._calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Callable[..., SlotTransaction]:
        if name not in self.QUEUED:
            raise AttributeError(f"{name} is not queued in a livepoll cluster transaction")

        def queue(*args: Any, **kwargs: Any) -> SlotTransaction:
            self._calls.append((name, args, kwargs))
            return self

        return queue

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        keys = [args[0] for name, args, _ in self._calls if name != "time"]
        if not keys:
            raise ValueError("a cluster transaction needs a key to find its slot")
        node = await self._cluster.node_of(str(keys[0]))
        pipe = self._cluster.node_client(node).pipeline(transaction=True)
        for name, args, kwargs in self._calls:
            getattr(pipe, name)(*args, **kwargs)
        try:
            return list(await pipe.execute(raise_on_error))
        except (MovedError, AskError, RedisConnectionError, OSError):
            await self._cluster.moved()
            raise


class ShardedPubSub:
    """What the notice listener needs of a PubSub (subscribe, unsubscribe, get_message, aclose) over shard
    channels: one connection per node that owns a subscribed channel, one SSUBSCRIBE per slot, their
    messages merged in arrival order and reported as plain pub/sub messages.

    `subscribe()` returns once every node confirmed, so a notice published after it is not missed. Any
    node's connection failing, or not answering a PING within two intervals, ends the whole subscription
    (get_message raises): the listener then connects again and resynchronises."""

    def __init__(self, cluster: ShardedCluster) -> None:
        self._cluster = cluster
        self._nodes: dict[str, tuple[Redis, PubSub]] = {}
        self._readers: list[asyncio.Task[None]] = []
        self._channel_node: dict[str, str] = {}
        self._messages: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()
        self._confirmed: set[str] = set()
        self._confirm = asyncio.Condition()
        self._answered: dict[str, float] = {}
        self._pinger: asyncio.Task[None] | None = None

    async def subscribe(self, *channels: str) -> None:
        try:
            by_slot: dict[tuple[str, int], list[str]] = {}
            for channel in channels:
                node = await self._cluster.node_of(channel)
                self._channel_node[channel] = node.name
                by_slot.setdefault((node.name, self._cluster.keyslot(channel)), []).append(channel)
                await self._pubsub(node)
            for (name, _slot), group in by_slot.items():
                self._confirmed.difference_update(group)
                await self._nodes[name][1].ssubscribe(*group)
            async with self._confirm:
                await self._confirm.wait_for(lambda: self._confirmed.issuperset(channels))
        except (MovedError, AskError, RedisConnectionError, OSError):
            await self._cluster.moved()
            raise

    async def unsubscribe(self, *channels: str) -> None:
        for channel in channels:
            name = self._channel_node.pop(channel, None)
            if name is not None and name in self._nodes:
                await self._nodes[name][1].sunsubscribe(channel)

    async def get_message(self, timeout: float | None = 0.0, **_: Any) -> dict[str, Any] | None:  # noqa: ASYNC109 (PubSub's)
        try:
            item = await asyncio.wait_for(self._messages.get(), timeout) if timeout != 0 else (
                self._messages.get_nowait() if not self._messages.empty() else None
            )
        except TimeoutError:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    async def aclose(self) -> None:
        tasks = [*self._readers, *([self._pinger] if self._pinger is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client, pubsub in self._nodes.values():
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            with contextlib.suppress(Exception):
                await client.aclose()
        self._nodes.clear()

    async def _pubsub(self, node: ClusterNode) -> PubSub:
        if node.name not in self._nodes:
            options = {k: v for k, v in self._cluster.node_options.items() if k != "ssl" or v}
            client = Redis(host=node.host, port=int(node.port), **options)
            pubsub = client.pubsub()
            self._nodes[node.name] = (client, pubsub)
            self._answered[node.name] = time.monotonic()
            self._readers.append(asyncio.create_task(self._read(node.name, pubsub), name="livepoll-shard-notices"))
            if self._pinger is None:
                self._pinger = asyncio.create_task(self._ping(), name="livepoll-shard-pings")
        return self._nodes[node.name][1]

    async def _read(self, name: str, pubsub: PubSub) -> None:
        try:
            while True:
                if not pubsub.subscribed:
                    await asyncio.sleep(0.05)  # its first SSUBSCRIBE is on the way, or its last was undone
                    continue
                message = await pubsub.get_message(timeout=None)
                if message is None:
                    continue
                self._answered[name] = time.monotonic()
                kind = message["type"]
                if kind == "pong":
                    continue
                if kind == "ssubscribe":
                    async with self._confirm:
                        self._confirmed.add(message["channel"])
                        self._confirm.notify_all()
                plain = {"ssubscribe": "subscribe", "sunsubscribe": "unsubscribe", "smessage": "message"}
                self._messages.put_nowait({**message, "type": plain.get(kind, kind)})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._messages.put_nowait(exc)

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(SHARD_PING_INTERVAL)
            for name, (_client, pubsub) in list(self._nodes.items()):
                if not pubsub.subscribed:  # its last channel was unwatched: nothing to lose, nothing read
                    self._answered[name] = time.monotonic()
                    continue
                if time.monotonic() - self._answered.get(name, 0.0) > 2 * SHARD_PING_INTERVAL + 1:
                    self._messages.put_nowait(RedisConnectionError(f"cluster node {name} stopped answering"))
                    return
                with contextlib.suppress(Exception):
                    await pubsub.ping()
