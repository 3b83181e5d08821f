"""Command line: `livepoll serve`, `livepoll demo`, `livepoll bench`."""

from __future__ import annotations

import asyncio
import os
import sys

import click
import uvicorn

from livepoll import __version__
from livepoll.backends import open_backend
from livepoll.config import ConfigError, Settings, load_settings
from livepoll.logs import log_config
from livepoll.model import group_join_code
from livepoll.polls import EXAMPLES, CreatedSession, Polls, load_example
from livepoll.web.connections import HeadTimeoutProtocol


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _base_url(settings: Settings, host: str, port: int) -> str:
    if settings.public_url:
        return settings.public_url
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


async def _create_examples(settings: Settings) -> list[CreatedSession]:
    """The example sessions: the webinar's poll (live) and its evaluation survey (self-paced, pl + uk)."""
    backend = open_backend(settings)
    await backend.start()
    try:
        secret = settings.secret or (await backend.shared_secret("cookie_secret", _token))[0]
        polls = Polls(backend, secret)
        created = []
        for name in EXAMPLES:
            example = load_example(name)
            options = example.options()
            created.append(await polls.create(example.title, example.drafts, **options))  # type: ignore[arg-type]
        return created
    finally:
        await backend.stop()


def _token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


def _print_demo(sessions: list[CreatedSession], base: str) -> None:
    for created in sessions:
        code = created.session.code
        click.echo(f"Example session: {created.session.title} ({created.session.mode.value.replace('_', '-')})")
        click.echo(f"  Join code:  {group_join_code(code)}   ({base}/{code})")
        click.echo(f"  Host panel: {base}/host/{code}?key={created.host_key}")
        click.echo(f"  Presenter:  {base}/present/{code}?key={created.host_key}")


def _serve(settings: Settings, host: str, port: int, workers: int, log_level: str) -> None:
    if workers > 1 and not settings.redis_url:
        raise click.ClickException(
            f"--workers {workers} needs shared state: the embedded store lives in one process. "
            "Set LIVEPOLL_REDIS_URL (e.g. redis://127.0.0.1:6379/0) or use --workers 1."
        )
    base = _base_url(settings, host, port)
    if settings.redis_url:
        where = f"Redis at {settings.redis_url.split('@')[-1]} (key prefix {settings.redis_prefix!r})"
    else:
        where = f"embedded store in {settings.data_dir}"
    click.echo(f"livepoll {__version__}: {where}")
    click.echo(f"  Host (create and run sessions): {base}/host")
    click.echo(f"  Participants join at:           {base}/")
    if not settings.admin_token:
        token_home = settings.data_dir / "admin_token" if not settings.redis_url else "Redis"
        click.echo(f"  Admin token: LIVEPOLL_ADMIN_TOKEN, or the one generated in {token_home}")
    if os.environ.get("FORWARDED_ALLOW_IPS") and not settings.forwarded_allow_ips:
        click.echo("  Warning: FORWARDED_ALLOW_IPS is ignored; name trusted proxies in LIVEPOLL_FORWARDED_ALLOW_IPS.")
    uvicorn.run(
        "livepoll.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=HeadTimeoutProtocol,
        ws="websockets-sansio",
        ws_max_size=settings.ws_max_size,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        ws_per_message_deflate=settings.ws_per_message_deflate,
        timeout_graceful_shutdown=10,
        log_config=log_config(log_level),
        log_level=log_level,
        # X-Forwarded-For/-Proto only from the proxies named in LIVEPOLL_FORWARDED_ALLOW_IPS, none by default.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=list(settings.forwarded_allow_ips),
        server_header=False,
    )


@click.group()
@click.version_option(__version__, prog_name="livepoll")
def main() -> None:
    """livepoll: live audience polling you host yourself."""


_host = click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
_port = click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
_workers = click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64),
    help="Server processes on this port (more than one needs LIVEPOLL_REDIS_URL).",
)
_log_level = click.option(
    "--log-level", default="info", show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)


@main.command()
@_host
@_port
@_workers
@_log_level
@click.option("--demo", is_flag=True, help="Create the example session before starting.")
def serve(host: str, port: int, workers: int, log_level: str, demo: bool) -> None:
    """Start the server (embedded store unless LIVEPOLL_REDIS_URL is set)."""
    settings = _settings()
    if demo:
        _print_demo(asyncio.run(_create_examples(settings)), _base_url(settings, host, port))
    _serve(settings, host, port, workers, log_level)


@main.command()
@_host
@_port
@_workers
@_log_level
@click.option("--no-serve", is_flag=True, help="Only create the example session and print its links.")
def demo(host: str, port: int, workers: int, log_level: str, no_serve: bool) -> None:
    """Create the example sessions, print their join codes and host links, then start the server."""
    settings = _settings()
    _print_demo(asyncio.run(_create_examples(settings)), _base_url(settings, host, port))
    if not no_serve:
        _serve(settings, host, port, workers, log_level)


try:
    from livepoll.bench.command import bench

    main.add_command(bench)
except ImportError:  # pragma: no cover - the bench package is optional in stripped-down installs
    pass


if __name__ == "__main__":
    sys.exit(main())
