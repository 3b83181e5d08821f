"""Every allowed size fits, in a real headless Chromium: sessions at the maximum lengths (a 500-character
question, one unbroken word or normal words; 30 options of 200 characters; 200 unbroken characters; Polish
and Ukrainian text) on the presenter, the host panel, the host's session list and the participant page, at
1280×720 (a screen share) and 1920×1080 (a projector).

Nothing may overflow sideways; on the presenter the question stays between the join banner and the chart,
the chart above the footer, every option row is inside the chart's box or counted in a visible "+N more",
the type stays readable from the back of a room, and a vote still reaches the bars."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import test_browser
from support.server import ADMIN_TOKEN, LivepollClient, ServerProcess

from livepoll.model import MAX_TITLE_CHARS
from livepoll.questions import MAX_OPTION_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS

pytestmark = pytest.mark.browser

browser = test_browser.browser
Console = test_browser.Console

SCREENS = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
PHONE = test_browser.PHONE
# The smallest type the presenter may use for an option label: read from the back of a room (at 1280×720 the
# screen is shared and viewed on a laptop; at 1920×1080 it is projected).
MIN_LABEL_PX = {"1280x720": 16.0, "1920x1080": 24.0}
VOTE_TIMEOUT_MS = 10_000


def exactly(pattern: str, length: int) -> str:
    """`pattern` repeated to `length` characters, not ending in a space (cleaning would trim it)."""
    text = (pattern * (length // len(pattern) + 1))[:length]
    return text if not text.endswith(" ") else text[:-1] + "."


def labels(count: int, pattern: str) -> list[str]:
    return [exactly(f"{n}. {pattern}", MAX_OPTION_CHARS) for n in range(1, count + 1)]


POLISH = "Jak oceniasz współpracę urzędu miasta z organizacjami pozarządowymi w Szczebrzeszynie? "
UKRAINIAN = "Чи знаєте ви, де отримати безкоштовну юридичну допомогу у вашому місті? "
CASES: dict[str, dict[str, Any]] = {
    "unbroken-question": {
        "title": exactly("Konstantynopolitańczykowianeczka", MAX_TITLE_CHARS),
        "text": exactly("Niezrozumiałość", MAX_QUESTION_CHARS),
        "options": ["Tak", "Nie"],
        "locale": "pl-PL",
    },
    "long-question-30-long-options": {
        "title": exactly("Warsztat o współpracy, ", MAX_TITLE_CHARS),
        "text": exactly("How would you rate the cooperation between the city and local organisations? ",
                        MAX_QUESTION_CHARS),
        "options": labels(MAX_OPTIONS, "An option with a very long label that has to wrap somewhere; "),
        "locale": "en-GB",
    },
    "unbroken-options": {
        "title": "Sesja",
        "text": "Które?",
        "options": [exactly("A", MAX_OPTION_CHARS), exactly("B", MAX_OPTION_CHARS)],
        "locale": "pl-PL",
    },
    "polish": {
        "title": exactly("Zażółć gęślą jaźń ", MAX_TITLE_CHARS),
        "text": exactly(POLISH, MAX_QUESTION_CHARS),
        "options": [exactly("Dziewięćdziesięciokilkuletni", MAX_OPTION_CHARS),
                    *labels(9, "mieszkańcy, rady osiedli, organizacje pozarządowe ")],
        "locale": "pl-PL",
    },
    "ukrainian": {
        "title": exactly("Громадська організація ", MAX_TITLE_CHARS),
        "text": exactly(UKRAINIAN, MAX_QUESTION_CHARS),
        "options": [exactly("Високоповажаний", MAX_OPTION_CHARS),
                    *labels(MAX_OPTIONS - 1, "так, від громадської організації ")],
        "locale": "uk-UA",
    },
}

# Measured in the page: boxes of the stage's parts, and each option row in or out of the chart's box.
PRESENTER_LAYOUT = """() => {
  const box = (el) => el.getBoundingClientRect();
  const shown = (el) => el.getClientRects().length > 0;
  const area = box(document.getElementById('chart-area'));
  const inside = (b) => b.top >= area.top - 1 && b.bottom <= area.bottom + 1 && b.left >= area.left - 1
    && b.right <= area.right + 1;
  const rows = [...document.querySelectorAll('#chart > .bar-row')];
  const more = document.getElementById('chart-more');
  const question = document.getElementById('question-text');
  const help = document.getElementById('shortcuts');
  return {
    scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight,
    width: innerWidth, height: innerHeight,
    banner: box(document.querySelector('.join-banner')).toJSON(), question: box(question).toJSON(),
    area: area.toJSON(), footer: box(document.querySelector('.stage-footer')).toJSON(),
    help: shown(help) ? box(help).toJSON() : null,
    questionText: question.textContent, questionTitle: question.getAttribute('title'),
    questionClipped: question.scrollHeight > question.clientHeight + 1,
    questionPx: parseFloat(getComputedStyle(question).fontSize),
    rows: rows.length,
    shownRows: rows.filter(shown).length,
    rowsOutside: rows.filter((row) => shown(row) && !inside(box(row))).map((row) => row.dataset.option),
    labelPx: Math.min(...rows.filter(shown)
      .map((row) => parseFloat(getComputedStyle(row.querySelector('.bar-label')).fontSize))),
    more: more && shown(more) ? {text: more.textContent, count: Number(more.dataset.count), inside: inside(box(more))}
      : null,
  };
}"""

NO_SIDEWAYS_OVERFLOW = """() => {
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const b = el.getBoundingClientRect();
    return el.getClientRects().length > 0 && b.right > innerWidth + 1;
  }).map((el) => el.tagName + '.' + el.className).slice(0, 5);
  const scrollers = [...document.querySelectorAll('.table-wrap')].filter((el) => el.scrollWidth > el.clientWidth + 1)
    .map((el) => el.className);
  return {scrollWidth: document.documentElement.scrollWidth, width: innerWidth, wide, scrollers};
}"""


def bar_shows(chart: str, option: str, votes: int) -> str:
    return f"""() => {{
      const value = document.querySelector('{chart} .bar-row[data-option="{option}"] .bar-value');
      return value !== null && value.textContent.trim().startsWith('{votes} ');
    }}"""


@pytest.fixture(scope="module")
def backend_name() -> str:
    """Layout is the pages' business; the embedded backend is enough."""
    return "embedded"


