"""The presenter screen draws every question kind, in a real headless Chromium: ballots cast through the API
reach the screen within 2 s and show what the results API says (votes, words, entries, averages, scores);
the word cloud never overlaps or leaves the stage and keeps words in place when counts change a little; a
hidden word and a pending entry never show; a quiz counts down, says "time's up", marks its correct answer
after the reveal and shows the leaderboard with shared ranks; the screen-reader summary speaks each kind."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import test_browser
from support.server import LivepollClient, ServerProcess
from support.waiting import eventually

pytestmark = pytest.mark.browser

Console = test_browser.Console
MARGIN = test_browser.MARGIN
UI_WAIT = test_browser.UI_WAIT
SCREENS = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
SHOWN_WITHIN = 2.0  # s from the acknowledged ballot to the screen
HIDDEN_WITHIN = 1.0  # s from the host's hide_entry to the word leaving the screen
# s: a server process's first word-cloud ballot waits for the lemmatiser's dictionaries to load, which takes
# long on a loaded machine (only a failing test waits this long)
BALLOT_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def backend_name() -> str:
    """The browser tests are about the pages; the embedded backend is enough."""
    return "embedded"


async def open_presenter(
    browser: Any, server: ServerProcess, code: str, key: str, console: Console, screen: str = "1280x720"
) -> Any:
    width, height = SCREENS[screen]
    # Reduced motion: words and bars are where they end up at once, so boxes can be compared.
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="pl-PL",
                                        reduced_motion="reduce")
    page = await context.new_page()
    console.watch(page, "presenter")
    await page.goto(server.url(f"/present/{code}?key={key}"))
    await page.wait_for_selector("#chart-area")
    return page


async def phone(api: LivepollClient, code: str) -> LivepollClient:
    client = api.participant()
    await client.join(code)
    return client


async def cast(client: LivepollClient, code: str, **ballot: Any) -> None:
    response = await client.post(f"/api/v1/sessions/{code}/votes", json={"question": "q1", **ballot},
                                 timeout=BALLOT_TIMEOUT)
    assert response.status_code == 200, response.text


async def control(api: LivepollClient, code: str, host_key: str, **body: Any) -> dict[str, Any]:
    response = await api.post(f"/api/v1/sessions/{code}/control", json=body, headers=api.host_headers(host_key))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def results_of(api: LivepollClient, code: str, key: str) -> dict[str, Any]:
    question: dict[str, Any] = (await api.results(code, key))["questions"][0]  # type: ignore[index]
    return question


async def shows_within(page: Any, condition: str, arg: Any, since: float, within: float = SHOWN_WITHIN) -> None:
    """`condition(arg)` holds in the page within `within` s (+ the suite's margin) of `since`."""
    await page.wait_for_function(condition, arg=arg, timeout=(within + MARGIN) * 1000)
    assert time.monotonic() - since < within + MARGIN


def number(text: str) -> float:
    """A number as the Polish page writes it ("2,67")."""
    return float(text.replace("\u00a0", "").replace(",", "."))


# What the page shows, read from its elements.
CLOUD = """() => [...document.querySelectorAll('#cloud .cloud-word')].map((el) => {
  const b = el.getBoundingClientRect();
  return {key: el.dataset.key, text: el.textContent, count: Number(el.dataset.count),
          x: b.left, y: b.top, right: b.right, bottom: b.bottom, px: parseFloat(getComputedStyle(el).fontSize)};
})"""
AREA = "() => document.getElementById('chart-area').getBoundingClientRect().toJSON()"
MORE = """() => { const m = document.getElementById('chart-more');
  return m.getClientRects().length ? {count: Number(m.dataset.count), text: m.textContent,
    box: m.getBoundingClientRect().toJSON()} : null; }"""
ROWS = """() => [...document.querySelectorAll('#chart > .bar-row')].map((row) => ({
  id: row.dataset.option, label: row.querySelector('.bar-label').innerText,
  value: row.querySelector('.bar-value').innerText, marked: row.classList.contains('marked'),
  mark: row.querySelector('.bar-mark')?.textContent ?? null}))"""
CARDS = """() => [...document.querySelectorAll('#wall > .entry-card')]
  .filter((card) => card.getClientRects().length).map((card) => ({id: card.dataset.entry, text: card.innerText}))"""


def overlapping(words: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs = []
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            if a["x"] < b["right"] and b["x"] < a["right"] and a["y"] < b["bottom"] and b["y"] < a["bottom"]:
                pairs.append((a["key"], b["key"]))
    return pairs


def outside(words: list[dict[str, Any]], area: dict[str, float]) -> list[str]:
    return [w["key"] for w in words if w["x"] < area["left"] - 0.5 or w["right"] > area["right"] + 0.5
            or w["y"] < area["top"] - 0.5 or w["bottom"] > area["bottom"] + 0.5]


# Choice ---------------------------------------------------------------------------------------------------


async def test_choice_with_other_names_it_in_the_page_language(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """A choice question with "other": the option `other` without a label reads "Inne" on a Polish screen,
    and its votes arrive like any option's."""
    code, key, _ = await api.create_session(questions=[
        {"kind": "choice", "text": "Skąd jesteś?", "options": ["Warszawa", "Kraków"], "other": True}])
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    await cast(await phone(api, code), code, choices=["other"], other_text="Łódź")
    since = time.monotonic()
    await shows_within(page, """() => {
      const row = document.querySelector('#chart .bar-row[data-option="other"]');
      return row && row.querySelector('.bar-value').textContent.startsWith('1 ');
    }""", None, since)
    rows = {row["id"]: row for row in await page.evaluate(ROWS)}
    assert rows["other"]["label"] == "Inne"
    assert rows["o1"]["label"] == "Warszawa" and rows["o1"]["value"].startswith("0 ")
    assert "Łódź" not in (await page.content()), "the texts people wrote are the host's, not the screen's"
    assert console.unexpected() == []


# Word cloud -----------------------------------------------------------------------------------------------


async def test_wordcloud_shows_the_words_by_count_and_a_hidden_word_leaves_at_once(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """Words from three phones show with the counts the results API has, the most frequent the largest;
    hide_entry takes a word off the screen within 1 s; the screen-reader summary names the top words."""
    code, key, _ = await api.create_session(questions=[{"kind": "wordcloud", "text": "Miasto to…", "max_entries": 3}])
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    ballots = [["miasto", "zieleń", "rower"], ["Miasto", "zieleń"], ["miasta"]]
    for entries in ballots:
        await cast(await phone(api, code), code, entries=entries)
    since = time.monotonic()
    await shows_within(page, """() => {
      const word = document.querySelector('#cloud .cloud-word[data-key="miasto"]');
      return word !== null && word.dataset.count === '3'
        && document.querySelectorAll('#cloud .cloud-word').length === 3;
    }""", None, since)
    expected = {w["key"]: (w["text"], w["count"]) for w in (await results_of(api, code, key))["words"]}
    shown = await page.evaluate(CLOUD)
    assert {w["key"]: (w["text"], w["count"]) for w in shown} == expected
    size = {w["key"]: w["px"] for w in shown}
    assert size["miasto"] > size["zieleń"] > size["rower"]
    assert overlapping(shown) == [] and outside(shown, await page.evaluate(AREA)) == []

    await control(api, code, key, action="hide_entry", question="q1", key="zieleń")
    since = time.monotonic()
    await shows_within(page, """() => !document.querySelector('#cloud .cloud-word[data-key="zieleń"]')
      && !document.getElementById('cloud').textContent.includes('zieleń')""", None, since, HIDDEN_WITHIN)
    assert {w["key"] for w in await page.evaluate(CLOUD)} == {"miasto", "rower"}
    await page.wait_for_function(
        "() => /miasto \\(3\\)/.test(document.getElementById('summary').textContent)", timeout=UI_WAIT + 8000)
    assert console.unexpected() == []


def distinct_words(count: int) -> list[str]:
    """`count` different words of up to 40 characters (every seventh that long), Polish and Ukrainian, that
    the lemmatiser keeps apart: a stem, then two letters and an ending no inflection has."""
    stems = ["współpraca", "Konstantynopolitańczykowianeczka", "гостинність", "Високоповажаний", "ład",
             "mieszkańcy", "самоврядування", "bezpieczeństwo", "дружба", "zieleń"]
    latin, cyrillic = "bcdfghjklmnprstwz", "бвгдзклмнпрстфхцш"
    words = []
    for n in range(count):
        stem = stems[n % len(stems)]
        is_cyrillic = "\u0400" <= stem[0] <= "\u04ff"
        letters = cyrillic if is_cyrillic else latin
        tag = letters[n // len(letters) % len(letters)] + letters[n % len(letters)] + ("ї" if is_cyrillic else "yq")
        if n % 7 == 0:
            stem = (stem + ("ж" if is_cyrillic else "ż") * 40)[:40 - len(tag)]
        words.append((stem + tag)[:40])
    return words


@pytest.mark.timeout(240)
@pytest.mark.parametrize("screen", list(SCREENS))
async def test_wordcloud_of_200_words_never_overlaps_or_leaves_the_stage(
    browser: Any, api: LivepollClient, server: ServerProcess, screen: str
) -> None:
    """200 distinct words, many long: every word on the screen is inside the stage and no two word boxes
    overlap; words that do not fit at a readable size are counted in a visible "+N more"; every shown word
    has the text and count the API has."""
    code, key, _ = await api.create_session(
        questions=[{"kind": "wordcloud", "text": "Jedno słowo", "max_entries": 10}])
    words = distinct_words(200)
    for start in range(0, len(words), 10):
        await cast(await phone(api, code), code, entries=words[start:start + 10])
    expected = {w["key"]: (w["text"], w["count"]) for w in (await results_of(api, code, key))["words"]}
    assert len(expected) == 200, "the test words must stay distinct"
    console = Console()
    page = await open_presenter(browser, server, code, key, console, screen)
    await page.wait_for_function("() => document.querySelectorAll('#cloud .cloud-word').length > 0", timeout=UI_WAIT)
    shown, area, more = await page.evaluate(CLOUD), await page.evaluate(AREA), await page.evaluate(MORE)
    assert overlapping(shown) == [], screen
    assert outside(shown, area) == [], screen
    assert all(expected[w["key"]] == (w["text"], w["count"]) for w in shown)
    hidden = 200 - len(shown)
    assert len(shown) >= 20, (screen, len(shown))
    if hidden:
        assert more is not None and more["count"] == hidden and str(hidden) in more["text"], more
        box = more["box"]
        assert box["bottom"] <= area["bottom"] + 0.5 and box["right"] <= area["right"] + 0.5
        assert not any(w["x"] < box["right"] and box["left"] < w["right"] and w["y"] < box["bottom"]
                       and box["top"] < w["bottom"] for w in shown), "a word under the +N more line"
    else:
        assert more is None
    assert min(w["px"] for w in shown) >= {"1280x720": 16.0, "1920x1080": 24.0}[screen]
    scroll = await page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert scroll[0] <= scroll[1]
    assert console.unexpected() == []


async def test_wordcloud_words_keep_their_place_when_counts_change_a_little(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """Thirty words on screen; one more ballot raises a few counts: the cloud does not jump (nearly every
    word keeps its place), and the counts follow."""
    code, key, _ = await api.create_session(
        questions=[{"kind": "wordcloud", "text": "Jedno słowo", "max_entries": 10}])
    words = distinct_words(30)
    for start in range(0, 30, 10):
        for _ in range(start // 10 + 1):  # the first ten words once, the next twice, the last thrice
            await cast(await phone(api, code), code, entries=words[start:start + 10])
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    await page.wait_for_function("() => document.querySelectorAll('#cloud .cloud-word').length === 30",
                                 timeout=UI_WAIT)
    before = {w["key"]: w for w in await page.evaluate(CLOUD)}
    await cast(await phone(api, code), code, entries=words[12:15])
    expected = {w["key"]: w["count"] for w in (await results_of(api, code, key))["words"]}
    assert sorted(expected.values()).count(3) == 13

    async def counts_shown() -> dict[str, int]:
        return {w["key"]: w["count"] for w in await page.evaluate(CLOUD)}

    await eventually(counts_shown, expected)
    after = {w["key"]: w for w in await page.evaluate(CLOUD)}

    def centre(w: dict[str, Any]) -> tuple[float, float]:
        return (w["x"] + w["right"]) / 2, (w["y"] + w["bottom"]) / 2

    stayed = [k for k in before
              if max(abs(a - b) for a, b in zip(centre(before[k]), centre(after[k]), strict=True)) < 2]
    assert len(stayed) >= 27, f"only {len(stayed)} of 30 words kept their place"
    assert overlapping(list(after.values())) == []
    assert console.unexpected() == []


# Open text ------------------------------------------------------------------------------------------------


async def test_open_text_wall_newest_first_with_line_breaks_and_moderation(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """A moderated open question: an entry waiting for approval is not on the screen (even once its ballot
    is counted), and shows within 2 s of approve_entry with its line break; newer entries come first."""
    code, key, _ = await api.create_session(
        questions=[{"kind": "open", "text": "Uwagi?", "max_entries": 3, "moderated": True}])
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    writer = await phone(api, code)
    await cast(writer, code, text="Pierwsza uwaga\ndruga linia")
    await cast(writer, code, text="Nowsza uwaga")
    await page.wait_for_function("() => document.getElementById('voters').textContent.startsWith('1 ')",
                                 timeout=UI_WAIT)
    assert await page.evaluate(CARDS) == []
    assert "Pierwsza uwaga" not in await page.content()

    entries = (await results_of(api, code, key))["entries"]
    assert [e["status"] for e in entries] == ["pending", "pending"]
    older, newer = entries[1], entries[0]
    await control(api, code, key, action="approve_entry", question="q1", entry=older["id"])
    since = time.monotonic()
    await shows_within(page, "() => document.querySelectorAll('#wall > .entry-card').length === 1", None, since)
    cards = await page.evaluate(CARDS)
    assert cards == [{"id": older["id"], "text": "Pierwsza uwaga\ndruga linia"}]

    await control(api, code, key, action="approve_entry", question="q1", entry=newer["id"])
    await page.wait_for_function("() => document.querySelectorAll('#wall > .entry-card').length === 2", timeout=UI_WAIT)
    assert [card["id"] for card in await page.evaluate(CARDS)] == [newer["id"], older["id"]]
    assert console.unexpected() == []


# Scale and ranking ----------------------------------------------------------------------------------------


async def test_scale_shows_each_statements_distribution_and_average(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """Per statement: segments as wide as each value's share of its ratings, the average and the number of
    ratings as the results API has them, a legend with the end labels; the summary says the averages."""
    code, key, _ = await api.create_session(questions=[{
        "kind": "scale", "text": "Oceń webinar", "statements": ["Treść", "Prowadzący"], "min": 1, "max": 5,
        "min_label": "źle", "max_label": "świetnie"}])
    for ratings in ({"s1": 5, "s2": 4}, {"s1": 4}, {"s1": 2, "s2": 4}):
        await cast(await phone(api, code), code, ratings=ratings)
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    since = time.monotonic()
    await shows_within(page, "() => document.querySelectorAll('#chart .scale-row').length === 2", None, since)
    statements = (await results_of(api, code, key))["statements"]
    shown = await page.evaluate("""() => [...document.querySelectorAll('#chart .scale-row')].map((row) => ({
      id: row.dataset.option, label: row.querySelector('.bar-label').textContent,
      average: row.querySelector('.value-main').textContent, note: row.querySelector('.value-note').textContent,
      widths: [...row.querySelectorAll('.seg')].map((seg) => parseFloat(seg.style.width)),
      values: [...row.querySelectorAll('.seg')].map((seg) => seg.dataset.value)}))""")
    for row, statement in zip(shown, statements, strict=True):
        assert row["id"] == statement["id"] and row["label"] == statement["label"]
        assert number(row["average"]) == pytest.approx(statement["average"])
        assert row["note"] == f"{statement['voters']} {'oceny' if statement['voters'] in (2, 3, 4) else 'ocen'}"
        assert row["values"] == ["1", "2", "3", "4", "5"]
        assert row["widths"] == pytest.approx([100 * c / statement["voters"] for c in statement["counts"]], abs=0.01)
    legend = await page.inner_text("#scale-legend")
    assert legend.split() == ["źle", "1", "2", "3", "4", "5", "świetnie"]
    summary = await page.text_content("#summary") or ""
    assert "Treść: średnia 3,67, 3 oceny." in summary and "Prowadzący: średnia 4,0, 2 oceny." in summary
    assert console.unexpected() == []


async def test_ranking_bars_follow_the_scores(browser: Any, api: LivepollClient, server: ServerProcess) -> None:
    """Ranking bars come in the server's order (by score) with the points and the average place; a new
    ballot that changes the order reorders them within 2 s."""
    code, key, _ = await api.create_session(questions=[
        {"kind": "ranking", "text": "Co najważniejsze?", "options": ["Mieszkania", "Transport", "Praca"]}])
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    await cast(await phone(api, code), code, order=["o2", "o1", "o3"])
    await cast(await phone(api, code), code, order=["o3", "o1", "o2"])
    await cast(await phone(api, code), code, order=["o3", "o2", "o1"])
    since = time.monotonic()
    await shows_within(page, """() => [...document.querySelectorAll('#chart > .bar-row')]
      .map((row) => row.dataset.option).join() === 'o3,o2,o1'""", None, since)
    options = (await results_of(api, code, key))["options"]
    assert [o["id"] for o in options] == ["o3", "o2", "o1"]
    for row, option in zip(await page.evaluate(ROWS), options, strict=True):
        points, note = row["value"].split("\n")
        assert row["label"] == option["label"] and points.startswith(f"{option['score']} punkt")
        assert number(re.sub(r"[^\d,]", "", note)) == pytest.approx(option["average_rank"])
    assert console.unexpected() == []


# Quiz and the timer ---------------------------------------------------------------------------------------


async def test_quiz_counts_down_reveals_and_shows_the_leaderboard(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """A quiz: a countdown after `open` with `seconds`, "Czas minął" when it ends; after `reveal` the correct
    option is marked with ✓ and words (the others are not); `show_leaderboard` takes the stage with the
    names, points and correct answers the leaderboard API has, tied players sharing a rank."""
    code, key, _ = await api.create_session(questions=[
        {"kind": "quiz", "text": "Stolica Polski?", "options": ["Kraków", "Warszawa", "Gdańsk"], "correct": [1]}])
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    players = {}
    for name, choice in (("Ala", "o2"), ("Ola", "o2"), ("Ela", "o1")):
        client = await phone(api, code)
        response = await client.post(f"/api/v1/sessions/{code}/nickname", json={"name": name})
        assert response.status_code == 200, response.text
        await cast(client, code, choices=[choice])
        players[name] = client
    await page.wait_for_function("() => document.getElementById('voters').textContent.startsWith('3 ')",
                                 timeout=UI_WAIT)
    assert await page.locator("#countdown").is_hidden()
    assert await page.locator(".bar-mark").count() == 0, "nothing is marked before the reveal"

    await control(api, code, key, action="open", seconds=3)
    opened = time.monotonic()
    await page.wait_for_selector("#countdown:not([hidden])", timeout=UI_WAIT)
    left = await page.text_content("#countdown")
    assert re.fullmatch(r"0:0[1-3]", left or ""), left
    await page.wait_for_function("() => document.getElementById('countdown').textContent === 'Czas minął'",
                                 timeout=(3 + MARGIN + 2) * 1000)
    assert time.monotonic() - opened >= 2.0, "the countdown must run for its seconds"
    assert (await api.results(code, key))["state"]["voting_open"] is False  # type: ignore[index]

    await control(api, code, key, action="reveal", question="q1")
    await page.wait_for_selector("#chart .bar-row.marked", timeout=UI_WAIT)
    rows = {row["id"]: row for row in await page.evaluate(ROWS)}
    assert rows["o2"]["marked"] and rows["o2"]["mark"] == "✓ Poprawna odpowiedź"
    assert not rows["o1"]["marked"] and not rows["o3"]["marked"] and rows["o1"]["mark"] is None

    await control(api, code, key, action="show_leaderboard")
    await page.wait_for_selector("#leaderboard tbody tr", timeout=UI_WAIT)
    assert await page.text_content("#question-text") == "Tabela wyników"
    assert await page.locator("#chart").is_hidden()
    table = await page.evaluate("""() => [...document.querySelectorAll('#leaderboard tbody tr')]
      .map((tr) => [...tr.cells].map((cell) => cell.textContent))""")
    board = await api.get(f"/api/v1/sessions/{code}/leaderboard", headers=api.host_headers(key))
    expected = [[str(e["rank"]), e["name"], str(e["score"]), str(e["correct"])] for e in board.json()["entries"]]
    assert table == expected
    assert sorted(table) == [["1", "Ala", "100", "1"], ["1", "Ola", "100", "1"], ["3", "Ela", "0", "0"]]
    await page.wait_for_function("() => /Tabela wyników\\. 1\\. (Ala|Ola): 100 punktów/.test("
                                 "document.getElementById('summary').textContent)", timeout=UI_WAIT + 8000)

    await control(api, code, key, action="hide_leaderboard")
    await page.wait_for_selector("#chart .bar-row.marked", timeout=UI_WAIT)
    assert await page.text_content("#question-text") == "Stolica Polski?"
    assert await page.locator("#leaderboard").is_hidden()
    assert console.unexpected() == []


async def test_every_kind_shows_the_timer_and_an_early_close_removes_it(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """`open` with `seconds` on a word-cloud question: the countdown shows the time left; the host closing
    voting early takes it away without a "time's up"."""
    code, key, _ = await api.create_session(questions=[{"kind": "wordcloud", "text": "Słowo?"}])
    console = Console()
    page = await open_presenter(browser, server, code, key, console)
    await control(api, code, key, action="open", seconds=90)
    await page.wait_for_selector("#countdown:not([hidden])", timeout=UI_WAIT)
    assert re.fullmatch(r"1:(2\d|30)", (await page.text_content("#countdown")) or "")
    await control(api, code, key, action="close")
    await page.wait_for_selector("#countdown", state="hidden", timeout=UI_WAIT)
    assert "Czas minął" not in (await page.text_content("#countdown") or "")
    assert console.unexpected() == []
