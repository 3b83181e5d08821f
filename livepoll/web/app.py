"""The Starlette application and its lifespan: open the backend, load secrets, start the live hub."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livepoll import gcpolicy, metrics
from livepoll.admission import Admission
from livepoll.backends import Backend, open_backend
from livepoll.blocklist import Blocklist
from livepoll.config import Settings, load_settings
from livepoll.live import LiveHub
from livepoll.polls import Polls
from livepoll.resources import static_dir
from livepoll.tasks import cancel_and_wait
from livepoll.web import api, doors, openapi, sockets
from livepoll.web.auth import Credentials
from livepoll.web.bodies import BodyLimits, BoundedBodies
from livepoll.web.errors import exception_handlers
from livepoll.web.limits import GuessLimiter
from livepoll.web.state import credentials_of
from livepoll.words import words_rules

log = logging.getLogger("livepoll")

RETENTION_SWEEP_SECONDS = 3600.0

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# livepoll needs no device or sensor; the presenter screen uses the Fullscreen API on its own pages.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), "
    "idle-detection=(), magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), "
    "screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=(), fullscreen=(self)"
)
# Sent only when LIVEPOLL_PUBLIC_URL is https: browsers then refuse plain HTTP to this host for a year.
HSTS_MAX_AGE = 365 * 86400
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
]


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    if settings.https:
        return [*SECURITY_HEADERS, (b"strict-transport-security", f"max-age={HSTS_MAX_AGE}".encode())]
    return list(SECURITY_HEADERS)


class SecurityHeaders:
    """Adds CSP and friends to every HTTP response (a plain ASGI middleware: no per-request task)."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready or not for anyone; the backend's detail (file paths, last error) only with the admin token."""
    backend: Backend = request.app.state.backend
    health = backend.health()
    metrics.BACKEND_READY.set(1 if health.ready else 0)
    body: dict[str, object] = {"ready": health.ready}
    credentials = credentials_of(request)
    bearer = credentials.bearer(request)
    if (bearer is None and credentials.has_admin_cookie(request)) or await doors.admin_token_ok(request, bearer):
        body["backend"] = health.detail
    return JSONResponse(body, status_code=200 if health.ready else 503)


async def metrics_endpoint(request: Request) -> Response:
    hub: LiveHub = request.app.state.hub
    metrics.SNAPSHOT_ENCODES.set(hub.encodes)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _load_secret(backend: Backend, configured: str | None, name: str) -> str:
    if configured:
        return configured
    value, created = await backend.shared_secret(name, lambda: secrets.token_urlsafe(32))
    if created and name == "admin_token":
        # Shown once, when it is made; afterwards it is read from where the backend keeps it.
        print(f"livepoll: generated admin token (log in at /host): {value}", flush=True)
    return value


async def _sweep_expired(backend: Backend, settings: Settings) -> None:
    while True:
        try:
            removed = await backend.expire_sessions(time.time() - settings.retention_seconds)
            if removed:
                log.info("retention: deleted %d inactive session(s)", removed)
        except Exception:
            log.warning("retention sweep failed; trying again later", exc_info=True)
        await asyncio.sleep(RETENTION_SWEEP_SECONDS)


def create_app(settings: Settings | None = None, backend: Backend | None = None) -> Starlette:
    settings = settings or load_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = backend or open_backend(settings)
        await store.start()
        secret = await _load_secret(store, settings.secret, "cookie_secret")
        admin_token = await _load_secret(store, settings.admin_token, "admin_token")
        app.state.settings = settings
        app.state.backend = store
        app.state.polls = Polls(store, secret, words_rules(Blocklist.load(settings.blocklist_file)),
                               Admission(settings.ballot_queue_limit))
        app.state.credentials = Credentials(settings, secret, admin_token)
        app.state.hub = LiveHub(store, settings.presenter_rate, settings.phone_rate,
                                burst=settings.presenter_burst, min_gap=settings.presenter_min_gap)
        app.state.guesses = GuessLimiter(store, secret)
        sweeper = asyncio.create_task(_sweep_expired(store, settings), name="livepoll-retention")
        gcpolicy.tune()  # started: rare full collections from here on (livepoll/gcpolicy.py)
        try:
            yield
        finally:
            await cancel_and_wait(sweeper)
            await store.stop()

    from livepoll.web import pages

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        *openapi.routes,
        *api.routes,
        *sockets.routes,
        Mount("/static", app=StaticFiles(directory=static_dir()), name="static"),
        *pages.routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=exception_handlers)
    app.add_middleware(BoundedBodies, limits=BodyLimits.from_settings(settings))
    app.add_middleware(SecurityHeaders, headers=security_headers(settings))  # outermost: refusals get them too
    return app
