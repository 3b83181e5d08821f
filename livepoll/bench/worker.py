"""One generator process: its share of participants and presenter probes, driven by commands from the
parent over a pipe (connect a ramp step, run a load phase, ride out a server restart, report, close).

Everything is callback-driven on one event loop (uvloop when installed): a participant is a record with a
WebSocket, the ballot it has in flight and the last one the server acknowledged; acks re-queue it for its
next ballot. Probes measure vote-to-screen latency (see `Probe`).
"""

from __future__ import annotations

import array
import asyncio
import json
import os
import random
import resource
import time
from collections import Counter, deque
from multiprocessing.connection import Connection
from typing import Any

from livepoll.bench import kinds
from livepoll.bench.clients import HttpPool, WsClient, merge_cookies, ws_connect
from livepoll.bench.records import Participant, Phase, Presenter, Probe, WorkerConfig
from livepoll.bench.storm import Storm

RESTART_CODES = (1001, 1012)
DRAIN_SECONDS = 5.0
# Errors after which the ballot may or may not have been stored (a timeout towards the store).
UNCERTAIN_ERRORS = frozenset({"unavailable"})
# Seconds between a probe's toggle being seen everywhere and its next toggle (random in this range, so that
# toggles do not lock to the presenter tick); (0, 0): back to back, each as soon as the previous one showed.
DEFAULT_PROBE_GAP = (0.05, 0.25)
PROBE_TIMEOUT = 5.0


