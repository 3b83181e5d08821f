"""Settings from LIVEPOLL_* environment variables, validated at start.

A bad value stops the server with a message that names the variable (pydantic-settings does the parsing).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "livepoll"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIVEPOLL_", extra="ignore", frozen=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    public_url: str | None = None
    admin_token: str | None = None
    secret: str | None = None
    redis_url: str | None = None
    # A redis:// URL names one node of a Redis Cluster (the same as a redis+cluster:// URL).
    redis_cluster: bool = False
    # After each batch of ballots the writer waits (WAIT) until this many replicas have it before it
    # acknowledges; 0: an acknowledgement means the primary has it (docs/deploy.md says what each promises).
    redis_wait_replicas: int = Field(default=0, ge=0, le=16)
    redis_prefix: str = "lp"
    # A ballot that Redis has not stored within this many seconds fails with a retryable error.
    redis_timeout: float = Field(default=1.0, gt=0, le=30)
    retention_days: float = Field(default=30, gt=0)
    # Extra origins (besides the server's own) whose pages may open WebSockets, comma-separated.
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()

    # WebSocket limits, passed to uvicorn. Ballots are < 1 KiB; 64 KiB leaves room for later question kinds.
    ws_max_size: int = Field(default=64 * 1024, ge=1024)
    ws_ping_interval: float = Field(default=20.0, gt=0)
    ws_ping_timeout: float = Field(default=20.0, gt=0)
    # Per-message deflate costs ~35 KiB per idle socket and prevents sending one encoded frame to all.
    ws_per_message_deflate: bool = False

    # Coalescing: at most this many snapshots per second to a presenter screen on average, and to phones.
    presenter_rate: float = Field(default=10.0, gt=0, le=60)
    phone_rate: float = Field(default=2.0, gt=0, le=10)
    # After a quiet spell up to this many presenter frames go out at once (a lone ballot shows without
    # waiting for a tick), never closer together than presenter_min_gap seconds.
    presenter_burst: int = Field(default=3, ge=1, le=20)
    presenter_min_gap: float = Field(default=0.02, ge=0.0, le=1.0)
    # Overload admission: past this many ballots in progress (read, not yet answered), while answered ones
    # waited long lately, a process refuses more at once with the retryable error (livepoll/admission.py).
    ballot_queue_limit: int = Field(default=1000, ge=1, le=1_000_000)

    # Request bodies (web/bodies.py). A ballot or a control is < 1 KiB. Creating a session carries every
    # question: the largest valid one (100 questions x 30 options at their longest) is ~650,000 characters,
    # ~1.3 MB of Cyrillic as JSON, ~3.9 MB as a URL-encoded form; only an admin's body is read that far.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_large_body_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    # Seconds a body may pause between two pieces, and seconds for a whole body, before 408.
    body_idle_timeout: float = Field(default=5.0, gt=0, le=60)
    body_timeout: float = Field(default=60.0, gt=0, le=600)
    # Seconds for a request head: from a connection's opening, or from a kept-alive request's first byte.
    head_timeout: float = Field(default=5.0, gt=0, le=60)

    # Proxies whose X-Forwarded-For/-Proto are believed: comma-separated addresses or networks, or "*".
    # Empty: nobody's (a client could otherwise pick the address the join-code limiter counts).
    forwarded_allow_ips: Annotated[tuple[str, ...], NoDecode] = ()
    # Documents (workbook, PDF, PNG) built at once; each takes a core for up to seconds, more requests wait.
    document_renders: int = Field(default=2, ge=1, le=16)
    # Words and phrases blocked on top of the shipped pl/uk/en lists (livepoll/blocklist.py has the format).
    blocklist_file: Path | None = None

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        from livepoll.backends.redis_clients import topology

        topology(value)  # raises ValueError naming what is wrong
        return value

    @model_validator(mode="after")
    def _wait_needs_one_primary(self) -> Settings:
        if self.redis_url and self.redis_wait_replicas:
            from livepoll.backends.redis_clients import topology

            if topology(self.redis_url, self.redis_cluster).kind == "cluster":
                raise ValueError(
                    "LIVEPOLL_REDIS_WAIT_REPLICAS needs one primary (redis:// or redis+sentinel://), not a Cluster"
                )
        return self

    @field_validator("blocklist_file", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("blocklist_file")
    @classmethod
    def _readable_text(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        try:
            value.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read {value}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ValueError(f"{value} is not UTF-8 text") from None
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        proxies = tuple(part.strip() for part in value.split(",") if part.strip())
        for proxy in proxies:
            if proxy != "*":
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError:
                    raise ValueError(f"{proxy!r} is not an IP address or network (nor *)") from None
        return proxies

    @property
    def https(self) -> bool:
        """Participants reach this server over HTTPS (LIVEPOLL_PUBLIC_URL says so)."""
        return self.public_url is not None and self.public_url.startswith("https://")

    @property
    def retention_seconds(self) -> float:
        return self.retention_days * 86400.0


class ConfigError(Exception):
    pass


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"LIVEPOLL_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"Invalid configuration: {problems}") from None
