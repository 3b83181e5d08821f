"""Cross-site ballots in a real headless Chromium (launched as in test_browser.py): a page on a sibling origin
of the same site cannot change a participant's ballot with a no-cors request. Another port of the same host
is another origin but the same site, so the browser sends the SameSite=Lax participant cookie with it (a
page on another host, e.g. 127.0.0.2, is another site: there the browser already withholds the cookie)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from support.server import LivepollClient, ServerProcess, free_port

playwright_api = pytest.importorskip("playwright.async_api")

pytestmark = pytest.mark.browser

ATTACK = """<!doctype html><meta charset="utf-8"><title>loading</title>
<script>
fetch(%(votes)s, {method: "POST", mode: "no-cors", credentials: "include",
                  headers: {"Content-Type": "text/plain"}, body: JSON.stringify({question: "q1", choices: ["o2"]})})
  .then(() => { document.title = "sent"; }, () => { document.title = "failed"; });
</script>"""


@pytest.fixture(scope="module")
def backend_name() -> str:
    """The guard is in the web layer; the embedded backend is enough."""
    return "embedded"


class AttackSite:
    """A page served by the stdlib http.server from another loopback origin."""

    def __init__(self, host: str) -> None:
        self.page = b""
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(site.page)))
                self.end_headers()
                self.wfile.write(site.page)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, free_port(host)), Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture
def attack_site() -> Iterator[AttackSite]:
    """The attacker's page: same host as the server, another port (a sibling origin of the same site)."""
    site = AttackSite("127.0.0.1")
    try:
        yield site
    finally:
        site.close()


async def test_page_on_a_sibling_origin_cannot_change_a_ballot(
    api: LivepollClient, server: ServerProcess, browser: Any, attack_site: AttackSite
) -> None:
    """B15: the participant votes from the session's page (JSON, same origin: counted); then, in the same
    browser, a page from another origin posts a different ballot with a no-cors fetch: it is refused and
    the counted ballot stays."""
    code, key, _ = await api.create_session()
    context = await browser.new_context()
    try:
        phone = await context.new_page()
        await phone.goto(server.url(f"/{code}"))
        status = await phone.evaluate(
            """async (code) => (await fetch(`/api/v1/sessions/${code}/votes`, {method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({question: "q1", choices: ["o1"]})})).status""",
            code,
        )
        assert status == 200
        assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 0}, 1)

        votes = server.url(f"/api/v1/sessions/{code}/votes")
        attack_site.page = (ATTACK % {"votes": f'"{votes}"'}).encode()
        evil = await context.new_page()
        await evil.goto(attack_site.url)
        await evil.wait_for_function("document.title !== 'loading'", timeout=15_000)
        assert await evil.title() == "sent"  # the request left the browser
        assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 0}, 1)
    finally:
        await context.close()
