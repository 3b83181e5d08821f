"""Guess budgets: their shape, their arithmetic, and the in-memory table the embedded backend keeps.

`redis_guesses.lua` does the same on Redis, for all processes at once; keep the two in step.

A bucket holds `level` guesses at time `at` and refills at `refill_per_second` up to `burst`. A miss takes
one guess. The miss that overdraws the bucket (level below zero) starts the cooling: the address is refused
until `till`, at least `cooling_seconds` and at least until the debt is repaid (misses that were already in
flight add to it). So an address's first `burst` misses in a row are answered, and over any interval of T
seconds it gets at most `burst + 1 + refill_per_second * T` codes looked up (plus whatever it had in
flight). A bucket that would be full again is forgotten.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GuessBudget:
    """How many wrong guesses (join codes, admin tokens) one address may make: a token bucket of `burst`
    misses, refilled at `refill_per_second`. The miss that overdraws it starts a cooling period: every guess
    is refused for `cooling_seconds`, and until the overdraft is repaid. The numbers and why they hold are in
    `web/limits.py`."""

    name: str
    burst: float
    refill_per_second: float
    cooling_seconds: float


# Addresses remembered at most; the one whose bucket changed least recently is forgotten first (it gets a
# full bucket back), so memory stays bounded under a scan from many addresses.
MAX_TRACKED_ADDRESSES = 10_000


@dataclass(slots=True)
class Bucket:
    level: float
    at: float
    till: float

    def expires(self, budget: GuessBudget) -> float:
        """When the bucket is full again and the address need not be remembered any more."""
        refill = self.at + max(0.0, budget.burst - self.level) / budget.refill_per_second
        return max(self.till, refill)


def spend(budget: GuessBudget, bucket: Bucket | None, misses: int, now: float) -> Bucket:
    """The bucket after `misses` (>= 1) wrong guesses at `now`; None stands for a full bucket."""
    if bucket is None:
        level, till = budget.burst, 0.0
    else:
        level = min(budget.burst, bucket.level + max(0.0, now - bucket.at) * budget.refill_per_second)
        till = bucket.till
    level -= misses
    if level < 0:
        repaid = -level / budget.refill_per_second
        till = max(till, now + max(budget.cooling_seconds, repaid))
    return Bucket(level, now, till)


class GuessBuckets:
    """Every address's bucket, in this process's memory (the embedded backend is one process)."""

    def __init__(self, max_tracked: int = MAX_TRACKED_ADDRESSES) -> None:
        self.max_tracked = max_tracked
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def spend(self, budget: GuessBudget, key: str, misses: int, now: float) -> float:
        """See `Backend.spend_guess_budget`; `now` is a monotonic clock in seconds."""
        key = f"{budget.name}:{key}"
        bucket = self._buckets.get(key)
        if bucket is not None and bucket.expires(budget) <= now:
            del self._buckets[key]
            bucket = None
        if misses > 0:
            bucket = spend(budget, bucket, misses, now)
            self._buckets[key] = bucket
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_tracked:
                self._buckets.popitem(last=False)
        return 0.0 if bucket is None else max(0.0, bucket.till - now)

    def __len__(self) -> int:
        return len(self._buckets)
