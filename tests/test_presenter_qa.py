"""The presenter screen of issues 9 and 10, in a real headless Chromium against a real server: the Q&A view
(`?view=qa`, the host's show_qa / hide_qa, key Q) shows a phone's question with its upvote within 2 s, never a
pending one before the host approves it, and drops a hidden one within 1 s; the pinned question is large; a
Polish + Ukrainian question shows both lines and its long labels fit at 1280×720 and 1920×1080; "question
2 / 5" (and, self-paced, what the screen shows and that phones go at their own pace); the clean mode (key C,
the host's clean_screen) hides the join banner, key help and language bar; the skip link paints nothing at
the top until it is focused; the Ukrainian footer is one line of numbers and one of help at 1920×1080.

One browser and one client serve the whole module (module-scoped, on the module's event loop)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import test_browser
from support.chromium import chromium
from support.server import LivepollClient, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

Console = test_browser.Console
MARGIN = test_browser.MARGIN
UI_WAIT = test_browser.UI_WAIT
SCREENS = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
SHOWN_WITHIN = 2.0  # s from the acknowledged upvote to the screen
HIDDEN_WITHIN = 1.0  # s from the host's hide to the question leaving the screen
MIN_TEXT_PX = {"1280x720": 16.0, "1920x1080": 24.0}  # readable from the back of a room


@pytest.fixture(scope="module")
def backend_name() -> str:
    """The page's business; the Q&A's storage is tested on both backends in test_qa.py."""
    return "embedded"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(server: ServerProcess) -> AsyncIterator[LivepollClient]:
    made = LivepollClient(server)
    try:
        yield made
    finally:
        await made.aclose()


async def create(client: LivepollClient, **body: Any) -> tuple[str, str]:
    response = await client.post("/api/v1/sessions", json={"title": "Sesja", **body}, headers=client.admin_headers())
    assert response.status_code == 201, response.text
    created = response.json()
    return created["code"], created["host_key"]


async def control(client: LivepollClient, code: str, key: str, **body: Any) -> None:
    response = await client.post(f"/api/v1/sessions/{code}/control", json=body, headers=client.host_headers(key))
    assert response.status_code == 200, response.text


async def moderate(client: LivepollClient, code: str, key: str, question: str, action: str) -> None:
    response = await client.post(f"/api/v1/sessions/{code}/qa/{question}/control", json={"action": action},
                                 headers=client.host_headers(key))
    assert response.status_code == 204, response.text


async def phone(client: LivepollClient, code: str) -> LivepollClient:
    made = client.participant()
    await made.join(code)
    return made


async def ask(asker: LivepollClient, code: str, text: str, **more: Any) -> dict[str, Any]:
    response = await asker.post(f"/api/v1/sessions/{code}/qa", json={"text": text, **more}, timeout=60.0)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def open_presenter(browser: Any, server: ServerProcess, code: str, key: str, console: Console,
                         screen: str = "1280x720", query: str = "", locale: str = "pl-PL") -> Any:
    width, height = SCREENS[screen]
    context = await browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                        reduced_motion="reduce")
    page = await context.new_page()
    console.watch(page, "presenter")
    await page.goto(server.url(f"/present/{code}?key={key}{query}"))
    await page.wait_for_selector("#chart-area", state="attached")
    return page


def shown(selector: str) -> str:
    return f"() => {{ const el = document.querySelector('{selector}'); return !!el && el.getClientRects().length; }}"


def not_shown(selector: str) -> str:
    return f"() => {{ const el = document.querySelector('{selector}'); return !el || !el.getClientRects().length; }}"


async def within(page: Any, condition: str, seconds: float, arg: Any = None) -> float:
    """Wait until `condition(arg)` holds in the page, at most `seconds` (+ the suite's margin); the time taken."""
    since = time.monotonic()
    await page.wait_for_function(condition, arg=arg, timeout=(seconds + MARGIN) * 1000)
    took = time.monotonic() - since
    assert took < seconds + MARGIN
    return took


# What the Q&A view shows, read from its elements.
QA_ITEMS = """() => [...document.querySelectorAll('#qa-list > .qa-item')].filter((item) => item.getClientRects().length)
  .map((item) => ({id: item.dataset.id, text: item.querySelector('.qa-text').textContent,
                   votes: item.querySelector('.qa-votes').textContent,
                   count: Number(item.querySelector('.qa-votes').dataset.count),
                   px: parseFloat(getComputedStyle(item.querySelector('.qa-text')).fontSize)}))"""
ITEM_WITH = """([text, count]) => [...document.querySelectorAll('#qa-list > .qa-item')].some((item) =>
  item.getClientRects().length && item.querySelector('.qa-text').textContent === text
  && item.querySelector('.qa-votes').dataset.count === String(count))"""
NO_ITEM_WITH = """(text) => ![...document.querySelectorAll('#qa-view .qa-text, #qa-view .qa-now-text')]
  .some((el) => el.textContent === text)"""
BOXES = """() => {
  const box = (el) => el && el.getClientRects().length ? el.getBoundingClientRect().toJSON() : null;
  return {banner: box(document.querySelector('.join-banner')), view: box(document.getElementById('qa-view')),
          footer: box(document.querySelector('.stage-footer')), chart: box(document.getElementById('chart-area')),
          help: box(document.getElementById('shortcuts')), languages: box(document.querySelector('nav.languages')),
          width: innerWidth, height: innerHeight, scrollWidth: document.documentElement.scrollWidth,
          scrollHeight: document.documentElement.scrollHeight};
}"""


# Q&A ------------------------------------------------------------------------------------------------------


async def test_qa_view_shows_a_question_and_its_upvote_within_two_seconds(
    browser: Any, client: LivepollClient, server: ServerProcess
) -> None:
    """`?view=qa` opens the Q&A view (the address keeps it, the key goes), with the join banner; a phone asks,
    a second upvotes, and the screen shows the question with 1 upvote within 2 s, readable at 1280×720 and
    between the banner and the footer; the pinned question is shown large, above the others."""
    code, key = await create(client, qa={"enabled": True},
                             questions=[{"kind": "choice", "text": "Z kim?", "options": ["miasto", "NGO"]}])
    console = Console()
    page = await open_presenter(browser, server, code, key, console, query="&view=qa")
    assert page.url == server.url(f"/present/{code}?view=qa")
    await page.wait_for_function(shown("#qa-empty"), timeout=UI_WAIT)
    assert await page.evaluate(not_shown("#chart-area"))
    asker, voter = await phone(client, code), await phone(client, code)
    asked = await ask(asker, code, "Jak miasto wspiera organizacje pozarządowe?", name="Anna")
    assert asked["status"] == "visible"
    upvote = await voter.post(f"/api/v1/sessions/{code}/qa/{asked['id']}/upvote", json={})
    assert upvote.json() == {"upvotes": 1}
    await within(page, ITEM_WITH, SHOWN_WITHIN, ["Jak miasto wspiera organizacje pozarządowe?", 1])
    items = await page.evaluate(QA_ITEMS)
    assert [(item["count"], item["votes"]) for item in items] == [(1, "1 głos")]
    assert items[0]["px"] >= MIN_TEXT_PX["1280x720"]
    assert "Anna" in (await page.text_content("#qa-list .qa-name") or "")
    boxes = await page.evaluate(BOXES)
    assert boxes["banner"] is not None and boxes["banner"]["bottom"] <= boxes["view"]["top"] + 1
    assert boxes["view"]["bottom"] <= boxes["footer"]["top"] + 1
    assert boxes["scrollWidth"] <= boxes["width"] and boxes["scrollHeight"] <= boxes["height"]

    second = await ask(voter, code, "Czy będą szkolenia po ukraińsku?")
    await within(page, ITEM_WITH, SHOWN_WITHIN, ["Czy będą szkolenia po ukraińsku?", 0])
    await moderate(client, code, key, second["id"], "pin")
    await within(page, """(text) => { const now = document.getElementById('qa-now');
      return now.getClientRects().length > 0 && now.querySelector('.qa-now-text').textContent === text; }""",
                 SHOWN_WITHIN, "Czy będą szkolenia po ukraińsku?")
    pinned_px = await page.eval_on_selector("#qa-now .qa-now-text", "e => parseFloat(getComputedStyle(e).fontSize)")
    listed = await page.evaluate(QA_ITEMS)
    assert [item["id"] for item in listed] == [asked["id"]], "the pinned question is not listed twice"
    assert pinned_px > 1.2 * listed[0]["px"]
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await page.wait_for_function(
        "(px) => parseFloat(getComputedStyle(document.querySelector('#qa-list .qa-text')).fontSize) >= px",
        arg=MIN_TEXT_PX["1920x1080"], timeout=UI_WAIT)
    assert console.unexpected() == []
    await page.context.close()


async def test_moderated_questions_show_only_once_approved_and_leave_when_hidden(
    browser: Any, client: LivepollClient, server: ServerProcess
) -> None:
    """The screen follows the host's show_qa / hide_qa (and key Q); in a moderated session a pending question
    is never on it (not even when a later approved one is), shows once approved, and a hidden one leaves
    within 1 s."""
    code, key = await create(client, qa={"enabled": True, "moderated": True},
                             questions=[{"kind": "choice", "text": "Z kim?", "options": ["miasto", "NGO"]}])
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    await page.wait_for_selector("#chart .bar-row")
    assert await page.evaluate(not_shown("#qa-view"))
    await control(client, code, key, action="show_qa")
    await within(page, shown("#qa-view"), 1.0)
    assert await page.evaluate(not_shown("#chart-area"))
    assert await page.evaluate(shown(".join-banner"))

    pending = await ask(await phone(client, code), code, "Pytanie czekające na zgodę")
    later = await ask(await phone(client, code), code, "Pytanie zatwierdzone")
    assert pending["status"] == later["status"] == "pending"
    await moderate(client, code, key, later["id"], "approve")
    await within(page, ITEM_WITH, SHOWN_WITHIN, ["Pytanie zatwierdzone", 0])
    # The frame that brought the approved question came after the pending one was stored.
    assert await page.evaluate(NO_ITEM_WITH, "Pytanie czekające na zgodę")
    assert "Pytanie czekające na zgodę" not in await page.content()

    await moderate(client, code, key, pending["id"], "approve")
    await within(page, ITEM_WITH, SHOWN_WITHIN, ["Pytanie czekające na zgodę", 0])
    await moderate(client, code, key, pending["id"], "hide")
    await within(page, NO_ITEM_WITH, HIDDEN_WITHIN, "Pytanie czekające na zgodę")

    # Key Q switches the screen (and the host's state) back to the poll; the host's show_qa brings it back.
    await page.keyboard.press("q")
    await within(page, shown("#chart-area"), 1.0)
    assert await page.evaluate(not_shown("#qa-view"))
    await control(client, code, key, action="show_qa")
    await within(page, shown("#qa-view"), 1.0)
    await control(client, code, key, action="hide_qa")
    await within(page, shown("#chart .bar-row"), 1.0)
    assert console.unexpected() == []
    await page.context.close()


# Two languages ----------------------------------------------------------------------------------------------

POLISH = "Jak oceniasz współpracę urzędu miasta z organizacjami pozarządowymi w Szczebrzeszynie? "
UKRAINIAN = "Чи знаєте ви, де отримати безкоштовну юридичну допомогу у вашому місті? "


def exactly(pattern: str, length: int) -> str:
    return (pattern * (length // len(pattern) + 1))[:length].strip()


STAGE = """() => {
  const box = (el) => el.getBoundingClientRect();
  const visible = (el) => el.getClientRects().length > 0;
  const area = box(document.getElementById('chart-area'));
  const inside = (b) => b.top >= area.top - 1 && b.bottom <= area.bottom + 1 && b.left >= area.left - 1
    && b.right <= area.right + 1;
  const rows = [...document.querySelectorAll('#chart > .bar-row')];
  const more = document.getElementById('chart-more');
  const second = document.getElementById('question-second');
  const wide = [...document.querySelectorAll('body *')].filter((el) => visible(el) && box(el).right > innerWidth + 1);
  return {
    banner: box(document.querySelector('.join-banner')).bottom,
    head: box(document.getElementById('stage-head')).toJSON(),
    area: area.toJSON(), footer: box(document.querySelector('.stage-footer')).top, height: innerHeight,
    first: document.getElementById('question-text').textContent,
    firstLang: document.getElementById('question-text').lang,
    second: visible(second) ? second.textContent : null, secondLang: second.lang,
    secondPx: parseFloat(getComputedStyle(second).fontSize),
    firstPx: parseFloat(getComputedStyle(document.getElementById('question-text')).fontSize),
    rows: rows.length, shown: rows.filter(visible).length,
    outside: rows.filter((row) => visible(row) && !inside(box(row))).map((row) => row.dataset.option),
    labels: rows.filter(visible).map((row) => ({
      main: row.querySelector('.label-main')?.textContent ?? row.querySelector('.bar-label').textContent,
      second: row.querySelector('.label-second')?.textContent ?? null,
      secondLang: row.querySelector('.label-second')?.lang ?? null,
      px: parseFloat(getComputedStyle(row.querySelector('.label-main') ?? row.querySelector('.bar-label')).fontSize)})),
    more: visible(more) ? {count: Number(more.dataset.count), inside: inside(box(more))} : null,
    wide: wide.length, scrollWidth: document.documentElement.scrollWidth, width: innerWidth,
  };
}"""


async def test_a_polish_and_ukrainian_question_shows_both_lines_and_long_labels_fit(
    browser: Any, client: LivepollClient, server: ServerProcess
) -> None:
    """With present_languages pl + uk the question and each label read Polish with the Ukrainian under it,
    smaller (a text given in one language once); ten labels of 200 characters in both languages fit between
    the banner and the footer at 1280×720 and 1920×1080, rows inside the chart or counted in "+N more"; a
    vote reaches the bars."""
    options: list[Any] = [{"pl": exactly(f"{n}. {POLISH}", 200), "uk": exactly(f"{n}. {UKRAINIAN}", 200)}
                          for n in range(1, 10)]
    options.append("biznes")
    text = {"pl": exactly(POLISH, 400), "uk": exactly(UKRAINIAN, 400)}
    code, key = await create(client, title={"pl": "Migracja", "uk": "Міграція"}, present_languages=["pl", "uk"],
                             questions=[{"kind": "choice", "text": text, "options": options}])
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    await page.wait_for_selector("#chart .bar-row .label-second")
    voter = await phone(client, code)
    vote = await voter.post(f"/api/v1/sessions/{code}/votes", json={"question": "q1", "choices": ["o1"]})
    assert vote.status_code == 200, vote.text
    await page.wait_for_function("""() => document.querySelector('#chart .bar-row[data-option="o1"] .bar-value')
      .textContent.startsWith('1 ')""", timeout=UI_WAIT)
    for screen, (width, height) in SCREENS.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.wait_for_function(f"() => innerWidth === {width}")
        await page.wait_for_timeout(300)  # a resize is fitted on the next animation frame
        stage = await page.evaluate(STAGE)
        where = (screen, stage)
        assert stage["first"] == exactly(POLISH, 400) and stage["firstLang"] == "pl", where
        assert stage["second"] == exactly(UKRAINIAN, 400) and stage["secondLang"] == "uk", where
        assert stage["secondPx"] < stage["firstPx"], where
        assert stage["firstPx"] >= MIN_TEXT_PX[screen], where
        assert stage["banner"] <= stage["head"]["top"] + 1, where
        assert stage["head"]["bottom"] <= stage["area"]["top"] + 1, where
        assert stage["area"]["bottom"] <= stage["footer"] + 1 and stage["footer"] <= stage["height"], where
        assert stage["wide"] == 0 and stage["scrollWidth"] <= stage["width"], where
        assert stage["rows"] == 10 and stage["shown"] >= 1 and stage["outside"] == [], where
        hidden = stage["rows"] - stage["shown"]
        assert (stage["more"] is None) if not hidden else (stage["more"] == {"count": hidden, "inside": True}), where
        first = stage["labels"][0]
        assert first["main"] == options[0]["pl"] and first["second"] == options[0]["uk"], where
        assert first["secondLang"] == "uk" and first["px"] >= MIN_TEXT_PX[screen], where
    # A label in one language only is shown once.
    await page.set_viewport_size({"width": 1920, "height": 2400})
    await page.wait_for_function("""() => { const row = document.querySelector('#chart .bar-row[data-option="o10"]');
      return row && row.getClientRects().length > 0; }""", timeout=UI_WAIT)
    biznes = await page.eval_on_selector('#chart .bar-row[data-option="o10"] .bar-label',
                                         "e => [e.textContent, e.childElementCount]")
    assert biznes == ["biznes", 0]
    assert console.unexpected() == []
    await page.context.close()


# Place, clean mode, skip link, footer ---------------------------------------------------------------------


async def top_strip(page: Any, width: int) -> bytes:
    shot: bytes = await page.screenshot(clip={"x": 0, "y": 0, "width": width, "height": 16})
    return shot


async def test_place_clean_mode_skip_link_and_a_one_line_ukrainian_footer(
    browser: Any, client: LivepollClient, server: ServerProcess
) -> None:
    """A Ukrainian screen at 1920×1080: "Запитання 1 / 3", then 2 / 3 after →; the numbers and the key help
    each on one line; the skip link paints no pixel at the top until Tab focuses it; key C hides the join
    banner, key help and language bar, the host's full_screen brings them back and clean_screen hides them
    again. A self-paced session says which question the screen shows and that phones go at their own pace."""
    code, key = await create(client, questions=[
        {"kind": "choice", "text": f"Pytanie {n}", "options": ["Tak", "Nie"]} for n in (1, 2, 3)])
    console = Console()
    page = await open_presenter(browser, server, code, key, console, screen="1920x1080", query="&lang=uk",
                                locale="uk-UA")
    await page.wait_for_selector("#chart .bar-row")
    assert await page.text_content("#question-number") == "Запитання 1 / 3"
    assert await page.evaluate(not_shown("#self-paced"))
    lines = await page.evaluate("""() => ['stats', 'shortcuts'].map((id) => {
      const el = id === 'stats' ? document.querySelector('.stage-footer .stats') : document.getElementById(id);
      return el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight); })""")
    assert all(0.9 < count < 1.5 for count in lines), lines

    # The skip link: nothing of it in the top rows, until it is focused.
    # Its box, with room for a focus ring (3 px + 2 px offset), is wholly above the viewport ...
    bottom = await page.evaluate("() => document.querySelector('.skip-link').getBoundingClientRect().bottom")
    assert bottom <= -5, bottom
    # ... and the top rows look the same without it.
    before = await top_strip(page, 1920)
    await page.evaluate("() => { document.querySelector('.skip-link').hidden = true; }")
    assert await top_strip(page, 1920) == before, "the skip link paints pixels at the top"
    await page.evaluate("() => { document.querySelector('.skip-link').hidden = false; }")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("""() => { const link = document.activeElement;
      return [link.className, link.getBoundingClientRect().top, link.getBoundingClientRect().bottom]; }""")
    assert focused[0] == "skip-link" and focused[1] >= 0 and focused[2] > 16, focused
    assert await top_strip(page, 1920) != before
    await page.evaluate("() => document.activeElement.blur()")

    await page.keyboard.press("ArrowRight")
    await within(page, "() => document.getElementById('question-number').textContent === 'Запитання 2 / 3'", 1.0)

    await page.keyboard.press("c")
    await within(page, "() => document.body.classList.contains('clean')", 1.0)
    boxes = await page.evaluate(BOXES)
    assert boxes["banner"] is None and boxes["help"] is None and boxes["languages"] is None, boxes
    assert boxes["chart"]["top"] < 200, "the stage takes the banner's place"
    await control(client, code, key, action="full_screen")
    await within(page, shown(".join-banner"), 1.0)
    boxes = await page.evaluate(BOXES)
    assert boxes["help"] is not None and boxes["languages"] is not None
    await control(client, code, key, action="clean_screen")
    await within(page, not_shown(".join-banner"), 1.0)
    assert await page.evaluate(not_shown("#shortcuts")) and await page.evaluate(not_shown("nav.languages"))
    await page.context.close()

    survey, survey_key = await create(client, mode="self_paced", questions=[
        {"kind": "choice", "text": f"Pytanie {n}", "options": ["Tak", "Nie"]} for n in (1, 2)])
    page = await open_presenter(browser, server, survey, survey_key, console, query="&lang=en", locale="en-GB")
    await page.wait_for_selector("#chart .bar-row")
    assert await page.text_content("#question-number") == "On the screen: question 1 / 2"
    assert await page.evaluate(shown("#self-paced"))
    assert "at their own pace" in (await page.text_content("#self-paced") or "")
    await page.keyboard.press("ArrowRight")
    await within(page, "() => document.getElementById('question-number').textContent.endsWith('question 2 / 2')", 1.0)
    assert console.unexpected() == []
    await page.context.close()