@pytest.fixture
async def session(request: pytest.FixtureRequest, api: LivepollClient) -> AsyncIterator[dict[str, Any]]:
    case = CASES[request.param]
    code, key, created = await api.create_session(title=case["title"], options=case["options"], text=case["text"])
    question: Any = created["questions"]
    assert question[0]["text"] == case["text"], "the test texts must be stored as typed"
    yield {**case, "code": code, "key": key}


def assert_no_sideways_overflow(report: dict[str, Any], where: str) -> None:
    assert report["scrollWidth"] <= report["width"], (where, report)
    assert report["wide"] == [], (where, report)
    assert report["scrollers"] == [], (where, report)


def assert_presenter_fits(layout: dict[str, Any], screen: str, case: dict[str, Any]) -> None:
    where = f"presenter {screen}"
    assert layout["scrollWidth"] <= layout["width"] and layout["scrollHeight"] <= layout["height"], (where, layout)
    banner, question, area, footer = layout["banner"], layout["question"], layout["area"], layout["footer"]
    # Banner, question, chart and footer stack without overlapping; the footer and its key help stay on screen.
    assert banner["bottom"] <= question["top"] + 1, (where, "question under the banner", layout)
    assert question["bottom"] <= area["top"] + 1, (where, "question over the chart", layout)
    assert area["bottom"] <= footer["top"] + 1, (where, "chart over the footer", layout)
    assert footer["bottom"] <= layout["height"] + 1, (where, layout)
    help_box = layout["help"]
    assert help_box is not None and footer["top"] <= help_box["top"] and help_box["bottom"] <= footer["bottom"] + 1
    # The whole question is in the page; cut short on screen, it is in the tooltip too.
    assert layout["questionText"] == case["text"]
    if layout["questionClipped"]:
        assert layout["questionTitle"] == case["text"], (where, layout)
    # Every row is inside the chart's box, or counted in a visible "+N more".
    assert layout["rows"] == len(case["options"]), (where, layout)
    assert layout["shownRows"] >= 1 and layout["rowsOutside"] == [], (where, layout)
    hidden = layout["rows"] - layout["shownRows"]
    if hidden:
        more = layout["more"]
        assert more is not None and more["inside"] and more["count"] == hidden, (where, layout)
        assert str(hidden) in more["text"], (where, layout)
    else:
        assert layout["more"] is None, (where, layout)
    # Readable from the back of the room.
    assert layout["labelPx"] >= MIN_LABEL_PX[screen], (where, layout)
    assert layout["questionPx"] >= MIN_LABEL_PX[screen], (where, layout)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("session", list(CASES), indirect=True)