class Worker:
    def __init__(self, config: WorkerConfig, pipe: Connection) -> None:
        self.c = config
        self.pipe = pipe
        self.kind = kinds.get(config.kind)
        self.history: dict[int, list[tuple[str, ...]]] = {}  # cumulative kinds: every acknowledged ballot
        self.max_frame_bytes = 0
        self.rng = random.Random(config.seed)
        t = config.targets
        self.participants = [Participant(g, t[g % len(t)]) for g in config.participant_ids]
        self.presenters = [Presenter(g, t[(config.index + 1) % len(t)]) for g in config.presenter_ids]
        self.probes: list[Probe] = []
        probe_target = t[config.index % len(t)]
        for n, option in enumerate(config.probe_options if self.presenters else []):
            p = Participant(-1 - (config.index * 100 + n), probe_target)
            p.probe = Probe(p, option)
            self.probes.append(p.probe)
        self.connected_p = 0
        self.connected_m = 0
        self.pools = {
            target: HttpPool(target.host, target.port, target.host_header, config.http_pool_size,
                             config.local_addrs[0])
            for target in t
        }
        self.idle: deque[Participant] = deque()
        self.phase = Phase()
        self.min_interval = 0.0
        self.probe_gap = DEFAULT_PROBE_GAP
        self.join_get = True  # a participant's first join: GET the session (as the page load does), then the socket
        self.stall_started = 0.0
        self.stalled_closed_after: dict[int, float] = {}
        self.storm: Storm | None = None
        self.http_tasks: set[asyncio.Task[None]] = set()

    # plumbing --------------------------------------------------------------------------------------------

    def _local_addr(self, gid: int) -> str | None:
        addrs = self.c.local_addrs
        return addrs[gid % len(addrs)]

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        loop.add_reader(self.pipe.fileno(), lambda: inbox.put_nowait(self.pipe.recv()))
        self.pipe.send({"ok": True, "hello": self.c.index})
        while True:
            cmd = await inbox.get()
            name = cmd["cmd"]
            try:
                result = await getattr(self, "cmd_" + name)(cmd)
            except Exception as exc:  # report, do not hang the parent
                result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            os.set_blocking(self.pipe.fileno(), True)  # the loop's reader made it non-blocking; replies are large
            self.pipe.send(result)
            if name == "close":
                loop.remove_reader(self.pipe.fileno())
                return

    # connections -----------------------------------------------------------------------------------------

    async def _open_participant(self, p: Participant, limit: float = 15.0) -> None:
        t = p.target
        if p.cookie is None and self.join_get:
            r = await self.pools[t].request("GET", f"/api/v1/sessions/{self.c.code}", limit=limit)
            if r.status != 200 or r.set_cookie is None:
                raise ConnectionError(f"GET session: HTTP {r.status}")
            p.cookie = r.set_cookie
        p.resynced_at = 0.0
        ws = await ws_connect(t.host, t.port, t.host_header, f"/ws/v1/sessions/{self.c.code}", p.cookie,
                              self._participant_text, self._closed, local_addr=self._local_addr(p.gid),
                              limit=limit, data=p)
        if ws.set_cookie is not None:  # the handshake set cookies (the participant's, or "joined"): keep them
            p.cookie = ws.set_cookie if p.cookie is None else merge_cookies(p.cookie, ws.set_cookie)
        p.ws = ws

    async def _open_presenter(self, m: Presenter, limit: float = 15.0) -> None:
        t = m.target
        path = f"/ws/v1/sessions/{self.c.code}/presenter?key={self.c.host_key}"
        m.resynced_at = 0.0
        ws = await ws_connect(t.host, t.port, t.host_header, path, None, self._presenter_text, self._closed,
                              local_addr=self._local_addr(m.gid), limit=limit, data=m)
        m.ws = ws

    async def _first_frame(self, who: Participant | Presenter, limit: float) -> None:
        deadline = time.monotonic() + limit
        while who.resynced_at == 0.0:  # bounded poll of a flag that a protocol callback sets
            if time.monotonic() > deadline or who.ws is None or who.ws.closed:
                raise TimeoutError("no first frame")
            await asyncio.sleep(0.01)

    async def cmd_connect(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Connect the next `participants` (and the probes and presenters on the first call)."""
        todo: list[Participant | Presenter] = []
        if self.connected_m == 0 and self.connected_p == 0:
            todo += self.presenters
            todo += [probe.participant for probe in self.probes]
        self.join_get = bool(cmd.get("join_get", True))
        n = min(int(cmd["participants"]), len(self.participants) - self.connected_p)
        todo += self.participants[self.connected_p : self.connected_p + n]
        self.connected_p += n
        sem = asyncio.Semaphore(int(cmd.get("concurrency", 200)))
        errors: Counter[str] = Counter()
        times = array.array("d")

        async def one(who: Participant | Presenter) -> None:
            async with sem:
                t0 = time.monotonic()
                try:
                    if isinstance(who, Presenter):
                        await self._open_presenter(who)
                    else:
                        await self._open_participant(who)
                    await self._first_frame(who, 15.0)
                except Exception as exc:
                    errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
                    if who.ws is not None:
                        who.ws.abort()
                        who.ws = None
                    return
                times.append(time.monotonic() - t0)

        t0 = time.monotonic()
        await asyncio.gather(*(one(who) for who in todo))
        self.connected_m = len(self.presenters)
        return {"ok": True, "attempted": len(todo), "connected": len(times), "failed": sum(errors.values()),
                "errors": dict(errors.most_common(5)), "elapsed": time.monotonic() - t0,
                "connect_times": times, "open": self.open_counts()}

    def open_counts(self) -> dict[str, int]:
        everyone = [*self.participants, *(p.participant for p in self.probes)]
        return {
            "participants": sum(1 for p in everyone if p.ws is not None and not p.ws.closed),
            "presenters": sum(1 for m in self.presenters if m.ws is not None and not m.ws.closed),
        }

    # frames in -------------------------------------------------------------------------------------------

    def _participant_text(self, ws: WsClient, text: str) -> None:
        p = ws.data
        assert isinstance(p, Participant)
        msg = json.loads(text)
        kind = msg.get("type")
        now = time.monotonic()
        if kind == "ack" or kind == "error":
            ref = msg.get("ref", "")
            sent = float(ref.partition(":")[2] or 0.0)
            if kind == "error" and len(self.phase.error_messages) < 5:
                self.phase.error_messages.add(f"{msg.get('error')}: {msg.get('message', '')}"[:200])
            self._ballot_done(p, kind == "ack", msg.get("error", ""), now, sent)
        elif kind == "state":
            if p.resynced_at == 0.0:
                p.resynced_at = now
            elif self.phase.running:
                self.phase.phone_frames += 1

    def _ballot_done(self, p: Participant, ok: bool, error: str, now: float, sent: float) -> None:
        ph = self.phase
        if p.pending is None:
            return
        if ok:
            p.acked = p.pending
            if self.kind.cumulative:
                self.history.setdefault(p.gid, []).append(p.pending)
                p.uncertain = [u for u in p.uncertain if u != p.pending]
            else:
                p.uncertain = []
            ph.acks += 1
            if sent:
                ph.ack_latency.append(now - sent)
        else:
            ph.errors[error or "error"] += 1
            if error in UNCERTAIN_ERRORS:
                p.uncertain.append(p.pending)
        p.pending = None
        if p.probe is not None:
            probe = p.probe
            if not ok and probe.waiting:  # refused: the count did not move; try the next toggle
                probe.expect ^= 1 if self.kind.toggles else 0
                probe.waiting = False
                if probe.timer is not None:
                    probe.timer.cancel()
                self._probe_schedule(probe)
            self._probe_check(probe, now)
        elif ph.running and not p.stalled:
            p.next_ok = sent + self.min_interval
            self.idle.append(p)

    def _presenter_text(self, ws: WsClient, text: str) -> None:
        m = ws.data
        assert isinstance(m, Presenter)
        now = time.monotonic()
        msg = json.loads(text)
        if m.resynced_at == 0.0:
            m.resynced_at = now
        seq = msg.get("seq", 0)
        if seq < m.last_seq and self.storm is None:
            m.seq_back += 1
        m.last_seq = seq
        m.frames += 1
        if self.phase.running:
            self.phase.presenter_frames += 1
            self.max_frame_bytes = max(self.max_frame_bytes, len(text.encode()))
        waiting = [probe for probe in self.probes if probe.waiting and m.gid not in probe.seen]
        if not waiting or m.stalled:
            return
        view = self.kind.probe_view(msg.get("question") or {})
        for probe in waiting:
            p = probe.participant
            if self.kind.probe_shows(view, probe.option, bool(probe.expect), p.k - p.gid):
                probe.seen.add(m.gid)
                self.phase.screen_latency.append(now - probe.sent_at)
                self._probe_check(probe, now)

    def _closed(self, ws: WsClient) -> None:
        who = ws.data
        if isinstance(who, Participant) and who.pending is not None and self.storm is None:
            self.phase.lost += 1  # in flight when the connection went: its fate is unknown (see report)
        if self.storm is not None and isinstance(who, (Participant, Presenter)) and who.ws is ws:
            self.storm.lost(who, ws)

    # probes ----------------------------------------------------------------------------------------------

    def _healthy_presenters(self) -> set[int]:
        return {m.gid for m in self.presenters if not m.stalled and m.ws is not None and not m.ws.closed}

    def _probe_schedule(self, probe: Probe) -> None:
        if self.phase.running:
            loop = asyncio.get_running_loop()
            low, high = self.probe_gap
            probe.timer = loop.call_later(self.rng.uniform(low, high), self._probe_fire, probe)

    def _probe_fire(self, probe: Probe) -> None:
        p = probe.participant
        if not self.phase.running or p.ws is None or p.ws.closed:
            return
        if self.kind.limit is not None and p.k - p.gid >= self.kind.limit:
            return  # this probe sent all the ballots the question takes from one participant
        probe.expect = probe.expect ^ 1 if self.kind.toggles else 1
        p.k += 1
        ballot = self.kind.probe_ballot(probe.option, bool(probe.expect), p.k - p.gid, self.c.load_options)
        probe.seen = set()
        probe.waiting = True
        probe.sent_at = time.monotonic()
        self._send_ws(p, ballot, probe.sent_at)
        probe.timer = asyncio.get_running_loop().call_later(PROBE_TIMEOUT, self._probe_timeout, probe)

    def _probe_timeout(self, probe: Probe) -> None:
        if probe.waiting:
            self.phase.probe_timeouts += 1
            probe.waiting = False
            self._probe_schedule(probe)

    def _probe_check(self, probe: Probe, now: float) -> None:
        if probe.waiting and probe.participant.pending is None and probe.seen >= self._healthy_presenters():
            probe.waiting = False
            if probe.timer is not None:
                probe.timer.cancel()
            self._probe_schedule(probe)

    # ballots out -----------------------------------------------------------------------------------------

    def _next_ballot(self, p: Participant) -> tuple[str, ...] | None:
        """The participant's next ballot; None once it sent all the question takes (open text)."""
        if self.kind.limit is not None and p.k - p.gid >= self.kind.limit:
            return None
        p.k += 1
        return self.kind.ballot(self.c.load_options, p.gid, p.k - p.gid)

    def _send_ws(self, p: Participant, ballot: tuple[str, ...], now: float) -> None:
        assert p.ws is not None
        p.pending = ballot
        p.ws.send_text(self.kind.message(self.c.question, ballot, f"{p.k}:{now:.6f}"))
        self.phase.sent += 1

    async def _send_http(self, p: Participant, ballot: tuple[str, ...], now: float) -> None:
        p.pending = ballot
        self.phase.sent += 1
        self.phase.sent_http += 1
        body = json.dumps({"question": self.c.question, **self.kind.body(ballot)}).encode()
        try:
            r = await self.pools[p.target].request("POST", f"/api/v1/sessions/{self.c.code}/votes",
                                                   cookie=p.cookie, body=body)
        except Exception:
            self.phase.lost += 1
            return  # fate unknown: stays pending (reported as ambiguous)
        error = "" if r.status == 200 else str(json.loads(r.body or b"{}").get("error", r.status))
        self._ballot_done(p, r.status == 200, error, time.monotonic(), now)

    async def cmd_load(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Cast ballots for `duration` s at `rate`/s (None: as fast as acks come back, each participant at
        most `per_participant` ballots/s), `http_share` of them over HTTP; then wait for the acks."""
        duration, rate = float(cmd["duration"]), cmd.get("rate")
        http_share = float(cmd.get("http_share", 0.0))
        self.min_interval = 1.0 / float(cmd.get("per_participant", 15.0))
        low, high = cmd.get("probe_gap", DEFAULT_PROBE_GAP)
        self.probe_gap = (float(low), float(high))
        self.phase = ph = Phase(running=True)
        self.max_frame_bytes = 0
        self._stall(float(cmd.get("stall_fraction", 0.0)))
        self.idle = deque(p for p in self.participants if p.ws is not None and not p.ws.closed
                          and not p.stalled and p.pending is None)
        self.rng.shuffle(self.idle)
        finished, active = 0, len(self.idle) if self.kind.limit is not None else 1 << 62
        for probe in self.probes:
            probe.waiting = False
            self._probe_schedule(probe)
        cpu0 = _cpu()
        start = time.monotonic()
        end = start + duration
        loop = asyncio.get_running_loop()
        while (now := time.monotonic()) < end:
            due = 1 << 30 if rate is None else int(float(rate) * (now - start)) - ph.sent - ph.unsent
            idle = self.idle
            while due > 0 and idle and idle[0].next_ok <= now:
                p = idle.popleft()
                if p.ws is None or p.ws.closed or p.stalled:
                    continue
                ballot = self._next_ballot(p)
                if ballot is None:
                    finished += 1  # sent all the question takes: not queued again
                    continue
                if http_share and self.rng.random() < http_share:
                    task = loop.create_task(self._send_http(p, ballot, now))
                    self.http_tasks.add(task)
                    task.add_done_callback(self.http_tasks.discard)
                else:
                    self._send_ws(p, ballot, now)
                due -= 1
            if finished >= active:
                break  # every participant sent all the ballots the question takes
            if rate is not None and due > float(rate) * 0.05:
                ph.unsent += due  # no participant free: the generator cannot offer more (reported)
            await asyncio.sleep(0.002)
        sending_ended = time.monotonic()
        ph.running = False
        for probe in self.probes:
            if probe.timer is not None:
                probe.timer.cancel()
        deadline = sending_ended + DRAIN_SECONDS
        while time.monotonic() < deadline and self._in_flight():  # noqa: ASYNC110 - bounded
            await asyncio.sleep(0.02)
        return {
            "ok": True, "sent": ph.sent, "sent_http": ph.sent_http, "acks": ph.acks, "errors": dict(ph.errors),
            "lost": ph.lost, "unsent": ph.unsent, "error_messages": sorted(ph.error_messages),
            "in_flight_after_drain": self._in_flight(),
            "ack_latency": ph.ack_latency, "screen_latency": ph.screen_latency,
            "probe_timeouts": ph.probe_timeouts, "phone_frames": ph.phone_frames,
            "presenter_frames": ph.presenter_frames, "healthy_presenters": len(self._healthy_presenters()),
            "presenter_frame_max_bytes": self.max_frame_bytes,
            "sending_seconds": sending_ended - start, "drain_seconds": time.monotonic() - sending_ended,
            "generator_cpu": _cpu() - cpu0, "open": self.open_counts(),
            "stalled": self._stall_report(),
        }

    def _in_flight(self) -> int:
        everyone = [*self.participants, *(p.participant for p in self.probes)]
        return sum(1 for p in everyone if p.pending is not None and p.ws is not None and not p.ws.closed
                   and not p.stalled)

    # slow clients ----------------------------------------------------------------------------------------

    def _stall(self, fraction: float) -> None:
        if fraction <= 0 or any(p.stalled for p in self.participants):
            return
        self.stall_started = time.monotonic()
        groups: tuple[list[Participant | Presenter], ...] = (list(self.participants), list(self.presenters))
        for group in groups:
            count = round(len(group) * fraction)
            candidates = [w for w in group if w.ws is not None and not w.ws.closed
                          and getattr(w, "pending", None) is None]
            for who in self.rng.sample(candidates, min(count, len(candidates))):
                who.stalled = True
                assert who.ws is not None
                who.ws.stall()
        asyncio.get_running_loop().create_task(self._watch_stalled())

    async def _watch_stalled(self) -> None:
        while True:
            stalled = [w for w in self._viewers() if w.stalled and w.ws is not None]
            if not stalled:
                return
            for who in stalled:
                assert who.ws is not None
                if who.gid not in self.stalled_closed_after and who.ws.peer_closed():
                    self.stalled_closed_after[who.gid] = time.monotonic() - self.stall_started
            await asyncio.sleep(0.5)

    def _viewers(self) -> list[Participant | Presenter]:
        return [*self.participants, *self.presenters]

    def _stall_report(self) -> dict[str, Any]:
        stalled = [w for w in self._viewers() if w.stalled]
        return {"count": len(stalled), "closed_by_server": len(self.stalled_closed_after),
                "closed_after": sorted(self.stalled_closed_after.values())}

    # idle hold and reconnect storm -----------------------------------------------------------------------

    async def cmd_hold(self, cmd: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(float(cmd["duration"]))
        return {"ok": True, "open": self.open_counts()}

    async def cmd_storm(self, cmd: dict[str, Any]) -> dict[str, Any]:
        everyone: list[Participant | Presenter] = [*self.participants, *(p.participant for p in self.probes),
                                                   *self.presenters]
        watched = [w for w in everyone if w.ws is not None and not w.ws.closed]
        self.storm = Storm(self, watched, self.rng)
        try:
            return await self.storm.run(float(cmd["timeout"]))
        finally:
            self.storm = None

    # end -------------------------------------------------------------------------------------------------

    async def cmd_final(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Resume stalled sockets and tell the parent what every participant last had acknowledged."""
        for who in self._viewers():
            if who.stalled and who.ws is not None:
                who.ws.unstall()
        await asyncio.sleep(0.5)
        everyone = [*self.participants, *(probe.participant for probe in self.probes)]
        expected, voters, ambiguous = kinds.expected(self.kind, (
            (self.history.get(p.gid, []) if self.kind.cumulative else [p.acked] if p.acked is not None else [],
             [*p.uncertain, *([p.pending] if p.pending is not None else [])])
            for p in everyone
        ))
        seq_back = sum(m.seq_back for m in self.presenters)
        return {"ok": True, "expected": dict(expected), "voters": voters, "ambiguous": ambiguous,
                "seq_back": seq_back, "open": self.open_counts(), "stalled": self._stall_report()}

    async def cmd_close(self, cmd: dict[str, Any]) -> dict[str, Any]:
        everyone: list[Participant | Presenter] = [*self.participants, *self.presenters]
        everyone += [p.participant for p in self.probes]
        live = [w.ws for w in everyone if w.ws is not None and not w.ws.closed]
        for ws in live:
            ws.close()
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and any(not ws.closed for ws in live):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        for ws in live:
            if not ws.closed:
                ws.abort()
        for pool in self.pools.values():
            await pool.close()
        return {"ok": True}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_worker(config: WorkerConfig, pipe: Connection) -> None:
    """Process entry point."""
    try:
        import uvloop

        factory: Any = uvloop.new_event_loop
    except ImportError:  # pragma: no cover
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(Worker(config, pipe).serve())
