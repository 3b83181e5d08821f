"""The garbage-collection policy of a running server (livepoll/gcpolicy.py): what was alive at start-up is
frozen (never traversed by a collection again) and young collections are rare enough that what a ballot
allocates is freed by reference counting before a collection could promote it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from livepoll import gcpolicy


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_tune_freezes_what_is_alive_and_makes_young_collections_rare(restored_gc: None) -> None:
    alive = [object() for _ in range(10)] + [[n] for n in range(1000)]
    gcpolicy.tune()
    assert gc.get_freeze_count() >= len(alive)
    assert gc.get_threshold()[0] == gcpolicy.YOUNG_THRESHOLD
    # Cycles made after start-up are still collected.
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1
