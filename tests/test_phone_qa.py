"""The participant page's Questions (Q&A) tab, against a real server on both backends: in a real headless
Chromium a phone asks (counter, remembered name), a second phone upvotes with one tap (aria-pressed) and both
see the count, a second tap withdraws it; one's own pending question shows as waiting for approval until the
host approves it; refusals are explained in the page's language; the tab follows by polling when WebSockets
are blocked. Without JavaScript the same tab asks, upvotes and withdraws through form posts that redirect
back, sorts popular / recent, and explains every refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from support.chromium import chromium
from support.server import LivepollClient, ServerProcess
from test_browser import PHONE, UI_WAIT, Console

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

QUESTIONS = [{"kind": "choice", "text": "Czy?", "options": ["tak", "nie"]}]
# The first question a server stores waits until its blocklist and dictionaries are loaded (a few seconds; far
# more on a loaded machine): asks get this long (ms).
WORDS_WAIT = 60_000
# One polling round of the page (4 s plus up to 2 s of jitter), with room for a loaded machine (ms).
POLL_WAIT = 20_000


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    """One headless Debian Chromium for the module (each test opens its own contexts)."""
    async with chromium() as launched:
        yield launched


@pytest_asyncio.fixture(loop_scope="module")
async def api(server: ServerProcess) -> AsyncIterator[LivepollClient]:
    """The conftest's `api`, on the module's event loop (the browser's)."""
    client = LivepollClient(server)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
def page_server(shared_servers: dict[str, ServerProcess], tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    """The browser tests are about the page: they run on the shared embedded server only (the form posts,
    which store the same things, run on both backends)."""
    process = shared_servers.get("embedded")
    if process is None:
        process = shared_servers["embedded"] = ServerProcess(tmp_path_factory.mktemp("server-embedded"))
    if not process.running:
        process.start()
    return process


@pytest_asyncio.fixture(loop_scope="module")
async def page_api(page_server: ServerProcess) -> AsyncIterator[LivepollClient]:
    client = LivepollClient(page_server)
    try:
        yield client
    finally:
        await client.aclose()


async def qa_session(api: LivepollClient, **settings: object) -> tuple[str, str]:
    response = await api.post("/api/v1/sessions", headers=api.admin_headers(), json={
        "title": "Sesja pytań", "questions": QUESTIONS, "qa": {"enabled": True, **settings}})
    assert response.status_code == 201, response.text
    return response.json()["code"], response.json()["host_key"]


async def open_tab(browser: Any, server: ServerProcess, code: str, console: Console, name: str,
                   lang: str = "en", block_sockets: bool = False) -> Any:
    """A phone on the participant page's Questions tab."""
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    console.watch(page, name)
    if block_sockets:
        async def refuse(ws: Any) -> None:
            await ws.close(code=1011, reason="blocked by proxy")

        await page.route_web_socket("**/ws/v1/**", refuse)
    await page.goto(server.url(f"/{code}?lang={lang}"))
    await page.wait_for_selector("#vote-form #vote-button")
    await page.tap("#tab-qa")
    await page.wait_for_selector("#qa-panel:not([hidden]) #qa-text")
    assert await page.is_hidden("#poll-panel")
    return page


async def ask(page: Any, text: str, name: str = "") -> None:
    await page.fill("#qa-text", text)
    if name:
        await page.fill("#qa-name", name)
    await page.tap("#qa-ask")


async def item_reads(page: Any, question: str, count: str, pressed: str | None = None) -> None:
    """Wait until the question's item shows `count` upvotes (and, given, its button's aria-pressed)."""
    script = """([id, count, pressed]) => {
      const item = document.getElementById('qa-' + id);
      if (!item) return false;
      const button = item.querySelector('button.upvote');
      return item.querySelector('.qa-count').textContent === count
        && (pressed === null || button.getAttribute('aria-pressed') === pressed);
    }"""
    try:
        await page.wait_for_function(script, arg=[question, count, pressed], timeout=UI_WAIT)
    except Exception:
        found = await page.eval_on_selector("#qa-list", "e => e.outerHTML")
        raise AssertionError(f"{question}: expected {count} / {pressed}, found {found}") from None


async def test_a_phone_asks_and_a_second_phone_upvotes_with_one_tap(
    browser: Any, page_api: LivepollClient, page_server: ServerProcess
) -> None:
    code, _key = await qa_session(page_api)
    console = Console()
    asker = await open_tab(browser, page_server, code, console, "asker")
    assert await asker.text_content("#qa-empty") == "No questions yet. Be the first to ask!"
    await asker.fill("#qa-text", "Kiedy będą wyniki?")
    assert await asker.text_content("#qa-text-count") == "18 / 280 characters"
    await ask(asker, "Kiedy będą wyniki?", name="Ola")
    await asker.wait_for_selector("#qa-status .success", timeout=WORDS_WAIT)
    assert await asker.text_content("#qa-status") == "Your question was sent."
    assert await asker.input_value("#qa-text") == ""
    listed = (await page_api.get(f"/api/v1/sessions/{code}/qa")).json()
    assert [(q["text"], q["name"], q["upvotes"]) for q in listed] == [("Kiedy będą wyniki?", "Ola", 0)]
    question = listed[0]["id"]
    await asker.wait_for_selector(f"#qa-{question}.mine .qa-own", timeout=UI_WAIT)
    assert await asker.text_content(f"#qa-{question} .qa-name") == "Ola"

    voter = await open_tab(browser, page_server, code, console, "voter")
    await item_reads(voter, question, "Upvotes: 0", "false")
    assert await voter.query_selector(f"#qa-{question} .qa-own") is None  # not the voter's question
    await voter.tap(f"#qa-{question} button.upvote")
    await item_reads(voter, question, "Upvotes: 1", "true")
    await item_reads(asker, question, "Upvotes: 1", "false")  # live, on the asker's phone too
    assert [q["upvotes"] for q in (await page_api.get(f"/api/v1/sessions/{code}/qa")).json()] == [1]

    width = await voter.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], "nothing sticks out sideways on a phone"
    await voter.tap(f"#qa-{question} button.upvote")  # a second tap withdraws it
    await item_reads(voter, question, "Upvotes: 0", "false")
    await item_reads(asker, question, "Upvotes: 0")

    # the name is remembered for this session: a new page of the same phone has it
    again = await asker.context.new_page()
    await again.goto(page_server.url(f"/{code}?tab=qa&lang=en"))
    await again.wait_for_selector(f"#qa-{question}.mine")
    assert await again.input_value("#qa-name") == "Ola"
    assert await again.evaluate(f"() => localStorage.getItem('livepoll:qa-name:{code}')") == "Ola"
    assert await again.is_hidden("#poll-panel")
    assert console.unexpected() == []


async def test_own_pending_question_waits_for_approval_then_shows_to_everyone(
    browser: Any, page_api: LivepollClient, page_server: ServerProcess
) -> None:
    code, key = await qa_session(page_api, moderated=True)
    console = Console()
    asker = await open_tab(browser, page_server, code, console, "asker")
    other = await open_tab(browser, page_server, code, console, "other")
    await ask(asker, "Czy będzie nagranie?")
    await asker.wait_for_selector("#qa-status .success", timeout=WORDS_WAIT)
    assert "once the host approves it" in (await asker.text_content("#qa-status") or "")
    await asker.wait_for_selector("#qa-waiting-section:not([hidden]) .qa-wait")
    assert (await asker.text_content("#qa-waiting .qa-text")) == "Czy będzie nagranie?"
    assert (await asker.text_content("#qa-waiting .qa-wait")) == "Waiting for approval"
    # a reload still shows it waiting (from the server), and nobody else sees it
    await asker.reload()
    await asker.wait_for_selector("#qa-waiting-section:not([hidden]) .qa-wait")
    assert await other.query_selector("#qa-list .qa-item") is None

    host = await page_api.get(f"/api/v1/sessions/{code}/qa", headers=page_api.host_headers(key))
    question = host.json()[0]["id"]
    response = await page_api.post(f"/api/v1/sessions/{code}/qa/{question}/control", json={"action": "approve"},
                                   headers=page_api.host_headers(key))
    assert response.status_code == 204
    await other.wait_for_selector(f"#qa-list #qa-{question}", timeout=UI_WAIT)
    await asker.wait_for_selector(f"#qa-list #qa-{question}.mine", timeout=UI_WAIT)
    await asker.wait_for_selector("#qa-waiting-section", state="hidden")
    assert console.unexpected() == []


async def test_refusals_are_explained_in_the_phones_language(
    browser: Any, page_api: LivepollClient, page_server: ServerProcess
) -> None:
    code, key = await qa_session(page_api)
    console = Console()
    phone = await open_tab(browser, page_server, code, console, "phone", lang="pl")
    await ask(phone, "Pierwsze pytanie")
    await phone.wait_for_selector("#qa-status .success", timeout=WORDS_WAIT)
    await ask(phone, "Drugie pytanie zaraz potem")
    await phone.wait_for_selector("#qa-status .error", timeout=UI_WAIT)
    assert await phone.text_content("#qa-status") == "Poczekaj kilka sekund, zanim zadasz kolejne pytanie."
    assert await phone.input_value("#qa-text") == "Drugie pytanie zaraz potem"  # kept for another try

    assert (await page_api.control(code, key, "qa_close")).status_code == 200
    await phone.wait_for_selector("#qa-fieldset:disabled", timeout=UI_WAIT)
    await phone.wait_for_function(
        "() => document.querySelector('#qa-status').textContent.includes('Nadal możesz popierać')", timeout=UI_WAIT)
    assert await phone.is_enabled("#qa-list button.upvote")  # upvotes stay open
    assert console.unexpected(("status of 429",)) == []  # the refused question, as the browser logs it


async def test_the_tab_follows_by_polling_when_websockets_are_blocked(
    browser: Any, page_api: LivepollClient, page_server: ServerProcess
) -> None:
    code, _key = await qa_session(page_api)
    console = Console()
    phone = await open_tab(browser, page_server, code, console, "phone", block_sockets=True)
    other = page_api.participant()
    await other.join(code)
    asked = await other.post(f"/api/v1/sessions/{code}/qa", json={"text": "Pytanie przez API"},
                             timeout=WORDS_WAIT / 1000)
    assert asked.status_code == 201
    question = asked.json()["id"]
    await phone.wait_for_selector(f"#qa-{question}", timeout=POLL_WAIT)
    await phone.tap(f"#qa-{question} button.upvote")
    await item_reads(phone, question, "Upvotes: 1", "true")
    allowed = ("WebSocket connection to",)
    assert console.unexpected(allowed) == []


# Without JavaScript ------------------------------------------------------------------------------------------


async def form_post(phone: LivepollClient, server: ServerProcess, path: str, data: dict[str, str]) -> Any:
    return await phone.post(path, data=data, headers={"Origin": server.origin}, timeout=WORDS_WAIT / 1000)


async def page_of(phone: LivepollClient, code: str, query: str = "tab=qa&lang=en") -> str:
    response = await phone.get(f"/{code}?{query}")
    assert response.status_code == 200
    return response.text


def item_html(html: str, question: str) -> str:
    start = html.index(f'id="qa-{question}"')
    return html[start:html.index("</li>", start)]


async def test_without_javascript_forms_ask_upvote_withdraw_and_sort(
    api: LivepollClient, server: ServerProcess
) -> None:
    code, _key = await qa_session(api)
    asker, voter = api.participant(), api.participant()
    await page_of(asker, code)
    await page_of(voter, code)
    first = await form_post(asker, server, f"/{code}/qa", {"text": "Pierwsze?", "name": "Ola", "sort": "popular"})
    assert first.status_code == 303
    assert first.headers["location"].startswith(f"/{code}?tab=qa&asked=visible#qa-")
    question = first.headers["location"].rsplit("#qa-", 1)[1]
    html = await page_of(asker, code, "tab=qa&asked=visible&lang=en")
    assert "Your question was sent." in html
    assert 'class="badge qa-own">Your question<' in item_html(html, question)
    assert 'value="Ola"' in html  # the name, remembered by the server too

    second = await form_post(voter, server, f"/{code}/qa", {"text": "Drugie?", "sort": "recent"})
    assert second.headers["location"].startswith(f"/{code}?tab=qa&sort=recent&asked=visible")
    newer = second.headers["location"].rsplit("#qa-", 1)[1]

    up = await form_post(voter, server, f"/{code}/qa/{question}/upvote", {"on": "1", "sort": "popular"})
    assert (up.status_code, up.headers["location"]) == (303, f"/{code}?tab=qa#qa-{question}")
    html = await page_of(voter, code)
    mine = item_html(html, question)
    assert 'aria-pressed="true"' in mine and "Upvotes: 1" in mine and 'name="on" value="0"' in mine
    assert html.index(f'id="qa-{question}"') < html.index(f'id="qa-{newer}"')  # popular: most upvoted first
    recent = await page_of(voter, code, "tab=qa&sort=recent&lang=en")
    assert recent.index(f'id="qa-{newer}"') < recent.index(f'id="qa-{question}"')  # recent: newest first
    assert 'data-sort="recent" aria-current="true"' in recent
    assert "Upvotes: 1" in item_html(await page_of(asker, code), question)

    again = await form_post(voter, server, f"/{code}/qa/{question}/upvote", {"on": "1"})
    assert again.status_code == 303  # a repeat changes nothing
    withdrawn = await form_post(voter, server, f"/{code}/qa/{question}/upvote", {"on": "0"})
    assert withdrawn.status_code == 303
    mine = item_html(await page_of(voter, code), question)
    assert 'aria-pressed="false"' in mine and "Upvotes: 0" in mine
    listed = (await voter.get(f"/api/v1/sessions/{code}/qa")).json()
    assert {q["id"]: q["upvotes"] for q in listed} == {question: 0, newer: 0}


async def test_without_javascript_refusals_come_back_in_words(api: LivepollClient, server: ServerProcess) -> None:
    code, key = await qa_session(api, moderated=True, max_per_participant=1)
    phone = api.participant()
    await page_of(phone, code)
    asked = await form_post(phone, server, f"/{code}/qa", {"text": "Czy jest przerwa?"})
    assert "asked=pending" in asked.headers["location"]
    html = await page_of(phone, code, "tab=qa&asked=pending&lang=en")
    assert "It is shown once the host approves it." in html
    assert "Waiting for approval" in html and "Czy jest przerwa?" in html.split('id="qa-waiting"')[1]
    assert 'id="qa-list" aria-label="Questions from the audience">\n  </ol>' in html  # not public yet

    cases = [
        ({"text": "Jeszcze jedno?"}, "limit_reached", "You have asked as many questions as this session takes (1)."),
        ({"text": "   "}, "empty_entry", "Write your question first."),
        ({"text": "x" * 281}, "entry_too_long", "A question has at most 280 characters."),
        ({"text": "Imię", "name": "n" * 31}, "name_too_long", "A name has at most 30 characters."),
    ]
    for data, code_name, message in cases:
        refused = await form_post(phone, server, f"/{code}/qa", data)
        assert refused.headers["location"] == f"/{code}?tab=qa&qa_error={code_name}", data
        html = await page_of(phone, code, f"tab=qa&qa_error={code_name}&lang=en")
        assert f'<p class="error">{message}</p>' in html, code_name
    hidden = await form_post(phone, server, f"/{code}/qa/nonesuch/upvote", {"on": "1"})
    assert hidden.headers["location"] == f"/{code}?tab=qa&qa_error=not_found"

    assert (await api.control(code, key, "qa_close")).status_code == 200
    other = api.participant()
    await page_of(other, code)
    closed = await form_post(other, server, f"/{code}/qa", {"text": "Zamknięte?"})
    assert closed.headers["location"] == f"/{code}?tab=qa&qa_error=qa_closed"
    ukrainian = await api.participant().get(f"/{code}?tab=qa&qa_error=qa_closed", headers={"Accept-Language": "uk"})
    assert "Ведучий поки що закрив можливість ставити запитання." in ukrainian.text
    assert '<fieldset id="qa-fieldset" disabled>' in ukrainian.text

    foreign = await phone.post(f"/{code}/qa", data={"text": "Obce?"}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    no_cookie = await api.participant().post(f"/{code}/qa", data={"text": "Bez ciasteczka?"},
                                             headers={"Origin": server.origin})
    assert no_cookie.headers["location"] == f"/{code}?tab=qa&qa_error=no_cookie"
    assert "lp_pid" in no_cookie.headers.get("set-cookie", "")


async def test_a_session_without_qa_has_no_questions_tab(api: LivepollClient) -> None:
    code, _key, _ = await api.create_session()
    html = (await api.get(f"/{code}?tab=qa&lang=en")).text
    assert 'id="phone-tabs"' not in html and 'id="qa-panel"' not in html
    assert '<div id="poll-panel">' in html
