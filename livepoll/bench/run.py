"""The parent process: starts the generator processes, ramps connections, runs the phases, reads the
server's /metrics around each of them, checks exactness and builds the report."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import resource
import signal
import subprocess
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import psutil

from livepoll.bench import server as srv
from livepoll.bench.records import WorkerConfig
from livepoll.bench.report import exactness, latency_summary, percentile
from livepoll.bench.worker import run_worker

PORTS_PER_SOURCE = 25_000  # stay under the ~28k ephemeral ports one source address has towards one port
MIB = 1024.0 * 1024.0


@dataclass
class Plan:
    scenario: str
    urls: list[str]
    participants: int
    presenters: int
    processes: int
    rate: float | None  # ballots/s over all processes; None = as fast as acks return
    load: bool
    duration: float
    ramp_step: int
    ramp_concurrency: int
    http_share: float
    per_participant: float
    slow_fraction: float
    phone_results: bool
    storm: bool
    storm_command: str | None
    storm_timeout: float
    source_addresses: list[str | None]
    watch_pids: list[int] = field(default_factory=list)
    keep_session: bool = False
    seed: int = 1
    time_limit: float = 1800.0  # the whole run, whatever happens; then everything is stopped
    probes: int | None = None  # vote-to-screen probes at most (None: as many as the session has options for)
    probe_gap: tuple[float, float] = (0.05, 0.25)  # seconds between a probe's toggles (0, 0: back to back)
    join_get: bool = True  # a participant's first join: GET the session first (else the handshake alone)
    kind: str = "choice"  # the question kind under load (livepoll.bench.kinds)


class Bench:
    def __init__(self, plan: Plan, servers: list[srv.Server], admin_token: str, say: Any) -> None:
        self.plan = plan
        self.servers = servers
        self.admin_token = admin_token
        self.say = say
        self.pipes: list[Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        self.rss_samples: list[float] = []

    # workers ---------------------------------------------------------------------------------------------

    def _start_workers(self, session: srv.BenchSession) -> int:
        plan = self.plan
        ctx = multiprocessing.get_context("fork")
        n = plan.processes
        probes_each = len(session.probe_options) // max(1, min(n, plan.presenters))
        probe_slots = list(session.probe_options)
        probes = 0
        if plan.probes is not None:
            probes_each = min(probes_each, plan.probes)
            probe_slots = probe_slots[:plan.probes]
        for i in range(n):
            presenter_ids = list(range(i, plan.presenters, n))
            mine = [probe_slots.pop(0) for _ in range(probes_each) if probe_slots] if presenter_ids else []
            probes += len(mine)
            config = WorkerConfig(
                index=i, targets=[s.target for s in self.servers], code=session.code, host_key=session.host_key,
                question=session.question, load_options=session.load_options, probe_options=mine,
                participant_ids=list(range(i, plan.participants, n)), presenter_ids=presenter_ids,
                local_addrs=plan.source_addresses, seed=plan.seed * 1000 + i, kind=plan.kind,
            )
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=run_worker, args=(config, child), name=f"livepoll-bench-{i}", daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)
        self._collect(60.0)
        return probes

    def _send_all(self, cmds: list[dict[str, Any]]) -> None:
        for pipe, cmd in zip(self.pipes, cmds, strict=True):
            pipe.send(cmd)

    def _collect(self, timeout: float, sample_rss: bool = False) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        replies: list[dict[str, Any] | None] = [None] * len(self.pipes)
        while any(r is None for r in replies):
            left = deadline - time.monotonic()
            if left <= 0:
                raise srv.BenchError(f"generator processes did not answer within {timeout:.0f} s")
            for i, pipe in enumerate(self.pipes):
                if replies[i] is None and pipe.poll(0):
                    replies[i] = pipe.recv()
            if sample_rss:
                with contextlib.suppress(srv.BenchError):
                    self.rss_samples.append(srv.scrape_all(self.servers).rss_bytes)
            done = [r for r in replies if r is not None]
            if any(not r.get("ok") for r in done):
                raise srv.BenchError(f"a generator process failed: {[r for r in done if not r.get('ok')]}")
            if any(r is None for r in replies):
                multiprocessing.connection.wait(self.pipes, timeout=min(1.0, max(0.0, left)))
        return [r for r in replies if r is not None]

    def _all(self, cmd: dict[str, Any], timeout: float, sample_rss: bool = False) -> list[dict[str, Any]]:
        self._send_all([cmd] * len(self.pipes))
        return self._collect(timeout, sample_rss)

    def _stop_workers(self) -> None:
        with contextlib.suppress(srv.BenchError, OSError, EOFError):
            self._all({"cmd": "close"}, 20.0)
        for proc in self.procs:
            proc.join(5.0)
            if proc.is_alive():
                proc.terminate()
                proc.join(5.0)

    # the run ---------------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        def out_of_time(signum: int, frame: object) -> None:
            raise srv.BenchError(f"the run went over its time limit ({self.plan.time_limit:.0f} s); stopped")

        previous = signal.signal(signal.SIGALRM, out_of_time)
        signal.alarm(max(1, int(self.plan.time_limit)))
        try:
            return self._run()
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    def _run(self) -> dict[str, Any]:
        plan = self.plan
        raise_fd_limit(plan.participants + plan.presenters + 1000)
        main = self.servers[0]
        session = srv.create_session(main, self.admin_token, plan.kind)
        self.say(f"session {session.code} ({plan.kind}) created on {main.url}")
        report: dict[str, Any] = {"config": {**asdict(plan), "urls": [s.url for s in self.servers]},
                                  "machine": {"cpus": os.cpu_count()}, "session": session.code, "phases": [],
                                  "code": _code_version(), "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                        time.gmtime())}
        try:
            before = srv.scrape_all(self.servers)
            probes = self._start_workers(session)
            report["connections"] = self._ramp(probes)
            time.sleep(2.0)
            connected = srv.scrape_all(self.servers)
            held = report["connections"]["participants_held"]
            report["memory"] = {
                "before_mib": before.rss_bytes / MIB, "connected_mib": connected.rss_bytes / MIB,
                "per_participant_kib": (connected.rss_bytes - before.rss_bytes) / 1024.0 / max(1, held),
            }
            if plan.phone_results:  # after the ramp: 2 Hz to every phone would slow the ramp itself
                srv.control(main, session, "show_on_phones")
            if plan.storm:
                report["storm"] = self._storm()
            if plan.load:
                names = ["baseline", "slow"] if plan.slow_fraction > 0 else ["load"]
                for name in names:
                    stall = plan.slow_fraction if name == "slow" else 0.0
                    report["phases"].append(self._phase(name, stall))
                if len(names) == 2:
                    a, b = (p["screen_latency_ms"]["p99"] for p in report["phases"])
                    report["slow_vs_baseline"] = {"baseline_p99_ms": a, "slow_p99_ms": b,
                                                  "p99_change_pct": (b - a) / a * 100.0 if a else math.nan}
            if not plan.load and not plan.storm:
                self.say(f"holding {held} connections for {plan.duration:.0f} s")
                cpu0, t0 = srv.scrape_all(self.servers).cpu_seconds, time.monotonic()
                replies = self._all({"cmd": "hold", "duration": plan.duration}, plan.duration + 30)
                cores = (srv.scrape_all(self.servers).cpu_seconds - cpu0) / (time.monotonic() - t0)
                report["hold"] = {"seconds": plan.duration, "server_cores": cores,
                                  "participants_open": sum(r["open"]["participants"] for r in replies)}
            report["acks_total"] = sum(p["acks"] for p in report["phases"])
            report["exactness"] = self._exactness(main, session)
            report["memory"]["end_mib"] = srv.scrape_all(self.servers).rss_bytes / MIB
        finally:
            self._stop_workers()
        if not plan.keep_session:
            try:
                srv.delete_session(main, session)
            except srv.BenchError as exc:
                self.say(f"could not delete the bench session: {exc}")
        return report

    def _ramp(self, probes: int) -> dict[str, Any]:
        plan = self.plan
        n = len(self.pipes)
        steps = max(1, math.ceil(plan.participants / plan.ramp_step))
        connected = failed = 0
        errors: Counter[str] = Counter()
        times: list[float] = []
        ramp_seconds = 0.0
        step_log = []
        cpu_start = srv.scrape_all(self.servers).cpu_seconds
        for step in range(steps):
            want = min(plan.ramp_step, plan.participants - step * plan.ramp_step)
            shares = [want // n + (1 if i < want % n else 0) for i in range(n)]
            t0 = time.monotonic()
            self._send_all([{"cmd": "connect", "participants": s, "concurrency": plan.ramp_concurrency,
                             "join_get": plan.join_get} for s in shares])
            replies = self._collect(300.0)
            took = time.monotonic() - t0
            ramp_seconds += took
            ok = sum(r["connected"] for r in replies)
            bad = sum(r["failed"] for r in replies)
            connected += ok
            failed += bad
            for r in replies:
                errors.update(r["errors"])
                times.extend(r["connect_times"])
            after = srv.scrape_all(self.servers)
            rss = after.rss_bytes / MIB
            step_log.append({"step": step + 1, "connected": ok, "failed": bad, "seconds": took, "rss_mib": rss})
            self.say(f"ramp step {step + 1}/{steps}: +{ok} connected ({bad} failed) in {took:.2f} s, "
                     f"server RSS {rss:.1f} MiB")
        held = self._all({"cmd": "hold", "duration": 0.0}, 30.0)
        return {
            "participants_wanted": plan.participants, "presenters_wanted": plan.presenters, "probes": probes,
            "participants_held": sum(r["open"]["participants"] for r in held) - probes,
            "presenters_held": sum(r["open"]["presenters"] for r in held),
            "failed": failed, "errors": dict(errors.most_common(5)), "ramp_steps": steps,
            "ramp_seconds": ramp_seconds, "rate_per_s": connected / ramp_seconds if ramp_seconds else 0.0,
            "server_cpu_ms_per_connect": (after.cpu_seconds - cpu_start) * 1e3 / connected if connected else math.nan,
            "connect_time": latency_summary(times), "steps": step_log,
        }

    def _phase(self, name: str, stall: float) -> dict[str, Any]:
        plan = self.plan
        n = len(self.pipes)
        rate = None if plan.rate is None else plan.rate / n
        pace = "max" if plan.rate is None else f"{plan.rate:.0f}/s"
        self.say(f"phase {name}: {plan.duration:.0f} s at {pace}" + (f", {stall:.0%} stalled" if stall else ""))
        self.rss_samples = []
        cpu0 = srv.scrape_all(self.servers)
        watched0 = _pids_cpu(plan.watch_pids)
        machine0 = _machine_busy()
        commits0 = srv.commits(self.servers, self.admin_token)
        t0 = time.monotonic()
        replies = self._all({"cmd": "load", "duration": plan.duration, "rate": rate, "http_share": plan.http_share,
                             "per_participant": plan.per_participant, "stall_fraction": stall,
                             "probe_gap": plan.probe_gap},
                            plan.duration + 60.0, sample_rss=True)
        wall = time.monotonic() - t0
        cpu1 = srv.scrape_all(self.servers)
        watched1 = _pids_cpu(plan.watch_pids)
        machine_cores = (_machine_busy() - machine0) / wall
        commits1 = srv.commits(self.servers, self.admin_token)
        acks = sum(r["acks"] for r in replies)
        sending = max(r["sending_seconds"] for r in replies)
        screen = [x for r in replies for x in r["screen_latency"]]
        ack_lat = [x for r in replies for x in r["ack_latency"]]
        server_cpu = cpu1.cpu_seconds - cpu0.cpu_seconds
        errors: Counter[str] = Counter()
        for r in replies:
            errors.update(r["errors"])
        stalled_after = sorted(x for r in replies for x in r["stalled"]["closed_after"])
        presenters = max(1, sum(r["healthy_presenters"] for r in replies))
        phones = max(1, self.plan.participants)
        result = {
            "name": name, "seconds": sending, "wall_seconds": wall, "stall_fraction": stall,
            "sent": sum(r["sent"] for r in replies), "sent_http": sum(r["sent_http"] for r in replies),
            "acks": acks, "errors": dict(errors), "lost": sum(r["lost"] for r in replies),
            "error_messages": sorted({m for r in replies for m in r.get("error_messages", [])})[:5],
            "unsent": sum(r["unsent"] for r in replies),
            "in_flight_after_drain": sum(r["in_flight_after_drain"] for r in replies),
            "offered_per_s": sum(r["sent"] for r in replies) / sending, "acks_per_s": acks / sending,
            "server_cpu_seconds": server_cpu, "server_cores": server_cpu / wall,
            "server_cpu_per_1000": server_cpu / acks * 1e6 if acks else math.nan,  # ms per 1,000 = µs per 1
            "server_us_per_ballot": server_cpu / acks * 1e6 if acks else math.nan,
            "server_us_per_answer": server_cpu / (acks + sum(errors.values())) * 1e6 if acks else math.nan,
            "generator_cores": sum(r["generator_cpu"] for r in replies) / wall,
            "screen_latency_ms": latency_summary(screen), "ack_latency_ms": latency_summary(ack_lat),
            "probe_timeouts": sum(r["probe_timeouts"] for r in replies),
            "healthy_presenters": sum(r["healthy_presenters"] for r in replies),
            "frames_per_presenter_s": sum(r["presenter_frames"] for r in replies) / presenters / sending,
            "frames_per_phone_s": sum(r["phone_frames"] for r in replies) / phones / sending,
            "presenter_frame_max_bytes": max(r["presenter_frame_max_bytes"] for r in replies),
            "encodes": cpu1.encodes - cpu0.encodes,
            "rss_max_mib": max(self.rss_samples, default=cpu1.rss_bytes) / MIB,
            "rss_end_mib": cpu1.rss_bytes / MIB,
            "stalled": {"count": sum(r["stalled"]["count"] for r in replies),
                        "closed_by_server": len(stalled_after),
                        "closed_after_s": [round(percentile(stalled_after, q), 1) for q in (0, 50, 100)]
                        if stalled_after else []},
        }
        watched = watched1 - watched0
        if plan.watch_pids:
            result["watched_cpu_per_1000"] = watched / acks * 1e6 if acks else math.nan
            result["watched_cores"] = watched / wall
        result["machine_cores"] = machine_cores
        if commits0 is not None and commits1 is not None and commits1 > commits0:
            result["ballots_per_commit"] = acks / (commits1 - commits0)  # embedded group commit
        result["other_cores"] = max(0.0, machine_cores - result["server_cores"] - result["generator_cores"]
                                    - watched / wall)
        self.say(f"phase {name}: {result['acks_per_s']:.0f} acks/s, "
                 f"{result['server_us_per_ballot']:.1f} µs server CPU each, "
                 f"vote-to-screen p99 {result['screen_latency_ms']['p99']} ms")
        return result

    def _storm(self) -> dict[str, Any]:
        plan = self.plan
        self._send_all([{"cmd": "storm", "timeout": plan.storm_timeout}] * len(self.pipes))
        if plan.storm_command:
            self.say(f"storm: running {plan.storm_command!r}")
            subprocess.run(plan.storm_command, shell=True, check=False, timeout=plan.storm_timeout)
        else:
            self.say(f"storm: restart the server now (waiting up to {plan.storm_timeout:.0f} s)")
        cpu_at_start = self._first_scrape(plan.storm_timeout) if plan.storm_command else None
        replies = self._collect(plan.storm_timeout + 60.0)
        cpu_after = srv.scrape_all(self.servers).cpu_seconds
        lost = [x for r in replies for x in r["lost_at"]]
        back = sorted(x for r in replies for x in r["back_at"])
        first_loss = min(lost, default=math.nan)
        after = sorted(b - first_loss for b in back)
        failures: Counter[str] = Counter()
        codes: Counter[str] = Counter()
        for r in replies:
            failures.update(r["failures"])
            codes.update(r["close_codes"])
        return {
            "watched": sum(r["watched"] for r in replies), "lost": len(lost), "back": len(back),
            "all_back_after_loss_s": after[-1] if after else math.nan,
            "all_back_after_first_reconnect_s": back[-1] - back[0] if back else math.nan,
            "server_away_s": back[0] - first_loss if back else math.nan,
            "p50_s": percentile(after, 50), "p99_s": percentile(after, 99),
            "attempts": sum(r["attempts"] for r in replies), "failures": dict(failures),
            "close_codes": dict(codes),
            # The restarted server's CPU from its first answer to everyone being back, per reconnect: the
            # handshakes (and whatever else ran meanwhile). NaN when its first answer was not caught.
            "server_cpu_ms_per_reconnect": (cpu_after - cpu_at_start) * 1e3 / len(back)
            if back and cpu_at_start is not None else math.nan,
        }

    def _first_scrape(self, limit: float) -> float | None:
        """The restarted server's CPU seconds as soon as its /metrics answers (polled every 20 ms)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                return srv.scrape_all(self.servers).cpu_seconds
            except srv.BenchError:
                time.sleep(0.02)
        return None

    def _exactness(self, main: srv.Server, session: srv.BenchSession) -> dict[str, Any]:
        replies = self._all({"cmd": "final"}, 60.0)
        expected: Counter[str] = Counter()
        ambiguous = []
        voters = 0
        for r in replies:
            expected.update(r["expected"])
            voters += r["voters"]
            ambiguous.extend(r["ambiguous"])
        votes, tally_voters = srv.results(main, session)
        result = exactness(expected, voters, ambiguous, votes, tally_voters)
        result["seq_went_back"] = sum(r["seq_back"] for r in replies)
        return result


def _code_version() -> str:
    """The livepoll version, plus the git commit (and whether the tree had changes) when run from a checkout."""
    from livepoll import __version__

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        commit = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__} ({commit}{' + uncommitted changes' if dirty else ''})"


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far (all processes, all cores)."""
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "steal", 0.0) - getattr(t, "guest", 0.0)
                 - getattr(t, "guest_nice", 0.0))


def _pids_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(wanted, soft), max(wanted, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def source_addresses(spec: str, connections: int, urls: list[srv.Server]) -> list[str | None]:
    """`auto`: the default source address up to PORTS_PER_SOURCE connections, beyond that 127.0.0.2, .3, ..."""
    if spec == "none":
        return [None]
    if spec != "auto":
        return [a.strip() for a in spec.split(",") if a.strip()]
    if connections <= PORTS_PER_SOURCE:
        return [None]
    if not all(s.target.host.startswith("127.") for s in urls):
        raise srv.BenchError("more than 25,000 connections need --source-addresses for a non-127.x target")
    return [f"127.0.0.{2 + i}" for i in range(math.ceil(connections / PORTS_PER_SOURCE))]
