"""The host's pages for every question kind: the create form (with JavaScript in Chromium, and posted as a
plain form on both backends) and the control panel (live preview per kind, hiding words, approving
entries by keyboard, the quiz's reveal and leaderboard, the timer, Next / Previous), with and without
JavaScript."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from typing import Any

import pytest
from support.screens import frame_where, presenter_socket
from support.server import ADMIN_TOKEN, LivepollClient, ServerProcess

from livepoll.model import MAX_QUESTIONS
from livepoll.questions import MAX_OPTIONS

# How long a page may take to show a change (ms): generous, since Chromium shares a loaded 2-core machine.
UI_WAIT = 10_000
WAIT = 10.0
# A new server's first word-cloud or open-text ballot waits for the words rules (dictionaries: seconds, and more
# on a machine loaded with Chromium and Redis).
WORDS_WAIT = 60.0
# The browser tests are about the pages: one backend is enough (the form posts below run on both).
EMBEDDED = pytest.mark.parametrize("backend_name", ["embedded"], indirect=True)

SIX_KINDS: list[dict[str, object]] = [
    {"kind": "choice", "text": "Which days?", "options": ["Monday", "Tuesday"], "other": True},
    {"kind": "quiz", "text": "Capital of Poland?", "options": ["Warsaw", "Kraków", "Gdańsk"], "correct": [0]},
    {"kind": "wordcloud", "text": "One word", "max_entries": 3},
    {"kind": "open", "text": "Comments", "moderated": True, "max_entries": 2},
    {"kind": "scale", "text": "Rate the day", "statements": ["Content", "Pace"]},
    {"kind": "ranking", "text": "Order them", "options": ["A", "B", "C"]},
]


# Helpers ---------------------------------------------------------------------------------------------------


def origin(server: ServerProcess) -> dict[str, str]:
    return {"Origin": server.origin}


async def admin_client(api: LivepollClient, server: ServerProcess) -> LivepollClient:
    admin = api.participant()
    response = await admin.post("/host", data={"token": ADMIN_TOKEN}, headers=origin(server))
    assert response.status_code == 303, response.text
    return admin


async def host_client(api: LivepollClient, code: str, key: str) -> LivepollClient:
    host = api.participant()
    assert (await host.get(f"/host/{code}", params={"key": key})).status_code == 303
    return host


async def ballot(api: LivepollClient, code: str, question: str, **fields: object) -> None:
    """One new participant's ballot through the API."""
    phone = api.participant()
    await phone.join(code)
    response = await phone.post(f"/api/v1/sessions/{code}/votes", json={"question": question, **fields},
                                timeout=WORDS_WAIT)
    assert response.status_code == 200, response.text


async def goto(api: LivepollClient, code: str, key: str, question: str) -> None:
    assert (await api.control(code, key, "goto", question)).status_code == 200


async def question_results(api: LivepollClient, code: str, key: str, question: str) -> dict[str, Any]:
    results: Any = await api.results(code, key)
    found: dict[str, Any] = next(q for q in results["questions"] if q["id"] == question)
    return found


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}_error">(.*?)</p>', html, re.S)
    assert match, f"no error shown next to {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1))


