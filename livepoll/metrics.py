"""Prometheus metrics (`/metrics`). Process CPU and RSS come from prometheus-client's process collector;
`livepoll bench` reads them from here so its figures do not depend on the load generator."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

BALLOTS = Counter("livepoll_ballots_total", "Ballots received, by outcome.", ["outcome"])
PARTICIPANT_IDS_ISSUED = Counter(
    "livepoll_participant_ids_issued_total",
    "New participant ids handed out (a burst from one room means cleared cookies or a script).",
)
CONNECTIONS = Gauge("livepoll_websocket_connections", "Open WebSocket connections, by role.", ["role"])
# Children bound once: the ballot path increments one of these per ballot without a label lookup.
BALLOT_OUTCOMES = {name: BALLOTS.labels(name) for name in ("accepted", "unchanged", "refused", "unavailable")}
SNAPSHOT_ENCODES = Gauge("livepoll_snapshot_encodes", "Snapshot frames encoded since start (one per tick and kind).")
BACKEND_READY = Gauge("livepoll_backend_ready", "1 when the backend and its notice listener are healthy.")
