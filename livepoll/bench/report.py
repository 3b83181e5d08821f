"""Figures from the workers' raw results: percentiles, exactness, the printed table and the JSON report."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

MACHINE_NOTE = "server and generator share this machine's cores (loopback)"


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence (q in 0..100)."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(samples: Iterable[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    ordered = sorted(samples)
    ms = {f"p{q}": round(percentile(ordered, q) * 1000.0, 2) for q in (50, 95, 99)}
    ms["max"] = round(ordered[-1] * 1000.0, 2) if ordered else math.nan
    ms["n"] = len(ordered)
    return ms


def exactness(
    expected: Counter[str],
    voters: int,
    ambiguous: list[list[dict[str, int] | None]],
    actual_votes: dict[str, int],
    actual_voters: int,
) -> dict[str, Any]:
    """Compare the final tally with the last acknowledged ballot of every participant.

    A participant whose fate is open (its last ballot got no answer before the end, e.g. its connection
    dropped, or answers of "unavailable", which a timeout gives without knowing whether the store kept the
    ballot) may count as any of its candidate ballots: that widens the accepted range, nothing is guessed.
    Keys and candidates are the kind's tally (livepoll.bench.kinds: {key: count}; None = no ballot)."""
    low = Counter(expected)
    high = Counter(expected)
    voters_low = voters_high = voters
    for candidates in ambiguous:
        for option in {o for c in candidates if c for o in c}:
            hits = [c.get(option, 0) if c else 0 for c in candidates]
            low[option] += min(hits)
            high[option] += max(hits)
        voters_low += 0 if any(c is None for c in candidates) else 1
        voters_high += 1 if any(c is not None for c in candidates) else 0
    options = sorted(set(actual_votes) | set(high), key=lambda o: (len(o), o))
    mismatches = {
        o: {"expected": [low[o], high[o]], "tally": actual_votes.get(o, 0)}
        for o in options
        if not low[o] <= actual_votes.get(o, 0) <= high[o]
    }
    voters_ok = voters_low <= actual_voters <= voters_high
    # Votes that differ from "only acknowledged ballots count": ballots answered with a timeout error that
    # the store kept nevertheless (allowed by the range above, but worth knowing: the client was told
    # "unavailable").
    off_acked = sum(abs(actual_votes.get(o, 0) - expected[o]) for o in options)
    if mismatches or not voters_ok:
        verdict = "MISMATCH"
    elif ambiguous:
        verdict = f"consistent ({len(ambiguous)} participants' last ballots unknowable: no answer or a timeout)"
    else:
        verdict = "EXACT"
    return {
        "verdict": verdict,
        "exact": verdict == "EXACT",
        "expected_votes": {o: high[o] if low[o] == high[o] else [low[o], high[o]] for o in options},
        "tally_votes": {o: actual_votes.get(o, 0) for o in options},
        "expected_voters": voters if not ambiguous else [voters_low, voters_high],
        "tally_voters": actual_voters,
        "ambiguous": len(ambiguous),
        "votes_off_acked_only": off_acked,
        "mismatches": mismatches,
    }


