"""The participant page answers every kind of question, in a real headless Chromium on a phone-sized screen:
what the phone sends is exactly what the server counts (`/results`), and a second tab shows the counted
ballot from the server. Word cloud ballots replace each other, open text stops at its limit with a message,
a ranking is done by keyboard only, a quiz counts down, says "time's up", locks, and after the reveal
says right or wrong with the points and the place."""

from __future__ import annotations

from typing import Any

import pytest
import test_browser
from support.server import LivepollClient, ServerProcess

pytestmark = pytest.mark.browser

Console = test_browser.Console
open_phone = test_browser.open_phone
UI_WAIT = test_browser.UI_WAIT
# The first word-cloud or open-text ballot on a server waits until its dictionaries are loaded (a few seconds;
# far more on a loaded machine): such sends get this long (ms).
WORDS_WAIT = 60_000
# Tab presses allowed to reach a control from where the focus is (the page has a handful of stops before it).
MAX_TABS = 40

EVERY_KIND: list[dict[str, object]] = [
    {"kind": "choice", "text": "Co jest najważniejsze?", "options": ["Transport", "Mieszkania"], "other": True},
    {"kind": "wordcloud", "text": "Jednym słowem: miasto?", "max_entries": 3},
    {"kind": "open", "text": "Co poprawić?", "max_entries": 2, "moderated": True},
    {"kind": "scale", "text": "Oceń warsztat", "statements": ["Treść", "Prowadzenie"], "min": 1, "max": 5,
     "min_label": "źle", "max_label": "świetnie"},
    {"kind": "ranking", "text": "Priorytety", "options": ["Zieleń", "Drogi", "Szkoły"]},
    {"kind": "quiz", "text": "Stolica Polski?", "options": ["Kraków", "Warszawa", "Gdańsk"], "correct": [1]},
]


@pytest.fixture(scope="module")
def backend_name() -> str:
    """The browser tests are about the page; the embedded backend is enough (test_phone_forms runs both)."""
    return "embedded"


async def results_of(api: LivepollClient, code: str, key: str, question: str) -> dict[str, Any]:
    body: Any = await api.results(code, key)
    return next(q for q in body["questions"] if q["id"] == question)


async def goto(api: LivepollClient, phone: Any, code: str, key: str, question: str) -> None:
    assert (await api.control(code, key, "goto", question)).status_code == 200
    await phone.wait_for_selector(f'#vote-form[data-question="{question}"] #vote-button', timeout=UI_WAIT)


async def send(phone: Any, wait_ms: float = UI_WAIT) -> None:
    await phone.tap("#vote-button")
    try:
        await phone.wait_for_selector("#vote-status .success", timeout=wait_ms)
    except Exception:
        raise AssertionError(f"not counted: {await phone.text_content('#vote-status')!r}") from None


async def second_tab(phone: Any, server: ServerProcess, code: str, console: Any) -> Any:
    """Another tab of the same phone: it knows only what the server says."""
    tab = await phone.context.new_page()
    console.watch(tab, "second tab")
    await tab.goto(server.url(f"/{code}?lang=en"))
    await tab.wait_for_selector("#vote-status .success", timeout=UI_WAIT)
    return tab


async def control(api: LivepollClient, code: str, key: str, **body: object) -> None:
    response = await api.post(f"/api/v1/sessions/{code}/control", json=body, headers=api.host_headers(key))
    assert response.status_code == 200, response.text


async def shows(page: Any, selector: str, texts: list[str]) -> None:
    """Wait until the elements matching `selector` read `texts` (whitespace squeezed)."""
    try:
        await page.wait_for_function(
            """([s, want]) => JSON.stringify([...document.querySelectorAll(s)]
                 .map(e => e.textContent.replace(/\\s+/g, " ").trim())) === JSON.stringify(want)""",
            arg=[selector, texts], timeout=UI_WAIT,
        )
    except Exception:
        found = await page.eval_on_selector_all(selector, "items => items.map(i => i.textContent)")
        raise AssertionError(f"{selector}: expected {texts}, found {found}") from None


async def tab_to(page: Any, selector: str) -> None:
    """Press Tab until the focused element matches `selector` (keyboard only, no pointer)."""
    for _ in range(MAX_TABS):
        if await page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


