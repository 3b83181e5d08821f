"""The Redis backend's change-notice listener: one pub/sub connection per process, one channel per watched
session, resubscribed after every fault and probed against half-open connections.

Pub/sub delivers at most once and a subscriber can silently stop receiving after a network fault
(redis-py #2089, #2417): so the listener owns its connection outright, rebuilds it on any error, publishes a
probe to a channel of its own every `probe_interval` and reconnects when the probe does not come back within
two intervals. After every (re)connect it reports every watched session as changed, since notices may have
been missed while it was away (see the delivery guarantee in `base.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from livepoll.tasks import cancel_and_wait

log = logging.getLogger("livepoll.redis.notices")

# Reconnect backoff: doubles from BACKOFF_MIN up to BACKOFF_CAP with jitter, back to the minimum after a
# connection that worked. The cap keeps a screen's staleness after a Redis restart near one second.
BACKOFF_MIN = 0.05
BACKOFF_CAP = 1.0

# deliver(code, payload): payload is the notice's text, or None for "may have missed notices" after a connect.
Deliver = Callable[[str, "str | None"], None]


class ProbeMissed(Exception):
    """The listener's own probe did not come back in time: the subscription is deaf (half-open)."""


class NoticeListener:
    """Subscribes to the notice channels of watched sessions and hands each notice to `deliver`."""

    def __init__(
        self,
        subscriber: Redis,
        publisher: Redis,
        channel_of: Callable[[str], str],
        probe_channel: str,
        deliver: Deliver,
        *,
        timeout: float,
        probe_interval: float | None,
    ) -> None:
        self._subscriber = subscriber
        self._publisher = publisher
        self._channel_of = channel_of
        self._probe_channel = probe_channel
        self._deliver = deliver
        self._timeout = timeout
        self._probe_interval = probe_interval if probe_interval and probe_interval > 0 else None
        self._watched: dict[str, str] = {}  # channel -> code
        self._pubsub: PubSub | None = None
        # Held while (re)subscribing, so a watch() racing a reconnect is never left out of either.
        self._subscribe_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._loop_time = asyncio.get_running_loop().time
        self.connected = False
        self.connects = 0
        self.reconnects = 0
        self.failures = 0
        self.probes_missed = 0
        self.last_error: str | None = None
        self.last_probe_seen: float | None = None
        self.connected_at = 0.0  # time.monotonic() of the last confirmed subscription

    # Lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="livepoll-redis-notices")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        await self._close_pubsub()
        self.connected = False

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    def probe_age(self) -> float | None:
        if self.last_probe_seen is None:
            return None
        return round(self._loop_time() - self.last_probe_seen, 3)

    # Subscriptions ---------------------------------------------------------------------------------------

    @property
    def watched(self) -> set[str]:
        return set(self._watched.values())

    async def watch(self, code: str) -> None:
        channel = self._channel_of(code)
        if channel in self._watched:
            return
        self._watched[channel] = code
        await self._send_subscription("SUBSCRIBE", channel)

    async def unwatch(self, code: str) -> None:
        channel = self._channel_of(code)
        if self._watched.pop(channel, None) is None:
            return
        await self._send_subscription("UNSUBSCRIBE", channel)

    async def _send_subscription(self, command: str, channel: str) -> None:
        async with self._subscribe_lock:
            # With the lock held, `_pubsub` is either None (the next connect subscribes to everything in
            # `_watched`) or a connection whose initial SUBSCRIBE went out before this one.
            pubsub = self._pubsub
            if pubsub is None:
                return
            try:
                if command == "SUBSCRIBE":
                    await asyncio.wait_for(pubsub.subscribe(channel), self._timeout)
                else:
                    await asyncio.wait_for(pubsub.unsubscribe(channel), self._timeout)
            except Exception as exc:
                # The reader sees the same broken connection and reconnects; the reconnect subscribes to
                # the whole watched set, this channel included.
                log.debug("%s %s failed (%r); left to the reconnect", command, channel, exc)

    # The loop --------------------------------------------------------------------------------------------

    async def _run(self) -> None:
        delay = BACKOFF_MIN
        outage_logged = False
        while True:
            try:
                await self._connection()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                self.last_error = repr(exc)
                if self.connected or not outage_logged:
                    # Once per lost connection (or failed first connect), with the traceback; the retries
                    # of one outage stay quiet.
                    log.warning("Redis notice listener lost its subscription; reconnecting", exc_info=True)
                    outage_logged = True
                else:
                    log.debug("Redis notice listener still cannot connect: %r", exc)
            if self.connected:
                delay = BACKOFF_MIN  # the connection worked: start this outage's backoff from the bottom
            self.connected = False
            await self._close_pubsub()
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(BACKOFF_CAP, delay * 2)

    async def _connection(self) -> None:
        """Subscribe to the probe channel and every watched session, then read until something breaks."""
        pubsub = self._subscriber.pubsub()
        async with self._subscribe_lock:
            self._pubsub = pubsub
            channels = [self._probe_channel, *self._watched]
            await asyncio.wait_for(pubsub.subscribe(*channels), self._timeout)
        self.last_probe_seen = self._loop_time()
        reader = asyncio.create_task(self._read(pubsub), name="livepoll-redis-notices-reader")
        if self._probe_interval is None:
            await reader
            return
        prober = asyncio.create_task(self._probe(self._probe_interval), name="livepoll-redis-notices-probe")
        try:
            done, _ = await asyncio.wait({reader, prober}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, prober):
                task.cancel()
            await asyncio.gather(reader, prober, return_exceptions=True)
        for task in done:
            task.result()  # raises what ended the connection

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            # timeout=None blocks until a message arrives; the default (0) would spin.
            message: dict[str, Any] | None = await pubsub.get_message(timeout=None)
            if message is None:
                continue
            kind = message["type"]
            channel = _text(message["channel"])
            if kind == "subscribe" and channel == self._probe_channel:
                self._up()
            elif kind == "message" and channel == self._probe_channel:
                self.last_probe_seen = self._loop_time()
            elif kind == "message":
                code = self._watched.get(channel)
                if code is not None:
                    self._deliver(code, _text(message["data"]))

    def _up(self) -> None:
        """The subscription is confirmed: from here on no notice is missed, so resync what came before."""
        self.connected = True
        self.connected_at = time.monotonic()
        self.last_error = None
        self.last_probe_seen = self._loop_time()
        if self.connects:
            self.reconnects += 1
            log.info("Redis notice listener resubscribed to %d session(s)", len(self._watched))
        self.connects += 1
        for code in list(self._watched.values()):
            self._deliver(code, None)

    async def _probe(self, interval: float) -> None:
        sent = 0
        next_send = self._loop_time()
        while True:
            await asyncio.sleep(interval / 2)
            now = self._loop_time()
            if now >= next_send:
                next_send = now + interval
                sent += 1
                try:
                    await asyncio.wait_for(self._publisher.publish(self._probe_channel, sent), self._timeout)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.debug("probe publish failed: %r", exc)
            seen = self.last_probe_seen
            if seen is not None and self._loop_time() - seen > 2 * interval:
                self.probes_missed += 1
                raise ProbeMissed(f"no probe came back for {self._loop_time() - seen:.2f}s")

    async def _close_pubsub(self) -> None:
        async with self._subscribe_lock:
            pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), self._timeout)  # type: ignore[no-untyped-call]

    def detail(self) -> dict[str, object]:
        return {
            "listener_alive": self.alive,
            "listener_connected": self.connected,
            "reconnects": self.reconnects,
            "listener_failures": self.failures,
            "probes_missed": self.probes_missed,
            "probe_interval": self._probe_interval,
            "probe_age": self.probe_age(),
            "listener_error": self.last_error,
            "watched": len(self._watched),
        }


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
