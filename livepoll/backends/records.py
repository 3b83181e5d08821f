"""How both engines write a ballot's tally counts (`model.Answer.counts`) as text.

Counts are `key SEP amount SEP key SEP amount ...`. Keys are option ids, statement ids or normalised words:
the model strips control characters from every text, so the separators never occur in them.
"""

from __future__ import annotations

from collections.abc import Iterable

COUNT_SEPARATOR = "\x1f"
Counts = tuple[tuple[str, int], ...]


def encode_counts(counts: Iterable[tuple[str, int]]) -> str:
    return COUNT_SEPARATOR.join(f"{key}{COUNT_SEPARATOR}{amount}" for key, amount in counts)


def decode_counts(text: str) -> Counts:
    if not text:
        return ()
    parts = text.split(COUNT_SEPARATOR)
    return tuple((parts[n], int(parts[n + 1])) for n in range(0, len(parts) - 1, 2))
