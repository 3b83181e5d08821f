"""Operations: what /readyz tells whom, the security headers on every response, and whose X-Forwarded-For
the server believes (by default nobody's, so a client cannot pick the address the limiters count)."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable

import httpx
import pytest
from support.server import ADMIN_TOKEN, LivepollClient, ServerProcess, run_cli

HSTS = "max-age=31536000"
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")
SPOOFED = "203.0.113.9"  # TEST-NET-3: an address no test machine has


# /readyz ------------------------------------------------------------------------------------------------------


async def test_readyz_gives_details_only_to_the_admin(api: LivepollClient) -> None:
    """Anyone learns whether the process is ready, with the same status; only the admin token shows the
    backend's detail (file paths, Redis state, last error)."""
    public = await api.get("/readyz")
    assert public.status_code == 200
    assert public.json() == {"ready": True}
    wrong = await api.get("/readyz", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.json() == {"ready": True}
    admin = await api.get("/readyz", headers=api.admin_headers())
    assert admin.status_code == 200
    assert admin.json()["ready"] is True
    assert admin.json()["backend"]["backend"] == api.server.backend_name


# Security headers ---------------------------------------------------------------------------------------------


def assert_permissions_policy(response: httpx.Response) -> None:
    policy = response.headers.get("permissions-policy", "")
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in policy, (response.url, policy)
    assert "fullscreen=(self)" in policy, policy


async def test_every_response_denies_devices_and_http_stays_without_hsts(api: LivepollClient) -> None:
    """Pages, API answers, errors, static files and refused bodies all carry a Permissions-Policy that
    denies camera, microphone, location, payment and USB; a plain-HTTP server sends no HSTS."""
    responses = [
        await api.get("/"),
        await api.get("/healthz"),
        await api.get("/static/common.js"),
        await api.get("/api/v1/sessions/11111111"),
        await api.get("/no/such/page"),
        await api.post("/api/v1/sessions/11111111/votes", content=b" " * (64 * 1024 + 1)),
    ]
    assert [r.status_code for r in responses][-1] == 413
    for response in responses:
        assert_permissions_policy(response)
        assert "strict-transport-security" not in response.headers


async def test_https_public_url_sends_hsts(make_server: Callable[..., ServerProcess]) -> None:
    """With LIVEPOLL_PUBLIC_URL on https, every response tells browsers to use HTTPS only for a year."""
    server = make_server(env={"LIVEPOLL_PUBLIC_URL": "https://ankiety.example.gov.pl"})
    async with LivepollClient(server) as api:
        for response in (await api.get("/"), await api.get("/api/v1/sessions/11111111"), await api.get("/readyz")):
            assert response.headers.get("strict-transport-security") == HSTS, response.url
            assert_permissions_policy(response)


@pytest.mark.browser
async def test_chromium_reads_the_permissions_policy(make_server: Callable[..., ServerProcess]) -> None:
    """Chromium understands every feature named (no console complaint) and applies it: no camera or
    microphone for the page, full screen still allowed (the presenter uses it)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    server = make_server()
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    async with playwright_api.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = await browser.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            await page.goto(server.url("/"))
            allowed = await page.evaluate(
                "features => features.map(f => document.featurePolicy.allowsFeature(f))",
                ["camera", "microphone", "geolocation", "payment", "usb", "fullscreen"],
            )
        finally:
            await browser.close()
    assert allowed == [False, False, False, False, False, True]
    assert not [line for line in console if "Permissions-Policy" in line], console


# X-Forwarded-For ----------------------------------------------------------------------------------------------


def client_from(server: ServerProcess, source: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    return httpx.AsyncClient(base_url=server.base_url, transport=transport, timeout=15.0, trust_env=False)


async def address_seen(server: ServerProcess, source: str) -> str:
    """The client address the server logs for a request from `source` that claims to forward SPOOFED."""
    marker = uuid.uuid4().hex
    async with client_from(server, source) as client:
        response = await client.get(f"/healthz?probe={marker}", headers={"X-Forwarded-For": SPOOFED})
        assert response.status_code == 200
    found = re.search(rf"(\S+):\d+ - \"GET /healthz\?probe={marker} ", server.log_text())
    assert found, server.log_tail()
    return found[1]


async def test_forwarded_for_is_believed_from_no_one_by_default(make_server: Callable[..., ServerProcess]) -> None:
    """Without LIVEPOLL_FORWARDED_ALLOW_IPS (and with uvicorn's own FORWARDED_ALLOW_IPS=* left from an old
    setup, which is now ignored with a warning) a client's X-Forwarded-For and -Proto change nothing: the
    code-guess limiter counts the real address however the header varies, and links stay http."""
    server = make_server(env={"FORWARDED_ALLOW_IPS": "*"})
    assert "FORWARDED_ALLOW_IPS is ignored" in server.log_text()
    assert await address_seen(server, "127.0.0.1") == "127.0.0.1"
    assert await address_seen(server, "127.0.0.91") == "127.0.0.91"

    async with client_from(server, "127.0.0.91") as client:
        statuses = []
        for n in range(200):  # far past any guessing allowance; each miss claims a new address
            response = await client.get("/api/v1/sessions/11111111", headers={"X-Forwarded-For": f"198.51.100.{n}"})
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[-1] == 429, f"never limited: {statuses[:5]}... ({len(statuses)} guesses)"
        created = await client.post("/api/v1/sessions", json={"title": "T", "questions": [
            {"text": "Q", "options": ["a", "b"]}]}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                                          "X-Forwarded-Proto": "https"})
        assert created.status_code == 201, created.text
        assert created.json()["links"]["join"].startswith("http://127.0.0.1:")


async def test_forwarded_for_is_believed_from_the_named_proxy(make_server: Callable[..., ServerProcess]) -> None:
    """LIVEPOLL_FORWARDED_ALLOW_IPS names the proxy: its X-Forwarded-For is the client's address and its
    X-Forwarded-Proto the scheme; another local address is still not believed."""
    server = make_server(env={"LIVEPOLL_FORWARDED_ALLOW_IPS": "127.0.0.91"})
    assert await address_seen(server, "127.0.0.91") == SPOOFED
    assert await address_seen(server, "127.0.0.1") == "127.0.0.1"
    async with client_from(server, "127.0.0.91") as client:
        created = await client.post("/api/v1/sessions", json={"title": "T", "questions": [
            {"text": "Q", "options": ["a", "b"]}]}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                                          "X-Forwarded-Proto": "https"})
        assert created.status_code == 201, created.text
        assert created.json()["links"]["join"].startswith("https://")


def test_a_proxy_that_is_not_an_address_stops_the_server() -> None:
    """A misspelt proxy address is a configuration error that names the variable, not a silent no-op."""
    result = run_cli(["serve", "--port", "1"], env={"LIVEPOLL_FORWARDED_ALLOW_IPS": "10.0.0.5, caddy"})
    assert result.returncode != 0
    assert "LIVEPOLL_FORWARDED_ALLOW_IPS" in result.stderr + result.stdout