def _n(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _lat(summary: dict[str, float]) -> str:
    if not summary.get("n"):
        return "no samples"
    return (f"p50 {_n(summary['p50'], 1)} ms, p95 {_n(summary['p95'], 1)} ms, p99 {_n(summary['p99'], 1)} ms, "
            f"max {_n(summary['max'], 1)} ms ({_n(summary['n'])} samples)")


def render_table(report: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []
    cfg = report["config"]
    rows.append(("scenario", f"{cfg['scenario']}, {cfg.get('kind', 'choice')} question "
                 f"({MACHINE_NOTE}: {report['machine']['cpus']} cores)"))
    rows.append(("targets", ", ".join(cfg["urls"])))
    c = report["connections"]
    rows.append(("participants held", f"{_n(c['participants_held'])} of {_n(c['participants_wanted'])} "
                 f"(+{c['probes']} probes), presenters {c['presenters_held']} of {c['presenters_wanted']}"))
    rows.append(("failed connects", f"{_n(c['failed'])}" + (f"  {c['errors']}" if c["errors"] else "")))
    rows.append(("connect rate", f"{_n(c['rate_per_s'])} /s over {_n(c['ramp_seconds'], 1)} s in "
                 f"{c['ramp_steps']} steps; server CPU {_n(c.get('server_cpu_ms_per_connect'), 2)} ms per "
                 f"connect (GET + handshake); connect {_lat(c['connect_time'])}"))
    m = report["memory"]
    rows.append(("server RSS", f"{_n(m['before_mib'], 1)} MiB before, {_n(m['connected_mib'], 1)} MiB with "
                 f"everyone connected: {_n(m['per_participant_kib'], 1)} KiB per participant"))
    for ph in report["phases"]:
        name = ph["name"]
        rows.append((f"[{name}] ballots", f"offered {_n(ph['offered_per_s'])} /s, acknowledged "
                     f"{_n(ph['acks_per_s'])} /s ({_n(ph['acks'])} acks in {_n(ph['seconds'], 1)} s; "
                     f"http {_n(ph['sent_http'])}; errors {ph['errors'] or 0}; lost {ph['lost']}; "
                     f"unsent {_n(ph['unsent'])})"))
        if ph.get("error_messages"):
            rows.append((f"[{name}] error texts", " | ".join(ph["error_messages"][:3])))
        rows.append((f"[{name}] server CPU", f"{_n(ph['server_cpu_per_1000'], 1)} ms per 1,000 ballots "
                     f"({_n(ph['server_us_per_ballot'], 1)} µs each; "
                     f"{_n(ph.get('server_us_per_answer'), 1)} µs per answer incl. errors); "
                     f"{_n(ph['server_cores'], 2)} cores busy; "
                     f"generator {_n(ph['generator_cores'], 2)}, other processes {_n(ph['other_cores'], 2)} "
                     f"of {report['machine']['cpus']} cores"))
        if ph.get("ballots_per_commit") is not None:
            rows.append((f"[{name}] group commit", f"{_n(ph['ballots_per_commit'], 1)} ballots per SQLite commit"))
        if ph.get("watched_cpu_per_1000") is not None:
            rows.append((f"[{name}] watched pids", f"{_n(ph['watched_cpu_per_1000'], 1)} ms CPU per 1,000 "
                         f"ballots ({_n(ph['watched_cores'], 2)} cores)"))
        rows.append((f"[{name}] vote-to-screen", _lat(ph["screen_latency_ms"])
                     + f"; {ph['healthy_presenters']} presenters, {ph['probe_timeouts']} probe timeouts"))
        rows.append((f"[{name}] ballot ack", _lat(ph["ack_latency_ms"])))
        rows.append((f"[{name}] frames", f"{_n(ph['frames_per_presenter_s'], 1)} /s per presenter "
                     f"(largest {_n(ph.get('presenter_frame_max_bytes'))} bytes), "
                     f"{_n(ph['frames_per_phone_s'], 2)} /s per phone; server RSS max "
                     f"{_n(ph['rss_max_mib'], 1)} MiB"))
        if ph["stalled"]["count"]:
            st = ph["stalled"]
            rows.append((f"[{name}] stalled sockets", f"{st['count']} stopped reading; closed by the server: "
                         f"{st['closed_by_server']} (after {st['closed_after_s']})"))
    if report.get("slow_vs_baseline"):
        s = report["slow_vs_baseline"]
        rows.append(("slow clients effect", f"others' vote-to-screen p99 {_n(s['baseline_p99_ms'], 1)} -> "
                     f"{_n(s['slow_p99_ms'], 1)} ms ({s['p99_change_pct']:+.1f} %)"))
    if report.get("storm"):
        s = report["storm"]
        rows.append(("reconnect storm", f"{_n(s['back'])} of {_n(s['watched'])} back and resynced; all back "
                     f"{_n(s['all_back_after_loss_s'], 2)} s after the server dropped them "
                     f"({_n(s['all_back_after_first_reconnect_s'], 2)} s after it accepted again; it was away "
                     f"{_n(s['server_away_s'], 2)} s); "
                     f"p50 {_n(s['p50_s'], 2)} s, p99 {_n(s['p99_s'], 2)} s"))
    if report.get("hold"):
        h = report["hold"]
        rows.append(("held", f"{_n(h['participants_open'])} participants still open after {h['seconds']} s; "
                     f"server busy {_n(h['server_cores'], 3)} cores meanwhile"))
    e = report["exactness"]
    total_tally = sum(e["tally_votes"].values())
    rows.append(("exactness", f"{e['verdict']}: {_n(report['acks_total'])} acknowledged ballots; the final tally "
                 f"has {_n(e['tally_voters'])} voters (expected {e['expected_voters']}) and {_n(total_tally)} votes "
                 f"over {len(e['tally_votes'])} options, each equal to the last acknowledged ballots"
                 + (f"; MISMATCHES {e['mismatches']}" if e["mismatches"] else "")))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
