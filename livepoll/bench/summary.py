"""Medians over repeated `livepoll bench --json` runs: `python -m livepoll.bench.summary DIR` (scripts/bench-all
names the files BACKEND-SCENARIO-RUN.json)."""

from __future__ import annotations

import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

Pick = tuple[str, str]  # (label, dotted path into the report)

COMMON: list[Pick] = [
    ("participants held", "connections.participants_held"),
    ("failed connects", "connections.failed"),
    ("connect rate /s", "connections.rate_per_s"),
    ("RSS KiB per participant", "memory.per_participant_kib"),
    ("server CPU ms per connect", "connections.server_cpu_ms_per_connect"),
]
LOAD: list[Pick] = [
    ("acked ballots /s", "phases.0.acks_per_s"),
    ("server µs CPU per ballot", "phases.0.server_us_per_ballot"),
    ("server cores busy", "phases.0.server_cores"),
    ("generator cores busy", "phases.0.generator_cores"),
    ("other load, cores", "phases.0.other_cores"),
    ("watched pid ms per 1,000", "phases.0.watched_cpu_per_1000"),
    ("machine cores busy (all processes)", "phases.0.machine_cores"),
    ("vote-to-screen p50 ms", "phases.0.screen_latency_ms.p50"),
    ("vote-to-screen p95 ms", "phases.0.screen_latency_ms.p95"),
    ("vote-to-screen p99 ms", "phases.0.screen_latency_ms.p99"),
    ("ack p50 ms", "phases.0.ack_latency_ms.p50"),
    ("ack p99 ms", "phases.0.ack_latency_ms.p99"),
    ("answers unavailable (refused or not confirmed)", "phases.0.errors.unavailable"),
    ("frames /s per presenter", "phases.0.frames_per_presenter_s"),
    ("ballots per SQLite commit", "phases.0.ballots_per_commit"),
    ("server RSS max MiB", "phases.0.rss_max_mib"),
]
SLOW: list[Pick] = [
    ("slow: vote-to-screen p99 ms", "phases.1.screen_latency_ms.p99"),
    ("slow: p99 change %", "slow_vs_baseline.p99_change_pct"),
    ("slow: frames /s per phone", "phases.1.frames_per_phone_s"),
    ("slow: server RSS max MiB", "phases.1.rss_max_mib"),
    ("slow: stalled sockets", "phases.1.stalled.count"),
    ("slow: stalled closed by server", "phases.1.stalled.closed_by_server"),
]
STORM: list[Pick] = [
    ("storm: back of watched", "storm.back"),
    ("storm: all back after drop, s", "storm.all_back_after_loss_s"),
    ("storm: all back after first reconnect, s", "storm.all_back_after_first_reconnect_s"),
    ("storm: p50 s", "storm.p50_s"),
    ("storm: p99 s", "storm.p99_s"),
    ("storm: server away, s", "storm.server_away_s"),
    ("storm: server CPU ms per reconnect", "storm.server_cpu_ms_per_reconnect"),
]


def dig(report: Any, path: str) -> float | None:
    value = report
    for part in path.split("."):
        if isinstance(value, list):
            index = int(part)
            value = value[index] if index < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
        if value is None:
            return None
    return float(value) if isinstance(value, int | float) else None


def summarize(directory: Path) -> str:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for file in sorted(directory.glob("*.json")):
        name = re.sub(r"-\d+$", "", file.stem)
        groups[name].append(json.loads(file.read_text("utf-8")))
    lines = []
    for name, reports in groups.items():
        picks = COMMON + (LOAD if reports[0]["phases"] else []) + (SLOW if len(reports[0]["phases"]) > 1 else [])
        picks += STORM if reports[0].get("storm") else []
        verdicts = [r["exactness"]["verdict"].split(" ")[0] for r in reports]
        lines.append(f"\n## {name} ({len(reports)} runs; exactness: {', '.join(verdicts)})")
        for label, path in picks:
            values = [v for v in (dig(r, path) for r in reports) if v is not None]
            if not values:
                continue
            runs = ", ".join(f"{v:,.1f}" for v in values)
            lines.append(f"- {label}: **{statistics.median(values):,.1f}** (runs: {runs})")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
