"""Garbage collection for a process that holds thousands of connections.

CPython's cycle collector runs a full collection (every tracked object: with 10,000 participants connected,
millions of them: each connection's protocol, parser, task and coroutine frames) once the objects promoted
into the oldest generation since the last one exceed a quarter of it. Under ballot load everything a ballot
holds while it waits (its future, records, the frames of its coroutines) is alive at most young
collections (one per 700 allocations by default), so it is promoted and dies old: full collections came every
few seconds and stopped the event loop for 0.5–5 s each on the 2-core machine (docs/performance.md, "slow
phones on Redis"), which was the seconds-long latency tail. Two changes:

- young collections every YOUNG_THRESHOLD allocations instead of 700: what a ballot allocates is freed by
  reference counting long before, so far fewer short-lived objects are promoted and full collections become
  rare (the young collection itself stays a few ms);
- everything alive once the server has started (modules, catalogs, templates, schemas) is frozen: never
  traversed again.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def tune() -> None:
    """Call once, when the server has started (before the first connection)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