async def test_a_phone_answers_every_kind_and_the_server_counts_exactly_that(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """One session with a question of each kind: the phone answers each through the page; /results holds
    exactly that ballot, a second tab shows it from the server, and the kind's results show on the phone
    while the host shows them there."""
    code, key, _ = await api.create_session(questions=EVERY_KIND)
    assert (await api.control(code, key, "show_on_phones")).status_code == 200
    console = Console()
    phone = await open_phone(browser, server, code, console)

    # choice with "other": its text field appears with the option and its text is counted
    assert await phone.is_hidden("#other-text")
    await phone.tap('label[for="opt-other"]')
    await phone.wait_for_selector("#other-text", state="visible")
    assert "Other" in (await phone.text_content('label[for="opt-other"]') or "")
    await phone.fill("#other-text", "  Kultura  ")
    await send(phone)
    choice = await results_of(api, code, key, "q1")
    assert [o["votes"] for o in choice["options"]] == [0, 0, 1] and choice["other_texts"] == ["Kultura"]
    tab = await second_tab(phone, server, code, console)
    assert await tab.is_checked("#opt-other") and await tab.input_value("#other-text") == "Kultura"
    await tab.close()
    await shows(phone, "#phone-chart .bar-row", ["Transport 0 · 0%", "Mieszkania 0 · 0%", "Other 1 · 100%"])

    # word cloud: forms of one word count once, and the page lists what was counted
    await goto(api, phone, code, key, "q2")
    await phone.fill("#entry-1", "Miasta")
    await phone.fill("#entry-2", "miasto")
    await phone.fill("#entry-3", "rower")
    assert "3 / 3" in (await phone.text_content("#words-count") or "")
    await send(phone, WORDS_WAIT)
    await phone.wait_for_function(
        "() => document.querySelector('#counted-view')?.textContent.includes('Miasta, rower')", timeout=UI_WAIT
    )
    cloud = await results_of(api, code, key, "q2")
    assert {w["key"]: w["count"] for w in cloud["words"]} == {"miasto": 1, "rower": 1} and cloud["voters"] == 1
    tab = await second_tab(phone, server, code, console)
    assert [await tab.input_value(f"#entry-{n}") for n in (1, 2, 3)] == ["Miasta", "rower", ""]
    assert "Counted: Miasta, rower" in (await tab.text_content("#counted-view") or "")
    await tab.close()
    await shows(phone, "#phone-extra .top-words li", ["Miasta 1", "rower 1"])

    # open text: line breaks kept, "waiting for approval" on a moderated question, one's own entries listed
    await goto(api, phone, code, key, "q3")
    await phone.fill("#open-text", "Więcej zieleni\nmniej aut")
    assert "24 / 500" in (await phone.text_content("#open-text-count") or "")
    await send(phone, WORDS_WAIT)
    assert "approves" in (await phone.text_content("#vote-status") or "")
    await phone.wait_for_selector("#counted-view li", timeout=UI_WAIT)
    assert await phone.input_value("#open-text") == ""
    entries = (await results_of(api, code, key, "q3"))["entries"]
    assert [(e["text"], e["status"]) for e in entries] == [("Więcej zieleni\nmniej aut", "pending")]
    tab = await second_tab(phone, server, code, console)
    assert await tab.inner_text("#counted-view li") == "Więcej zieleni\nmniej aut"
    await tab.close()
    await shows(phone, "#phone-extra p", ["No answers yet."])  # pending: not on screens
    await control(api, code, key, action="approve_entry", question="q3", entry=entries[0]["id"])
    await shows(phone, "#phone-extra .entry-wall li", ["Więcej zieleni mniej aut"])

    # scale with two statements: only the rated one counts
    await goto(api, phone, code, key, "q4")
    await phone.tap("#rating-s2-2")
    await send(phone)
    statements = (await results_of(api, code, key, "q4"))["statements"]
    assert [(s["counts"], s["voters"]) for s in statements] == [([0, 0, 0, 0, 0], 0), ([0, 1, 0, 0, 0], 1)]
    await phone.tap("#rating-s1-5")
    await phone.tap("#vote-button")
    await phone.wait_for_function(
        "() => /change it/.test(document.querySelector('#vote-status .success')?.textContent ?? '')"
        " && !document.querySelector('#vote-status .pending')", timeout=UI_WAIT,
    )
    statements = (await results_of(api, code, key, "q4"))["statements"]
    assert [(s["counts"], s["average"]) for s in statements] == [([0, 0, 0, 0, 1], 5.0), ([0, 1, 0, 0, 0], 2.0)]
    tab = await second_tab(phone, server, code, console)
    assert await tab.is_checked("#rating-s1-5") and await tab.is_checked("#rating-s2-2")
    await tab.close()
    await shows(phone, "#phone-extra .scale-result p", ["Average: 5 · 1 rating", "Average: 2 · 1 rating"])

    # ranking by touch: the last option moved to the top
    await goto(api, phone, code, key, "q5")
    await phone.tap('#ranking-list li[data-option="o3"] [data-move="up"]')
    await phone.tap('#ranking-list li[data-option="o3"] [data-move="up"]')
    await send(phone)
    ranking = (await results_of(api, code, key, "q5"))["options"]
    assert [(o["id"], o["score"], o["average_rank"]) for o in ranking] == [
        ("o3", 3, 1.0), ("o1", 2, 2.0), ("o2", 1, 3.0)]
    tab = await second_tab(phone, server, code, console)
    order = await tab.eval_on_selector_all("#ranking-list > li", "items => items.map(i => i.dataset.option)")
    assert order == ["o3", "o1", "o2"]
    await tab.close()
    await shows(phone, "#phone-chart .bar-row", ["Szkoły Score 3 · average place 1", "Zieleń Score 2 · average place 2",
                                                 "Drogi Score 1 · average place 3"])

    # quiz: a pick, counted
    await goto(api, phone, code, key, "q6")
    await phone.tap('label[for="opt-o2"]')
    await send(phone)
    assert [o["votes"] for o in (await results_of(api, code, key, "q6"))["options"]] == [0, 1, 0]
    tab = await second_tab(phone, server, code, console)
    assert await tab.is_checked("#opt-o2")
    await tab.close()
    await shows(phone, "#phone-chart .bar-row", ["Kraków 0 · 0%", "Warszawa 1 · 100%", "Gdańsk 0 · 0%"])
    await control(api, code, key, action="reveal", question="q6")
    await shows(phone, "#phone-chart .bar-row", ["Kraków 0 · 0%", "✓ Warszawa (correct answer) 1 · 100%",
                                                 "Gdańsk 0 · 0%"])
    assert console.unexpected() == []


async def test_a_new_word_cloud_ballot_replaces_the_previous_one(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """Sending other words takes the first ones off the count: one voter, only the new words."""
    code, key, _ = await api.create_session(questions=[EVERY_KIND[1]])
    console = Console()
    phone = await open_phone(browser, server, code, console)
    await phone.fill("#entry-1", "rower")
    await phone.fill("#entry-2", "park")
    await send(phone, WORDS_WAIT)
    await phone.wait_for_selector("#counted-view", timeout=UI_WAIT)
    await phone.fill("#entry-1", "")
    await phone.fill("#entry-2", "tramwaj")
    assert "1 / 3" in (await phone.text_content("#words-count") or "")
    await phone.tap("#vote-button")
    await phone.wait_for_function(
        "() => document.querySelector('#counted-view')?.textContent.endsWith('tramwaj')", timeout=UI_WAIT
    )
    cloud = await results_of(api, code, key, "q1")
    assert {w["key"]: w["count"] for w in cloud["words"]} == {"tramwaj": 1} and cloud["voters"] == 1
    assert [await phone.input_value(f"#entry-{n}") for n in (1, 2, 3)] == ["tramwaj", "", ""]
    assert console.unexpected() == []


async def test_open_text_stops_at_the_limit_and_says_so(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """Two entries at most: when another tab of the same phone sent the second one, a third from the first
    tab is refused by the server (409 limit_reached); the page says so, lists both entries and locks."""
    code, key, _ = await api.create_session(questions=[{"kind": "open", "text": "Uwagi?", "max_entries": 2}])
    console = Console()
    phone = await open_phone(browser, server, code, console)
    await phone.fill("#open-text", "pierwsza")
    await send(phone, WORDS_WAIT)
    tab = await second_tab(phone, server, code, console)
    await tab.fill("#open-text", "druga")
    await tab.tap("#vote-button")
    await tab.wait_for_function(
        "() => /sent\\. You have sent 2 entries/.test(document.querySelector('#vote-status .success')?.textContent)",
        timeout=UI_WAIT,
    )
    assert await tab.is_hidden("#vote-button") and await tab.is_disabled("#open-text")

    await phone.fill("#open-text", "trzecia")
    await phone.tap("#vote-button")
    await phone.wait_for_function(
        "() => /You have sent 2 entries: the most this question takes/.test("
        "document.querySelector('#vote-status').textContent)", timeout=UI_WAIT,
    )
    await phone.wait_for_function("() => document.querySelectorAll('#counted-view li').length === 2", timeout=UI_WAIT)
    assert await phone.is_disabled("#open-text")
    entries = (await results_of(api, code, key, "q1"))["entries"]
    assert sorted(e["text"] for e in entries) == ["druga", "pierwsza"]
    assert console.unexpected() == []


async def test_ranking_by_keyboard_only(browser: Any, api: LivepollClient, server: ServerProcess) -> None:
    """Tab, Enter and Space on the move buttons reorder the list; the focus stays on the moved item's button
    (visibly), the live region says the new place, and the order sent by keyboard is the one counted."""
    code, key, _ = await api.create_session(questions=[EVERY_KIND[4]])
    console = Console()
    phone = await open_phone(browser, server, code, console)
    up_o3 = '#ranking-list li[data-option="o3"] [data-move="up"]'
    await tab_to(phone, up_o3)
    await phone.keyboard.press("Enter")
    await phone.wait_for_function(
        "() => document.querySelector('#announcer').textContent === 'Szkoły: place 2 of 3.'", timeout=UI_WAIT
    )
    assert await phone.evaluate("s => document.activeElement.matches(s)", up_o3)
    await phone.keyboard.press("Space")
    await phone.wait_for_function(
        "() => document.querySelector('#announcer').textContent === 'Szkoły: place 1 of 3.'", timeout=UI_WAIT
    )
    assert await phone.evaluate("s => document.activeElement.matches(s)", up_o3)
    assert await phone.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    assert await phone.get_attribute(up_o3, "aria-disabled") == "true"
    await phone.keyboard.press("Enter")  # already first: stays, and keeps the focus
    assert await phone.evaluate("s => document.activeElement.matches(s)", up_o3)

    await tab_to(phone, '#ranking-list li[data-option="o1"] [data-move="down"]')
    await phone.keyboard.press("Enter")
    await phone.wait_for_function(
        "() => document.querySelector('#announcer').textContent === 'Zieleń: place 3 of 3.'", timeout=UI_WAIT
    )
    places = await phone.eval_on_selector_all("#ranking-list .rank-place", "items => items.map(i => i.textContent)")
    assert places == ["1.", "2.", "3."]
    order = await phone.eval_on_selector_all("#ranking-list > li", "items => items.map(i => i.dataset.option)")
    assert order == ["o3", "o2", "o1"]
    await tab_to(phone, "#vote-button")
    await phone.keyboard.press("Enter")
    await phone.wait_for_selector("#vote-status .success", timeout=UI_WAIT)
    ranking = (await results_of(api, code, key, "q1"))["options"]
    assert [(o["id"], o["score"]) for o in ranking] == [("o3", 3), ("o2", 2), ("o1", 1)]
    assert console.unexpected() == []


async def test_quiz_counts_down_locks_at_times_up_and_shows_the_outcome(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """The phone picks a nickname and answers; the host opens a 2-second timer: the countdown shows, then
    "Time's up." (said once in the live region) and the form locks. After the reveal the phone says right
    (in words), the points and its place; the leaderboard lists the chosen name."""
    code, key, _ = await api.create_session(questions=[EVERY_KIND[5]])
    console = Console()
    phone = await open_phone(browser, server, code, console)
    other = api.participant()
    await other.join(code)
    assert (await other.vote(code, "q1", ["o1"])).status_code == 200

    await phone.fill("#nickname", "Ala")
    await phone.tap("#nickname-button")
    await phone.wait_for_function(
        "() => /as Ala\\./.test(document.querySelector('#nickname-status').textContent)", timeout=UI_WAIT
    )
    await phone.tap('label[for="opt-o2"]')
    await send(phone)

    await control(api, code, key, action="open", seconds=2)
    await phone.wait_for_function(
        "() => /Time left: 0:0[12]/.test(document.querySelector('#countdown').textContent)", timeout=UI_WAIT
    )
    await phone.wait_for_function(
        "() => document.querySelector('#countdown').textContent === \"Time's up.\"", timeout=UI_WAIT
    )
    await phone.wait_for_function(
        "() => document.querySelector('#announcer').textContent === \"Time's up.\"", timeout=UI_WAIT
    )
    assert await phone.eval_on_selector("#vote-form fieldset", "f => f.disabled")
    assert await phone.is_disabled("#opt-o1") and await phone.is_hidden("#vote-button")
    await phone.wait_for_selector("#vote-status .closed", timeout=UI_WAIT)
    assert "Time's up." in (await phone.text_content("#vote-status") or "")

    await control(api, code, key, action="reveal", question="q1")
    await phone.wait_for_selector("#quiz-outcome", timeout=UI_WAIT)
    outcome = await phone.inner_text("#quiz-outcome")
    assert "✓ Right!" in outcome and "You earned 100 points." in outcome
    assert "Your score: 100 · 1st of 2" in outcome
    assert "correct answer" in (await phone.text_content('label[for="opt-o2"]') or "")
    board = await api.get(f"/api/v1/sessions/{code}/leaderboard", headers=api.host_headers(key))
    standings = [(e["rank"], e["name"], e["score"]) for e in board.json()["entries"]]
    assert standings == [(1, "Ala", 100), (2, standings[1][1], 0)]
    assert console.unexpected() == []
