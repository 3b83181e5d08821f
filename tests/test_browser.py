"""End to end in a real headless Chromium (Debian's `chromium`, driven by Playwright; Playwright's own browser
download is never used): a phone votes and the presenter's chart follows; the participant page survives
the server going away, and falls back to polling when a proxy blocks WebSockets."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from support.server import LivepollClient, ServerProcess

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SCREEN = {"viewport": {"width": 1280, "height": 720}}
# How long a page may take to show a change (ms): generous, since Chromium shares a loaded 2-core machine with
# the server and Redis; only a failing test waits this long.
UI_WAIT = 10_000
# Headroom (s) on a bound that is the behaviour under test; the strict figures are `livepoll bench`'s.
MARGIN = 1.5
# Console noise a test may expect (a socket to a server that is down); anything else fails the test.
EXPECTED_WHEN_OFFLINE = ("WebSocket connection to", "Failed to load resource", "net::ERR_CONNECTION_REFUSED")


@pytest.fixture(scope="module")
def backend_name() -> str:
    """The browser tests are about the pages; the embedded backend is enough."""
    return "embedded"


class Console:
    """Console errors and uncaught exceptions of the pages a test opens (a CSP violation shows here)."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Any, name: str) -> None:
        page.on("console", lambda m: self.problems.append(f"{name}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"{name}: uncaught {e}"))

    def unexpected(self, allowed: tuple[str, ...] = ()) -> list[str]:
        return [p for p in self.problems if not any(a in p for a in allowed)]


async def open_presenter(browser: Any, server: ServerProcess, code: str, key: str, console: Console) -> Any:
    context = await browser.new_context(**SCREEN, locale="pl-PL")
    page = await context.new_page()
    console.watch(page, "presenter")
    await page.goto(server.url(f"/present/{code}?key={key}"))
    assert page.url == server.url(f"/present/{code}"), "the host key must leave the address bar"
    await page.wait_for_selector("#chart .bar-row")
    return page


async def open_phone(browser: Any, server: ServerProcess, code: str, console: Console, lang: str = "en") -> Any:
    context = await browser.new_context(**PHONE, locale="en-US")
    page = await context.new_page()
    console.watch(page, "phone")
    await page.goto(server.url(f"/{code}?lang={lang}"))
    await page.wait_for_selector("#vote-form #vote-button")
    return page


async def test_phone_vote_shows_on_the_presenter_chart_within_two_seconds(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """A 390x844 phone ticks an option and votes; the page says the vote is counted and the presenter's
    bar for that option shows 1 vote within 2 s, as /results does."""
    code, key, _ = await api.create_session(options=["miasto", "biznes lokalny", "NGO"], max_choices=2)
    console = Console()
    presenter = await open_presenter(browser, server, code, key, console)
    phone = await open_phone(browser, server, code, console)

    await phone.tap('label[for="opt-o2"]')
    await phone.tap("#vote-button")
    voted_at = time.monotonic()
    await phone.wait_for_selector("#vote-status .success", timeout=5_000)
    await presenter.wait_for_function(
        """() => {
          const value = document.querySelector('#chart .bar-row[data-option="o2"] .bar-value');
          return value !== null && value.textContent.trim().startsWith('1 ');
        }""",
        timeout=(2.0 + MARGIN) * 1000,
    )
    assert time.monotonic() - voted_at < 2.0 + MARGIN  # the phone's acknowledgement included
    assert "1" in (await presenter.text_content("#voters") or "")
    assert await api.votes(code, key) == ({"o1": 0, "o2": 1, "o3": 0}, 1)
    width = await presenter.eval_on_selector('.bar-row[data-option="o2"] .bar-fill', "e => e.style.width")
    assert width == "100%"
    assert console.unexpected() == []


async def test_presenter_keys_drive_the_session_and_phone_follows(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """On the presenter, → goes to the next question, o closes voting and h hides the results; the phone
    follows each change live."""
    questions: list[dict[str, object]] = [
        {"kind": "choice", "text": "Pierwsze pytanie", "options": ["a", "b"]},
        {"kind": "choice", "text": "Drugie pytanie", "options": ["x", "y", "z"]},
    ]
    code, key, _ = await api.create_session(questions=questions)
    console = Console()
    presenter = await open_presenter(browser, server, code, key, console)
    phone = await open_phone(browser, server, code, console)
    assert "Pierwsze pytanie" in (await phone.text_content(".question-text") or "")

    await presenter.keyboard.press("ArrowRight")
    await presenter.wait_for_function("() => document.querySelector('#question-text').textContent === 'Drugie pytanie'")
    await phone.wait_for_function("() => document.querySelector('.question-text')?.textContent === 'Drugie pytanie'")
    assert await phone.locator('input[name="choices"]').count() == 3

    await presenter.keyboard.press("o")
    await phone.wait_for_selector("#vote-status .closed", timeout=UI_WAIT)
    assert await phone.is_disabled('input[name="choices"] >> nth=0')
    await presenter.keyboard.press("h")
    await presenter.wait_for_selector("#results-hidden", state="visible", timeout=UI_WAIT)
    assert await presenter.locator("#chart .bar-row").count() == 0
    state: Any = (await api.results(code, key))["state"]
    assert state["current"] == "q2" and state["voting_open"] is False and state["results_visible"] is False
    assert console.unexpected() == []


async def test_participant_page_reconnects_and_delivers_a_vote_cast_while_offline(
    browser: Any, make_server: Callable[..., ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """With the server gone the page shows the reconnecting notice and keeps the ballot; when the server is
    back the notice clears and the ballot is acknowledged and counted once."""
    server = make_server()
    api = client_for(server)
    code, key, _ = await api.create_session()
    console = Console()
    phone = await open_phone(browser, server, code, console)

    server.stop()
    await phone.wait_for_selector("#connection:not([hidden])", timeout=8_000)
    assert "Reconnecting" in (await phone.text_content("#connection") or "")
    await phone.tap('label[for="opt-o1"]')
    await phone.tap("#vote-button")
    await phone.wait_for_selector("#vote-status .pending", timeout=UI_WAIT)

    server.start()
    await phone.wait_for_selector("#vote-status .success", timeout=20_000)
    await phone.wait_for_function(
        "() => { const c = document.querySelector('#connection');"
        " return c.hidden || !/Reconnecting/.test(c.textContent); }",
        timeout=5_000,
    )
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 0}, 1)
    # After a reload the tab still shows the remembered choice as counted.
    await phone.reload()
    await phone.wait_for_selector("#vote-status .success")
    assert await phone.is_checked("#opt-o1")
    assert console.unexpected(EXPECTED_WHEN_OFFLINE) == []


async def test_participant_page_polls_when_a_proxy_blocks_websockets(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """When every WebSocket is refused, the page says so, follows the host by polling the session
    endpoint, and votes over HTTP."""
    questions: list[dict[str, object]] = [
        {"kind": "choice", "text": "Pierwsze pytanie", "options": ["a", "b"]},
        {"kind": "choice", "text": "Drugie pytanie", "options": ["x", "y"]},
    ]
    code, key, _ = await api.create_session(questions=questions)
    console = Console()
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    console.watch(page, "phone")

    async def refuse(ws: Any) -> None:
        await ws.close(code=1011, reason="blocked by proxy")

    await page.route_web_socket("**/ws/v1/**", refuse)
    await page.goto(server.url(f"/{code}?lang=en"))
    await page.wait_for_function(
        "() => /every few seconds/.test(document.querySelector('#connection').textContent)", timeout=10_000
    )
    assert (await api.control(code, key, "goto", "q2")).status_code == 200
    await page.wait_for_function(
        "() => document.querySelector('.question-text')?.textContent === 'Drugie pytanie'", timeout=10_000
    )
    await page.tap('label[for="opt-o2"]')
    await page.tap("#vote-button")
    await page.wait_for_selector("#vote-status .success", timeout=10_000)
    assert await api.votes(code, key, "q2") == ({"o1": 0, "o2": 1}, 1)
    assert console.unexpected() == []


async def test_control_panel_buttons_use_the_api_and_show_the_live_state(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """In the control panel, Close voting and Show results on phones change the session (the phone
    follows), the preview shows a new vote live, the copy button reports success and reset (after its
    confirmation step) deletes the votes, which the phone shows by offering a fresh vote."""
    code, key, created = await api.create_session(options=["tak", "nie"])
    console = Console()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
    panel = await context.new_page()
    console.watch(panel, "panel")
    await panel.goto(server.url(f"/host/{code}?key={key}&lang=en"))
    assert panel.url == server.url(f"/host/{code}")
    phone = await open_phone(browser, server, code, console)

    await phone.tap('label[for="opt-o2"]')
    await phone.tap("#vote-button")
    await panel.wait_for_function(
        """() => document.querySelector('#preview-chart .bar-row[data-option="o2"] .bar-value')
                   ?.textContent.trim().startsWith('1 ')""",
        timeout=UI_WAIT,
    )

    await panel.click('form[data-action="show_on_phones"] button')
    await phone.wait_for_selector("#phone-results:not([hidden]) .bar-row", timeout=UI_WAIT)
    await panel.click('form[data-action="close"] button')
    await phone.wait_for_selector("#vote-status .closed", timeout=UI_WAIT)
    await panel.wait_for_selector('form[data-action="open"]:not([hidden])')
    assert "Voting is closed" in (await panel.text_content("#state-voting") or "")

    await panel.click("#copy-join")
    await panel.wait_for_function("() => /Link copied/.test(document.querySelector('#panel-status').textContent)")
    assert await panel.evaluate("navigator.clipboard.readText()") == created["links"]["join"]  # type: ignore[index]

    await panel.click('.question-item[data-question="q1"] details.reset summary')
    await panel.click('.question-item[data-question="q1"] form[data-action="reset"] button')
    await panel.wait_for_function(
        """() => document.querySelector('#preview-chart .bar-row[data-option="o2"] .bar-value')
                   ?.textContent.trim().startsWith('0 ')""",
        timeout=UI_WAIT,
    )
    assert await api.votes(code, key) == ({"o1": 0, "o2": 0}, 0)
    # The phone learns that its ballot was discarded: it says so and clears its selection; after reopening
    # it offers a fresh vote.
    await phone.wait_for_selector("#vote-status .cleared", timeout=3_000)
    assert "cleared" in (await phone.text_content("#vote-status") or "")
    assert await phone.evaluate("document.querySelectorAll('input[name=\"choices\"]:checked').length") == 0
    await panel.click('form[data-action="open"] button')
    await phone.wait_for_function(
        "() => !document.querySelector('#vote-status .success, #vote-status .closed')", timeout=UI_WAIT
    )
    await phone.tap('label[for="opt-o1"]')
    await phone.tap("#vote-button")
    await phone.wait_for_selector("#vote-status .success", timeout=UI_WAIT)
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0}, 1)
    assert console.unexpected() == []


async def test_a_new_tab_and_the_presenter_follow_what_the_server_counted(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """A phone votes; a second tab of the same phone shows the ballot as counted with its option checked
    (from the server, not from this tab's memory). When the host moves to another question and back, the
    first tab shows it counted again; a phone that never voted says nothing is counted."""
    code, key, _ = await api.create_session(
        questions=[{"kind": "choice", "text": "Pierwsze?", "options": ["tak", "nie"]},
                   {"kind": "choice", "text": "Drugie?", "options": ["a", "b"]}]
    )
    console = Console()
    phone = await open_phone(browser, server, code, console)
    await phone.tap('label[for="opt-o2"]')
    await phone.tap("#vote-button")
    await phone.wait_for_selector("#vote-status .success", timeout=5_000)

    second = await phone.context.new_page()
    console.watch(second, "second tab")
    await second.goto(server.url(f"/{code}?lang=en"))
    await second.wait_for_selector("#vote-status .success", timeout=5_000)
    assert await second.is_checked("#opt-o2") and not await second.is_checked("#opt-o1")

    await api.control(code, key, "goto", "q2")
    await phone.wait_for_selector('#vote-form[data-question="q2"]', timeout=5_000)
    assert await phone.query_selector("#vote-status .success") is None
    await api.control(code, key, "goto", "q1")
    await phone.wait_for_selector('#vote-form[data-question="q1"]', timeout=5_000)
    await phone.wait_for_selector("#vote-status .success", timeout=5_000)
    assert await phone.is_checked("#opt-o2")

    stranger = await open_phone(browser, server, code, console)
    assert await stranger.query_selector("#vote-status .success") is None
    assert not await stranger.is_checked("#opt-o2")
    assert console.unexpected() == []