async def test_every_allowed_size_fits_the_screens(
    browser: Any, api: LivepollClient, server: ServerProcess, session: dict[str, Any], screen: str
) -> None:
    """Presenter and host panel open, a vote reaches both; then nothing overflows sideways on the presenter,
    the panel or the participant page, and the presenter's parts fit (assert_presenter_fits). At 1280×720
    also a 390 px phone and the host's session list (with this session's title) keep to their width."""
    code, key = session["code"], session["key"]
    width, height = SCREENS[screen]
    console = Console()
    context = await browser.new_context(viewport={"width": width, "height": height}, locale=session["locale"])
    presenter = await context.new_page()
    console.watch(presenter, "presenter")
    await presenter.goto(server.url(f"/present/{code}?key={key}"))
    await presenter.wait_for_selector("#chart .bar-row")
    host = await context.new_page()
    console.watch(host, "host")
    await host.goto(server.url(f"/host/{code}?key={key}"))
    await host.wait_for_selector("#preview-chart .bar-row")

    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    await presenter.wait_for_function(bar_shows("#chart", "o1", 1), timeout=VOTE_TIMEOUT_MS)
    await host.wait_for_function(bar_shows("#preview-chart", "o1", 1), timeout=VOTE_TIMEOUT_MS)

    assert_presenter_fits(await presenter.evaluate(PRESENTER_LAYOUT), screen, session)
    assert_no_sideways_overflow(await presenter.evaluate(NO_SIDEWAYS_OVERFLOW), f"presenter {screen}")
    assert_no_sideways_overflow(await host.evaluate(NO_SIDEWAYS_OVERFLOW), f"host panel {screen}")

    participant = await context.new_page()
    console.watch(participant, "participant")
    await participant.goto(server.url(f"/{code}"))
    await participant.wait_for_selector("#vote-form .option")
    assert_no_sideways_overflow(await participant.evaluate(NO_SIDEWAYS_OVERFLOW), f"participant {screen}")

    if screen == "1280x720":
        await participant.set_viewport_size(PHONE["viewport"])
        await participant.reload()
        await participant.wait_for_selector("#vote-form .option")
        assert_no_sideways_overflow(await participant.evaluate(NO_SIDEWAYS_OVERFLOW), "participant phone")

        await host.goto(server.url("/host"))
        await host.fill('input[name="token"]', ADMIN_TOKEN)
        await host.press('input[name="token"]', "Enter")
        await host.wait_for_selector(f'a[href="/host/{code}"]')
        assert_no_sideways_overflow(await host.evaluate(NO_SIDEWAYS_OVERFLOW), "session list")
    await context.close()
    assert console.unexpected() == []
