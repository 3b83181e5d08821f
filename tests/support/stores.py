"""Helpers for tests that drive a Backend directly (no server)."""

from __future__ import annotations

from livepoll.backends.base import Backend
from livepoll.model import Tally


async def tallies(backend: Backend, code: str) -> dict[str, Tally]:
    """The tally of every question of the session ({} when there is no such session)."""
    session = await backend.get_session(code)
    if session is None:
        return {}
    data = await backend.question_data(code, dict.fromkeys((q.id for q in session.questions), False))
    return {question_id: found.tally for question_id, found in data.items()}
