"""Backends are chosen by URL: no LIVEPOLL_REDIS_URL means the embedded default (SQLite in the data dir)."""

from __future__ import annotations

from livepoll.backends.base import Backend, BackendHealth, BackendUnavailable, CodeTaken
from livepoll.config import Settings

__all__ = ["Backend", "BackendHealth", "BackendUnavailable", "CodeTaken", "open_backend"]


def open_backend(settings: Settings) -> Backend:
    """The backend the settings name; engines are imported only when chosen."""
    if settings.redis_url:
        from livepoll.backends.redis import RedisBackend

        return RedisBackend(
            settings.redis_url,
            prefix=settings.redis_prefix,
            timeout=settings.redis_timeout,
            retention_seconds=settings.retention_seconds,
            cluster=settings.redis_cluster,
            wait_replicas=settings.redis_wait_replicas,
        )
    from livepoll.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(settings.data_dir)