def element_text(html: str, element_id: str) -> str:
    """The text of the element with this id, as a page without JavaScript shows it."""
    match = re.search(rf'<(\w+) id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no element #{element_id}"
    return re.sub(r"<[^>]+>", "", match.group(2)).strip()


def words_of(frame: dict[str, Any]) -> list[str]:
    return [w["text"] for w in frame["question"]["words"]] if frame["question"] else []


def entries_of(frame: dict[str, Any]) -> list[str]:
    return [e["text"] for e in frame["question"].get("entries", [])] if frame["question"] else []


# The create form without JavaScript (both backends) --------------------------------------------------------


NO_JS_FORM: dict[str, Any] = {
    "count": "6", "op": "create", "title": "Every kind, no JavaScript",
    "q1_kind": "choice", "q1_shown": "choice", "q1_text": "Which days?", "q1_options": "Monday\r\nTuesday\r\n",
    "q1_max_choices": "2", "q1_allow_change": "1", "q1_other": "1", "q1_other_label": "Another day",
    "q2_kind": "quiz", "q2_shown": "quiz", "q2_text": "Capital of Poland?", "q2_option_1": "Warsaw",
    "q2_option_2": "", "q2_option_3": "Kraków", "q2_option_4": "Gdańsk", "q2_correct": ["1"], "q2_points": "200",
    "q2_time_limit": "30", "q2_speed_bonus": "1", "q2_allow_change": "1",
    "q3_kind": "wordcloud", "q3_shown": "wordcloud", "q3_text": "One word", "q3_max_words": "2",
    "q4_kind": "open", "q4_shown": "open", "q4_text": "Comments", "q4_max_entries": "3", "q4_moderated": "1",
    "q5_kind": "scale", "q5_shown": "scale", "q5_text": "Rate the day", "q5_statements": "Content\nPace",
    "q5_scale_min": "0", "q5_scale_max": "10", "q5_min_label": "bad", "q5_max_label": "great",
    "q5_allow_change": "1",
    "q6_kind": "ranking", "q6_shown": "ranking", "q6_text": "Order them", "q6_options": "A\nB\nC",
}


async def test_no_js_create_form_makes_a_question_of_every_kind(api: LivepollClient, server: ServerProcess) -> None:
    """Without JavaScript, "Change kind" shows the chosen kind's fields with what was typed carried over (a
    choice question's options become quiz answer rows), and "Create session" makes one question of each kind
    with every setting as typed."""
    admin = await admin_client(api, server)
    switched = await admin.post("/host/sessions", params={"lang": "en"}, headers=origin(server), data={
        "count": "1", "op": "kind", "title": "T", "q1_kind": "quiz", "q1_shown": "choice", "q1_text": "Q",
        "q1_options": "Warsaw\nKraków",
    })
    assert switched.status_code == 200
    html = switched.text
    assert 'name="q1_option_1"' in html and 'value="Warsaw"' in html and 'value="Kraków"' in html
    assert re.search(r'<div class="kind-fields" data-kinds="quiz">', html), "the quiz fields are shown"
    assert re.search(r'<div class="kind-fields" data-kinds="choice ranking" hidden>', html)

    response = await admin.post("/host/sessions", data=NO_JS_FORM, headers=origin(server))
    assert response.status_code == 303, response.text
    code = response.headers["location"].rsplit("/", 1)[1]
    key = response.cookies[f"lp_host_{code}"]
    results: Any = await api.results(code, key)
    q1, q2, q3, q4, q5, q6 = results["questions"]
    assert [o["label"] for o in q1["options"]] == ["Monday", "Tuesday", "Another day"]
    assert q1["other"] is True and q1["max_choices"] == 2 and q1["allow_change"] is True
    assert [o["label"] for o in q2["options"]] == ["Warsaw", "Kraków", "Gdańsk"]
    assert q2["correct"] == ["o1"] and q2["points"] == 200 and q2["time_limit"] == 30 and q2["speed_bonus"] is True
    assert (q3["kind"], q3["max_entries"], q3["allow_change"]) == ("wordcloud", 2, False)
    assert (q4["kind"], q4["max_entries"], q4["moderated"]) == ("open", 3, True)
    assert [s["label"] for s in q5["statements"]] == ["Content", "Pace"]
    assert (q5["min"], q5["max"], q5["min_label"], q5["max_label"]) == (0, 10, "bad", "great")
    assert (q6["kind"], [o["label"] for o in q6["options"]]) == ("ranking", ["A", "B", "C"])


async def test_no_js_create_form_shows_each_problem_next_to_its_field_in_the_page_language(
    api: LivepollClient, server: ServerProcess
) -> None:
    """Problems that the API's rules find (the request model's limits and each kind's own rules) are shown
    next to their fields, in Polish on a Polish page, listed above the form, and nothing is created."""
    admin = await admin_client(api, server)
    title = f"Nothing to create {time.time_ns()}"
    form = {**NO_JS_FORM, "title": title, "q1_options": "Monday\nmonday", "q2_correct": [], "q2_points": "lots",
            "q3_max_words": "11", "q5_scale_max": "11", "q6_options": "A"}
    response = await admin.post("/host/sessions", data=form, params={"lang": "pl"}, headers=origin(server))
    assert response.status_code == 422
    html = response.text
    assert "Każda opcja musi być inna" in field_error(html, "q1_options")
    assert field_error(html, "q2_quiz_options").endswith("Zaznacz co najmniej jedną poprawną odpowiedź.")
    assert "od 0 do 1000" in field_error(html, "q2_points")
    assert "od 1 do 10" in field_error(html, "q3_max_words")
    assert "od 1 do 10" in field_error(html, "q5_scale_max")  # 0..11 would be 12 points: a kind's own rule
    assert "od 2 do 10" in field_error(html, "q6_options")
    assert 'href="#q2_points"' in html and 'aria-invalid="true"' in html
    assert 'value="lots"' in html and "Rate the day" in html  # what was typed is kept
    listed: Any = (await api.get("/api/v1/sessions", headers=api.admin_headers())).json()
    assert title not in [s["title"] for s in listed["sessions"]]


class FormFields(HTMLParser):
    """Every field a browser would post from a page's create form: (name, value) pairs in page order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[list[str]] = []
        self._textarea: list[str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "submit"):
            self.fields.append([a["name"], a.get("value", "")])
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.fields.append([a["name"], a.get("value", "on")])
        elif tag == "textarea":
            self._textarea = [a["name"], ""]
            self.fields.append(self._textarea)
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append([self._select, a["value"]])

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data


async def test_no_js_create_form_takes_the_largest_session(api: LivepollClient, server: ServerProcess) -> None:
    """The whole form of the largest session (100 questions of 30 options), every field of every block posted
    as a browser posts it, creates the session: the form's field limits are sized for it."""
    admin = await admin_client(api, server)
    grown = await admin.post("/host/sessions", data={"count": str(MAX_QUESTIONS - 1), "op": "add", "title": "Big"},
                             headers=origin(server))
    assert grown.status_code == 200 and f'id="q{MAX_QUESTIONS}_kind"' in grown.text
    assert 'value="add"' not in grown.text, "no 'add another question' past the limit"
    parser = FormFields()
    parser.feed(grown.text[grown.text.index('<form method="post" action="/host/sessions"'):])
    options = "\n".join(f"Możliwość numer {o} dla pytania, dość długa" for o in range(1, MAX_OPTIONS + 1))
    typed = {f"q{n}_{name}": value for n in range(1, MAX_QUESTIONS + 1)
             for name, value in (("text", f"Pytanie {n}"), ("options", options))}
    fields = [(name, typed.get(name, value)) for name, value in parser.fields if name not in ("op", "title")]
    assert len(fields) > 10 * MAX_QUESTIONS  # every kind's fields of every block
    body: dict[str, list[str]] = {"title": ["Big"], "op": ["create"]}
    for name, value in fields:
        body.setdefault(name, []).append(value)
    created = await admin.post("/host/sessions", data=body, headers=origin(server))
    assert created.status_code == 303, created.text[:2000]
    code = created.headers["location"].rsplit("/", 1)[1]
    results: Any = await api.results(code, created.cookies[f"lp_host_{code}"])
    assert len(results["questions"]) == MAX_QUESTIONS
    assert {len(q["options"]) for q in results["questions"]} == {MAX_OPTIONS}


async def test_no_js_panel_buttons_reach_every_kind(api: LivepollClient, server: ServerProcess) -> None:
    """Without JavaScript the panel's forms carry what each control needs: a timer's seconds, a word's key, an
    entry's id; Next / Previous move the session and "Show this question" is not offered on the current one."""
    code, key, _ = await api.create_session(questions=SIX_KINDS)
    host = await host_client(api, code, key)

    async def press(**fields: str) -> None:
        response = await host.post(f"/host/{code}/control", data=fields, headers=origin(server))
        assert response.status_code == 303 and "error" not in response.headers["location"], response.headers

    panel = (await host.get(f"/host/{code}", params={"lang": "en"})).text
    assert 'data-action="previous"' in panel and re.search(r'data-action="previous"[^>]*hidden', panel)
    assert not re.search(r'data-action="goto" data-question="q1"\s*>', panel), "no 'show this question' on q1"
    assert re.search(r'data-action="next" data-question="q2"\s*>', panel)
    await press(action="goto", question="q2")  # the Next button's form
    assert (await api.results(code, key))["state"]["current"] == "q2"  # type: ignore[index]

    async def countdown() -> str | None:
        """The panel's countdown as the page shows it, None while it is hidden."""
        panel = (await host.get(f"/host/{code}", params={"lang": "en"})).text
        timer = re.search(r'<p id="timer"[^>]*?( hidden)?>(.*?)</p>', panel, re.S)
        assert timer
        return None if timer.group(1) else timer.group(2)

    await press(action="open", seconds="30")
    assert re.fullmatch(r"Voting closes in 0:(30|[12]\d)", await countdown() or "")
    await press(action="open")  # stop timer
    assert await countdown() is None

    await press(action="reveal", question="q2")
    assert (await api.join(code))["question"]["correct"] == ["o1"]  # type: ignore[index]
    await press(action="show_leaderboard")
    panel = (await host.get(f"/host/{code}", params={"lang": "en"})).text
    assert element_text(panel, "leaderboard-state") == "The leaderboard is on the screen."
    assert re.search(r'data-action="hide_leaderboard"\s*>', panel), "Hide is offered, not Show"

    await goto(api, code, key, "q3")
    await ballot(api, code, "q3", entries=["river", "city"])
    await press(action="hide_entry", question="q3", key="river")
    words = await question_results(api, code, key, "q3")
    assert [w["text"] for w in words["words"]] == ["city"] and [w["text"] for w in words["hidden_words"]] == ["river"]

    await goto(api, code, key, "q4")
    await ballot(api, code, "q4", text="Good talk")
    entry = (await question_results(api, code, key, "q4"))["entries"][0]
    panel = (await host.get(f"/host/{code}", params={"lang": "en"})).text
    assert f'data-entry="{entry["id"]}" data-status="pending"' in panel
    assert re.search(rf'name="entry" value="{entry["id"]}">\s*<button[^>]*>Approve', panel)
    await press(action="approve_entry", question="q4", entry=entry["id"])
    assert (await question_results(api, code, key, "q4"))["entries"][0]["status"] == "visible"

    refused = await host.post(f"/host/{code}/control", data={"action": "open", "seconds": "soon"},
                              headers=origin(server))
    assert refused.status_code == 303 and "error=invalid_control" in refused.headers["location"]


# In Chromium --------------------------------------------------------------------------------------------------


class Console:
    """Console errors and uncaught exceptions of the pages a test opens (a CSP violation shows here)."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Any, name: str) -> None:
        page.on("console", lambda m: self.problems.append(f"{name}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"{name}: uncaught {e}"))


async def open_panel(browser: Any, server: ServerProcess, code: str, key: str, console: Console) -> Any:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    panel = await context.new_page()
    console.watch(panel, "panel")
    await panel.goto(server.url(f"/host/{code}?key={key}&lang=en"))
    await panel.wait_for_function("() => document.querySelector('#state-connection').textContent.includes('connected')")
    return panel


async def text_of(page: Any, selector: str) -> str:
    return str(await page.text_content(selector) or "")


@pytest.mark.browser
@EMBEDDED
async def test_host_creates_a_question_of_every_kind_with_the_form(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """With JavaScript, choosing a kind shows its fields at once (no "Change kind" round trip), options carry
    over between the options box and the quiz's answer rows, and the session is created with every kind."""
    console = Console()
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = await context.new_page()
    console.watch(page, "host")
    await page.goto(server.url("/host?lang=en"))
    await page.fill('input[name="token"]', ADMIN_TOKEN)
    await page.press('input[name="token"]', "Enter")
    await page.wait_for_selector("#q1_kind")
    # The page's module hides the "Change kind" button once it runs (the kind then changes at once).
    await page.wait_for_selector(".kind-apply", state="hidden", timeout=UI_WAIT)
    title = f"Every kind {time.time_ns()}"
    await page.fill("#title", title)

    await page.fill("#q1_text", "Which days?")
    await page.fill("#q1_options", "Monday\nTuesday")
    await page.fill("#q1_max_choices", "2")
    await page.check("#q1_other")
    await page.fill("#q1_other_label", "Another day")

    async def add(n: int, kind: str) -> None:
        await page.click('button[name="op"][value="add"]')
        await page.wait_for_selector(f"#q{n}_kind")
        await page.select_option(f"#q{n}_kind", kind)

    await add(2, "choice")
    await page.fill("#q2_text", "Capital of Poland?")
    await page.fill("#q2_options", "Warsaw\nKraków")
    await page.select_option("#q2_kind", "quiz")
    assert await page.is_visible("#q2_option_1") and await page.is_hidden("#q2_options")
    assert await page.input_value("#q2_option_2") == "Kraków"
    await page.click("#q2_quiz_options .add-option")
    await page.fill("#q2_option_3", "Gdańsk")
    await page.check("#q2_correct_1")
    await page.fill("#q2_points", "200")
    await page.fill("#q2_time_limit", "30")

    await add(3, "wordcloud")
    assert await page.is_hidden("#q3_options") and await page.is_visible("#q3_max_words")
    await page.fill("#q3_text", "One word")
    await page.fill("#q3_max_words", "2")
    await add(4, "open")
    await page.fill("#q4_text", "Comments")
    await page.check("#q4_moderated")
    await add(5, "scale")
    await page.fill("#q5_text", "Rate the day")
    await page.fill("#q5_statements", "Content\nPace")
    await page.select_option("#q5_scale_min", "0")
    await page.fill("#q5_scale_max", "10")
    await page.fill("#q5_max_label", "great")
    await add(6, "quiz")
    await page.fill("#q6_option_1", "A")
    await page.fill("#q6_option_2", "B")
    await page.fill("#q6_option_3", "C")
    await page.select_option("#q6_kind", "ranking")
    assert await page.input_value("#q6_options") == "A\nB\nC"
    await page.fill("#q6_text", "Order them")

    await page.click('button[name="op"][value="create"]')
    await page.wait_for_url(re.compile(r"/host/\d{8}$"))
    code = page.url.rsplit("/", 1)[1]
    cookies = {c["name"]: c["value"] for c in await context.cookies()}
    results: Any = await api.results(code, cookies[f"lp_host_{code}"])
    assert results["title"] == title
    q1, q2, q3, q4, q5, q6 = results["questions"]
    assert [o["label"] for o in q1["options"]] == ["Monday", "Tuesday", "Another day"] and q1["max_choices"] == 2
    assert [o["label"] for o in q2["options"]] == ["Warsaw", "Kraków", "Gdańsk"]
    assert (q2["kind"], q2["correct"], q2["points"], q2["time_limit"]) == ("quiz", ["o1"], 200, 30)
    assert (q3["kind"], q3["max_entries"]) == ("wordcloud", 2)
    assert (q4["kind"], q4["max_entries"], q4["moderated"]) == ("open", 1, True)
    assert (q5["kind"], q5["min"], q5["max"], q5["max_label"]) == ("scale", 0, 10, "great")
    assert (q6["kind"], [o["label"] for o in q6["options"]]) == ("ranking", ["A", "B", "C"])
    assert console.problems == []


@pytest.mark.browser
@EMBEDDED
async def test_panel_previews_each_kind_live_and_next_previous_move_the_session(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """As ballots arrive through the API the panel shows each kind compactly (bars, "other" texts, words
    with counts, entries waiting for approval, averages per statement, ranking points); Next and Previous
    move the session, and "Show this question" is offered only on the other questions."""
    code, key, _ = await api.create_session(questions=SIX_KINDS)
    console = Console()
    panel = await open_panel(browser, server, code, key, console)
    assert await panel.is_hidden('form[data-action="previous"]')
    assert await panel.is_hidden('.question-item[data-question="q1"] form[data-action="goto"]')
    assert await panel.is_visible('.question-item[data-question="q2"] form[data-action="goto"]')

    async def shows(selector: str, text: str) -> None:
        await panel.wait_for_function(
            "([s, t]) => [...document.querySelectorAll(s)].some((e) => e.offsetParent !== null"
            " && e.textContent.includes(t))", arg=[selector, text], timeout=UI_WAIT)

    async def next_question(position: str) -> None:
        await panel.click('form[data-action="next"] button')
        await shows("#question-position", position)

    await ballot(api, code, "q1", choices=["o1"])
    await ballot(api, code, "q1", choices=["other"], other_text="Saturday")
    await shows('#preview-chart .bar-row[data-option="o1"] .bar-value', "1 · 50")
    await shows("#other-texts li", "Saturday")

    await next_question("Question 2 of 6")
    assert (await api.results(code, key))["state"]["current"] == "q2"  # type: ignore[index]
    assert await panel.is_hidden('.question-item[data-question="q2"] form[data-action="goto"]')
    assert await panel.is_visible('.question-item[data-question="q1"] form[data-action="goto"]')
    await ballot(api, code, "q2", choices=["o2"])
    await shows('#preview-chart .bar-row[data-option="o2"] .bar-value', "1 · 100")
    assert await panel.is_visible('#preview-chart .bar-row.correct[data-option="o1"]')
    assert "Warsaw" in await text_of(panel, "#quiz-correct")

    await next_question("Question 3 of 6")
    await ballot(api, code, "q3", entries=["river", "city"])
    await ballot(api, code, "q3", entries=["city"])
    await shows('#words-shown .word-item[data-key="city"] .mod-count', "2")
    words = await panel.locator("#words-shown .word-item .mod-text").all_text_contents()
    counts = await panel.locator("#words-shown .word-item .mod-count").all_text_contents()
    assert list(zip(words, counts, strict=True)) == [("city", "2"), ("river", "1")]

    await next_question("Question 4 of 6")
    await ballot(api, code, "q4", text="First comment")
    await ballot(api, code, "q4", text="Second comment")
    await shows("#entries-pending .entry-item", "Second comment")
    assert "2 waiting for approval" in await text_of(panel, "#entry-counts")
    pending = await panel.locator("#entries-pending .entry-item .mod-text").all_text_contents()
    assert pending == ["Second comment", "First comment"]  # newest first

    await next_question("Question 5 of 6")
    await ballot(api, code, "q5", ratings={"s1": 4, "s2": 2})
    await ballot(api, code, "q5", ratings={"s1": 2})
    await shows('#preview-chart .bar-row[data-option="s1"] .bar-value', "Average 3")
    await shows('#preview-chart .bar-row[data-option="s2"] .bar-detail', "2: 1")

    await next_question("Question 6 of 6")
    assert await panel.is_hidden('form[data-action="next"]')
    await ballot(api, code, "q6", order=["o2", "o1", "o3"])
    await shows('#preview-chart .bar-row[data-option="o2"] .bar-value', "3 points")
    assert await panel.locator("#preview-chart .bar-row").first.get_attribute("data-option") == "o2"

    await panel.click('form[data-action="previous"] button')
    await shows("#question-position", "Question 5 of 6")
    assert (await api.results(code, key))["state"]["current"] == "q5"  # type: ignore[index]
    assert console.problems == []


@pytest.mark.browser
@EMBEDDED
async def test_host_hides_a_word_and_approves_entries_by_keyboard(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """Hide takes a word off the presenter's frame and lists it as hidden (Show again brings it back); a
    blocklisted word is listed as held. On a moderated question, A on the focused entry approves it (the
    presenter gets it) and moves focus to the next one; H hides that one."""
    code, key, _ = await api.create_session(questions=SIX_KINDS[2:4])
    console = Console()
    panel = await open_panel(browser, server, code, key, console)
    async with presenter_socket(server, code, key) as screen:
        await ballot(api, code, "q1", entries=["river", "city", "shit"])
        await ballot(api, code, "q1", entries=["city"])
        await frame_where(screen, lambda f: words_of(f) == ["city", "river"])
        await panel.wait_for_selector('#words-shown .word-item[data-key="river"]')
        assert await panel.locator("#words-blocked .word-item .mod-text").all_text_contents() == ["shit"]

        await panel.click('#words-shown .word-item[data-key="river"] button')
        await frame_where(screen, lambda f: words_of(f) == ["city"])
        await panel.wait_for_selector('#words-hidden .word-item[data-key="river"]')
        assert await panel.locator('#words-shown .word-item[data-key="river"]').count() == 0
        await panel.click('#words-hidden .word-item[data-key="river"] button')
        await frame_where(screen, lambda f: words_of(f) == ["city", "river"])

        await panel.click('form[data-action="next"] button')
        await ballot(api, code, "q2", text="Bad talk")
        await ballot(api, code, "q2", text="Good talk")
        await panel.wait_for_function(
            "() => document.querySelectorAll('#entries-pending .entry-item').length === 2", timeout=UI_WAIT)
        await frame_where(screen, lambda f: f["question"]["kind"] == "open" and entries_of(f) == [])
        await panel.focus("#entries-pending .entry-item >> nth=0")
        await panel.keyboard.press("a")
        await frame_where(screen, lambda f: entries_of(f) == ["Good talk"])
        await panel.wait_for_selector('#entries-listed .entry-item[data-status="visible"]')
        focused = await panel.evaluate("document.activeElement.querySelector('.mod-text')?.textContent")
        assert focused == "Bad talk", "focus moves on to the next entry waiting"
        await panel.keyboard.press("h")
        await panel.wait_for_function(
            "() => /0 waiting for approval · 1 on the screen · 1 hidden/"
            ".test(document.querySelector('#entry-counts').textContent)", timeout=UI_WAIT)
        statuses = await panel.eval_on_selector_all(
            "#entries-listed .entry-item",
            "items => items.map(i => [i.dataset.status, i.querySelector('.mod-text').textContent])")
        assert statuses == [["visible", "Good talk"], ["hidden", "Bad talk"]]
    assert console.problems == []


@pytest.mark.browser
@EMBEDDED
async def test_host_runs_a_timer_reveals_a_quiz_and_shows_the_leaderboard(
    browser: Any, api: LivepollClient, server: ServerProcess
) -> None:
    """"30 s" starts a countdown the panel shows ticking; "Stop timer" ends it with voting still open.
    Reveal marks the quiz revealed and fills the leaderboard; Show puts it on the presenter."""
    code, key, _ = await api.create_session(questions=SIX_KINDS[1:2])
    console = Console()
    panel = await open_panel(browser, server, code, key, console)
    await ballot(api, code, "q1", choices=["o1"])
    await ballot(api, code, "q1", choices=["o2"])

    await panel.click('form[data-action="timer"]:has(input[name="seconds"][value="30"]) button')
    await panel.wait_for_selector("#timer:not([hidden])", timeout=UI_WAIT)
    first = await text_of(panel, "#timer")
    assert re.fullmatch(r"Voting closes in 0:(30|[12]\d)", first), first
    await panel.wait_for_function("(t) => document.querySelector('#timer').textContent !== t", arg=first,
                                  timeout=UI_WAIT)
    await panel.click('form[data-action="stop_timer"] button')
    await panel.wait_for_selector("#timer", state="hidden", timeout=UI_WAIT)
    assert "Voting is open" in await text_of(panel, "#state-voting")

    async with presenter_socket(server, code, key) as screen:
        await panel.click('form[data-action="reveal"] button')
        await panel.wait_for_selector("#quiz-revealed:not([hidden])", timeout=UI_WAIT)
        await panel.wait_for_function(
            "() => document.querySelectorAll('#leaderboard-rows tr').length === 2", timeout=UI_WAIT)
        scores = await panel.locator("#leaderboard-rows tr td:nth-child(3)").all_text_contents()
        assert scores == ["100", "0"]
        assert await panel.is_hidden('form[data-action="reveal"]')
        await frame_where(screen, lambda f: f["question"].get("correct") == ["o1"])

        await panel.click('form[data-action="show_leaderboard"] button')
        board = await frame_where(screen, lambda f: f.get("leaderboard") is not None)
        assert [place["score"] for place in board["leaderboard"]] == [100, 0]
        await panel.wait_for_function(
            "() => document.querySelector('#leaderboard-state').textContent === 'The leaderboard is on the screen.'",
            timeout=UI_WAIT)
        assert await panel.is_visible('form[data-action="hide_leaderboard"]')
    assert console.problems == []
