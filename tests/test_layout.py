"""Every allowed size fits, in a real headless Chromium: sessions at the maximum lengths (a 500-character
question, one unbroken word or normal words; 30 options of 200 characters; 200 unbroken characters; Polish
and Ukrainian text) on the presenter, the host panel, the host's session list and the participant page, at
1280×720 (a screen share) and 1920×1080 (a projector).

Nothing may overflow sideways; on the presenter the question stays between the join banner and the chart,
the chart above the footer, every option row is inside the chart's box or counted in a visible "+N more",
the type stays readable from the back of a room, and a vote still reaches the bars.

The other question kinds at their longest do the same on the presenter: a word cloud of 200 words of 40
characters (no two words overlapping), 200 open-text entries of 500 characters, 10 scale statements of 200
characters on an 11-point scale, 10 ranking options of 200 characters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import test_browser
from support.server import ADMIN_TOKEN, LivepollClient, ServerProcess

from livepoll.kinds.entries import (
    MAX_ENTRIES_PER_PARTICIPANT,
    MAX_ENTRIES_SHOWN,
    MAX_ENTRY_CHARS,
    MAX_WORD_CHARS,
    MAX_WORDS_PER_BALLOT,
    MAX_WORDS_SHOWN,
)
from livepoll.kinds.scale import MAX_LABEL_CHARS, MAX_POINTS, MAX_RANKED, MAX_STATEMENTS
from livepoll.model import MAX_TITLE_CHARS
from livepoll.questions import MAX_OPTION_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS

pytestmark = pytest.mark.browser

Console = test_browser.Console

SCREENS = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
PHONE = test_browser.PHONE
# The smallest type the presenter may use for an option label: read from the back of a room (at 1280×720 the
# screen is shared and viewed on a laptop; at 1920×1080 it is projected).
MIN_LABEL_PX = {"1280x720": 16.0, "1920x1080": 24.0}
VOTE_TIMEOUT_MS = 10_000
# s: a server process's first word-cloud ballot waits for the lemmatiser's dictionaries to load, which takes
# long on a loaded machine (only a failing test waits this long)
BALLOT_TIMEOUT = 60.0


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


def assert_stage_stacks(layout: dict[str, Any], where: str) -> None:
    """Banner, question, chart and footer stack without overlapping; the footer and its key help stay on
    screen; nothing scrolls."""
    assert layout["scrollWidth"] <= layout["width"] and layout["scrollHeight"] <= layout["height"], (where, layout)
    banner, question, area, footer = layout["banner"], layout["question"], layout["area"], layout["footer"]
    assert banner["bottom"] <= question["top"] + 1, (where, "question under the banner", layout)
    assert question["bottom"] <= area["top"] + 1, (where, "question over the chart", layout)
    assert area["bottom"] <= footer["top"] + 1, (where, "chart over the footer", layout)
    assert footer["bottom"] <= layout["height"] + 1, (where, layout)
    help_box = layout["help"]
    assert help_box is not None and footer["top"] <= help_box["top"] and help_box["bottom"] <= footer["bottom"] + 1


def assert_presenter_fits(layout: dict[str, Any], screen: str, case: dict[str, Any]) -> None:
    where = f"presenter {screen}"
    assert_stage_stacks(layout, where)
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


# The other question kinds ---------------------------------------------------------------------------------

LATIN_TAGS, CYRILLIC_TAGS = "bcdfghjklmnprstwz", "бвгдзклмнпрстфхцш"


def long_words(count: int) -> list[str]:
    """`count` different words of exactly MAX_WORD_CHARS characters, Polish and Ukrainian: a long stem, then
    two letters and an ending no inflection has, so the lemmatiser keeps them apart."""
    stems = ["Konstantynopolitańczykowianeczka", "Високоповажаний", "współpracownikom", "самоврядуванню"]
    words = []
    for n in range(count):
        stem = stems[n % len(stems)]
        cyrillic = stem[0] >= "\u0400"
        letters = CYRILLIC_TAGS if cyrillic else LATIN_TAGS
        tag = letters[n // len(letters) % len(letters)] + letters[n % len(letters)] + ("ї" if cyrillic else "yq")
        words.append(exactly(stem, MAX_WORD_CHARS - len(tag)) + tag)
    return words


def long_entry(n: int) -> str:
    """An open-text entry of MAX_ENTRY_CHARS characters with a line break, different for every n."""
    return exactly(f"{n}. {POLISH}\n{UKRAINIAN}", MAX_ENTRY_CHARS)


KIND_CASES: dict[str, dict[str, Any]] = {
    "wordcloud-200-long-words": {
        "question": {"kind": "wordcloud", "text": exactly(POLISH, MAX_QUESTION_CHARS),
                     "max_entries": MAX_WORDS_PER_BALLOT},
        "ballots": [{"entries": chunk} for chunk in (long_words(MAX_WORDS_SHOWN)[i:i + MAX_WORDS_PER_BALLOT]
                                                     for i in range(0, MAX_WORDS_SHOWN, MAX_WORDS_PER_BALLOT))],
        "items": "#cloud .cloud-word", "text": "#cloud .cloud-word", "total": MAX_WORDS_SHOWN,
    },
    "open-200-long-entries": {
        "question": {"kind": "open", "text": exactly(UKRAINIAN, MAX_QUESTION_CHARS),
                     "max_entries": MAX_ENTRIES_PER_PARTICIPANT},
        "ballots": [[{"text": long_entry(p * MAX_ENTRIES_PER_PARTICIPANT + i)}
                     for i in range(MAX_ENTRIES_PER_PARTICIPANT)]
                    for p in range(MAX_ENTRIES_SHOWN // MAX_ENTRIES_PER_PARTICIPANT)],
        "items": "#wall > .entry-card", "text": "#wall .entry-text", "total": MAX_ENTRIES_SHOWN,
    },
    "scale-10-long-statements-11-points": {
        "question": {"kind": "scale", "text": exactly(POLISH, MAX_QUESTION_CHARS), "min": 0, "max": MAX_POINTS - 1,
                     "statements": labels(MAX_STATEMENTS, "Urząd miasta współpracuje z organizacjami pozarządowymi "),
                     "min_label": exactly("Zdecydowanie się nie zgadzam, ", MAX_LABEL_CHARS),
                     "max_label": exactly("Zdecydowanie się zgadzam, ", MAX_LABEL_CHARS)},
        "ballots": [{"ratings": {f"s{s}": (s * 3 + v) % MAX_POINTS for s in range(1, MAX_STATEMENTS + 1)}}
                    for v in range(5)],
        "items": "#chart > .bar-row", "text": "#chart .bar-label", "total": MAX_STATEMENTS,
    },
    "ranking-10-long-options": {
        "question": {"kind": "ranking", "text": exactly(UKRAINIAN, MAX_QUESTION_CHARS),
                     "options": labels(MAX_RANKED, "так, від громадської організації ")},
        "ballots": [{"order": [f"o{(i + v) % MAX_RANKED + 1}" for i in range(MAX_RANKED)]} for v in range(3)],
        "items": "#chart > .bar-row", "text": "#chart .bar-label", "total": MAX_RANKED,
    },
}

# Measured in the page: the stage's parts, and each item (word, card, row) in or out of the chart's box.
KIND_LAYOUT = """([items, texts]) => {
  const box = (el) => el.getBoundingClientRect();
  const shown = (el) => el.getClientRects().length > 0;
  const area = box(document.getElementById('chart-area'));
  const inside = (b) => b.top >= area.top - 1 && b.bottom <= area.bottom + 1 && b.left >= area.left - 1
    && b.right <= area.right + 1;
  const visible = [...document.querySelectorAll(items)].filter(shown);
  const more = document.getElementById('chart-more');
  const help = document.getElementById('shortcuts');
  return {
    scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight,
    width: innerWidth, height: innerHeight,
    banner: box(document.querySelector('.join-banner')).toJSON(),
    question: box(document.getElementById('question-text')).toJSON(),
    area: area.toJSON(), footer: box(document.querySelector('.stage-footer')).toJSON(),
    help: shown(help) ? box(help).toJSON() : null,
    shown: visible.length,
    outside: visible.filter((el) => !inside(box(el))).length,
    boxes: visible.map((el) => box(el).toJSON()),
    textPx: Math.min(...[...document.querySelectorAll(texts)].filter(shown)
      .map((el) => parseFloat(getComputedStyle(el).fontSize))),
    more: more && shown(more) ? {text: more.textContent, count: Number(more.dataset.count), box: box(more).toJSON()}
      : null,
  };
}"""


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("kind_case", list(KIND_CASES))
async def test_every_kind_at_its_longest_fits_the_presenter(
    browser: Any, api: LivepollClient, server: ServerProcess, kind_case: str, screen: str
) -> None:
    """Each kind at its maximum lengths and counts, with ballots in: the presenter's parts stack as for
    choice, nothing overflows sideways, every word, card or row shown is inside the chart's box at a
    readable size, the others are counted in a visible "+N more" inside the box, and no two words overlap."""
    case = KIND_CASES[kind_case]
    code, key, _ = await api.create_session(title=exactly("Warsztat, ", MAX_TITLE_CHARS), questions=[case["question"]])
    for ballot in case["ballots"]:
        client = api.participant()
        await client.join(code)
        for body in ballot if isinstance(ballot, list) else [ballot]:
            response = await client.post(f"/api/v1/sessions/{code}/votes", json={"question": "q1", **body},
                                         timeout=BALLOT_TIMEOUT)
            assert response.status_code == 200, response.text
    question: Any = (await api.results(code, key))["questions"]
    counted = question[0].get("words") or question[0].get("entries") or question[0].get("statements") or \
        question[0]["options"]
    assert len(counted) == case["total"], "the test data must reach the maximum"

    width, height = SCREENS[screen]
    console = Console()
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="pl-PL")
    presenter = await context.new_page()
    console.watch(presenter, "presenter")
    await presenter.goto(server.url(f"/present/{code}?key={key}"))
    await presenter.wait_for_selector(case["items"], timeout=VOTE_TIMEOUT_MS)
    layout = await presenter.evaluate(KIND_LAYOUT, [case["items"], case["text"]])
    where = f"{kind_case} {screen}"
    assert_stage_stacks(layout, where)
    assert_no_sideways_overflow(await presenter.evaluate(NO_SIDEWAYS_OVERFLOW), where)
    assert layout["shown"] >= 1 and layout["outside"] == 0, (where, layout["shown"], layout["outside"])
    hidden = case["total"] - layout["shown"]
    more = layout["more"]
    if hidden:
        assert more is not None and more["count"] == hidden and str(hidden) in more["text"], (where, more)
        area, line = layout["area"], more["box"]
        assert area["top"] - 1 <= line["top"] and line["bottom"] <= area["bottom"] + 1, (where, more)
        assert not any(overlaps(line, item) for item in layout["boxes"]), (where, "an item under +N more")
    else:
        assert more is None, (where, more)
    assert layout["textPx"] >= MIN_LABEL_PX[screen], (where, layout["textPx"])
    if kind_case.startswith("wordcloud"):
        boxes = layout["boxes"]
        assert not any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), where
    await context.close()
    assert console.unexpected() == []
