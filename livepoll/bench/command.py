"""`livepoll bench`: load a running livepoll server and report what it holds (see docs/performance.md)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from livepoll.bench import kinds, server as srv
from livepoll.bench.report import render_table, write_json
from livepoll.bench.run import Bench, Plan, source_addresses

# Each scenario is a set of defaults; any option given on the command line wins.
PRESETS: dict[str, dict[str, Any]] = {
    "idle": {"participants": 10_000, "presenters": 4, "load": False, "duration": 10.0},
    "ingest": {"participants": 4_000, "presenters": 2, "rate": "max", "load": True, "duration": 15.0},
    "latency": {"participants": 10_000, "presenters": 4, "rate": "5000", "load": True, "duration": 20.0},
    "slow": {"participants": 10_000, "presenters": 20, "rate": "5000", "load": True, "duration": 20.0,
             "slow_fraction": 0.05},
    "storm": {"participants": 10_000, "presenters": 4, "load": False, "storm": True},
    # Overload: twice the 1,000 ballots in flight that saturate one process here (closed loop, every
    # participant votes again on every answer); admission refuses what the process cannot drain in time.
    "overload": {"participants": 2_000, "presenters": 2, "rate": "max", "load": True, "duration": 15.0},
    # Back to back: one probe votes again as soon as its previous ballot showed on the one presenter, while
    # the audience is connected and quiet: the latency of a lone ballot, without a tick to wait for.
    "b2b": {"participants": 2_000, "presenters": 1, "rate": "0", "load": True, "duration": 10.0, "probes": 1,
            "probe_gap": (0.0, 0.0)},
    "custom": {},
}
FALLBACK: dict[str, Any] = {
    "participants": 1_000, "presenters": 2, "rate": None, "load": None, "duration": 20.0, "slow_fraction": 0.0,
    "phone_results": False, "storm": False, "probes": None, "probe_gap": (0.05, 0.25),
}


def _pick(name: str, given: Any, preset: dict[str, Any]) -> Any:
    if given is not None:
        return given
    return preset.get(name, FALLBACK.get(name))


@click.command()
@click.option("--url", "urls", multiple=True, default=["http://127.0.0.1:8000"], show_default=True,
              help="Server to load; repeat for several server processes (participants spread round-robin).")
@click.option("--admin-token", envvar="LIVEPOLL_ADMIN_TOKEN", required=True,
              help="The server's admin token (creates the bench session). Env: LIVEPOLL_ADMIN_TOKEN.")
@click.option("--scenario", type=click.Choice(sorted(PRESETS)), default="custom", show_default=True,
              help="Preset: idle, ingest, latency, slow, storm, overload, b2b (options below override it).")
@click.option("--kind", type=click.Choice(list(kinds.KINDS)), default="choice", show_default=True,
              help="Kind of the question under load (word cloud: 1-3 Polish nouns a ballot; open text: each "
              f"participant sends its {kinds.OPEN_MAX_ENTRIES} entries, then stops).")
@click.option("--participants", type=click.IntRange(0, 200_000), help="Participant WebSockets to hold.")
@click.option("--presenters", type=click.IntRange(1, 1000), help="Presenter probes (results WebSockets).")
@click.option("--rate", help="Ballots per second over all processes, or 'max' (each participant votes as soon "
              "as its previous ballot is acknowledged, at most --per-participant-rate per second), or 0 (only "
              "the vote-to-screen probes vote).")
@click.option("--probes", type=click.IntRange(1, 26), help="Vote-to-screen probes at most (default: 26).")
@click.option("--probe-gap", type=(float, float), help="Seconds between a probe's toggles, random in "
              "[LOW, HIGH] (default 0.05 0.25; 0 0: each as soon as the previous one showed).")
@click.option("--load/--no-load", default=None, help="Cast ballots (default: when a rate is set).")
@click.option("--duration", type=click.FloatRange(1, 3600), help="Seconds of each load phase (or of holding).")
@click.option("--processes", type=click.IntRange(1, 64), default=min(4, os.cpu_count() or 2), show_default=True,
              help="Generator processes (each with its own event loop).")
@click.option("--join-get/--no-join-get", default=True, show_default=True,
              help="A participant's first join GETs the session (as a page load does) before the WebSocket; "
              "--no-join-get joins with the handshake alone (it sets the participant cookie).")
@click.option("--ramp-step", type=click.IntRange(1, 200_000), default=1000, show_default=True,
              help="Connections opened per ramp step (each step waits for the previous one).")
@click.option("--ramp-concurrency", type=click.IntRange(1, 10_000), default=200, show_default=True,
              help="Handshakes in flight per generator process.")
@click.option("--http-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of ballots sent as HTTP POST instead of over the WebSocket.")
@click.option("--per-participant-rate", type=click.FloatRange(0.1, 19), default=15.0, show_default=True,
              help="Most ballots per second one participant sends (the server closes sockets above 20/s).")
@click.option("--slow-fraction", type=click.FloatRange(0, 0.5),
              help="Run a baseline phase, then one with this share of participant and presenter sockets "
              "not reading; compare the others' latency.")
@click.option("--phone-results/--no-phone-results", default=None,
              help="Show live results on phones during the run (phones get up to 2 updates/s).")
@click.option("--storm/--no-storm", default=None,
              help="Wait for the server to drop every connection and come back; time the reconnect.")
@click.option("--storm-command", help="Shell command the bench runs to restart the server (else restart it "
              "yourself while the bench waits).")
@click.option("--storm-timeout", type=click.FloatRange(5, 600), default=90.0, show_default=True)
@click.option("--source-addresses", default="auto", show_default=True,
              help="'auto' (127.0.0.2, .3, ... beyond 25,000 connections), 'none', or a comma list.")
@click.option("--watch-pid", "watch_pids", type=int, multiple=True,
              help="Also report the CPU of this local process per 1,000 ballots (e.g. redis-server).")
@click.option("--keep-session", is_flag=True, help="Do not delete the bench session at the end.")
@click.option("--i-own-this-server", "i_own_it", is_flag=True,
              help="Allow a non-loopback URL. Only for a server you run; never someone else's.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--time-limit", type=click.FloatRange(10, 7200), default=1800.0, show_default=True,
              help="Seconds the whole run may take; past that the bench stops everything and fails.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the full report as JSON here ('-' for standard output).")
@click.option("--quiet", is_flag=True, help="Only the final table.")
def bench(
    urls: tuple[str, ...], admin_token: str, scenario: str, kind: str, participants: int | None, presenters: int | None,
    rate: str | None, probes: int | None, probe_gap: tuple[float, float] | None, load: bool | None,
    duration: float | None, processes: int, join_get: bool, ramp_step: int,
    ramp_concurrency: int, http_share: float, per_participant_rate: float, slow_fraction: float | None,
    phone_results: bool | None, storm: bool | None, storm_command: str | None, storm_timeout: float,
    source_addresses: str, watch_pids: tuple[int, ...], keep_session: bool, i_own_it: bool, seed: int,
    time_limit: float, json_out: Path | None, quiet: bool,
) -> None:
    """Simulate participants and presenter screens against a running livepoll server; report connections,
    ballots/s, server CPU per ballot, vote-to-screen latency, memory per connection and exactness.

    Bounded in count and time, stops by itself; loopback targets only unless --i-own-this-server."""
    preset = PRESETS[scenario]
    try:
        servers = [srv.parse_target(u, i_own_it) for u in urls]
        rate_text = _pick("rate", rate, preset)
        parsed_rate = None if rate_text in (None, "max") else float(rate_text)
        if parsed_rate is not None and parsed_rate < 0:
            raise srv.BenchError("--rate must be positive, 0 or 'max'")
        do_load = _pick("load", load, preset)
        if do_load is None:
            do_load = rate_text is not None
        n = _pick("participants", participants, preset)
        m = _pick("presenters", presenters, preset)
        plan = Plan(
            scenario=scenario, urls=list(urls), participants=n, presenters=m, processes=processes,
            rate=parsed_rate, load=bool(do_load), duration=_pick("duration", duration, preset),
            ramp_step=ramp_step, ramp_concurrency=ramp_concurrency, http_share=http_share,
            per_participant=per_participant_rate, slow_fraction=_pick("slow_fraction", slow_fraction, preset),
            phone_results=bool(_pick("phone_results", phone_results, preset)),
            storm=bool(_pick("storm", storm, preset)), storm_command=storm_command, storm_timeout=storm_timeout,
            source_addresses=source_addresses_for(source_addresses, n + m + 100, servers),
            watch_pids=list(watch_pids), keep_session=keep_session, seed=seed, time_limit=time_limit,
            probes=_pick("probes", probes, preset), probe_gap=tuple(_pick("probe_gap", probe_gap, preset)),
            join_get=join_get,
            kind=kind,
        )
        if any(not s.target.host.startswith("127.") and s.target.host != "::1" for s in servers):
            click.echo("warning: loading a non-loopback server you said you own", err=True)

        def say(text: str) -> None:
            if not quiet:
                click.echo(text, err=True)

        report = Bench(plan, servers, admin_token, say).run()
    except srv.BenchError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(render_table(report))
    if json_out is not None:
        if str(json_out) == "-":
            sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
        else:
            write_json(report, json_out)
    if report["exactness"]["verdict"] == "MISMATCH":
        raise SystemExit(3)


def source_addresses_for(spec: str, connections: int, servers: list[srv.Server]) -> list[str | None]:
    return source_addresses(spec, connections, servers)
