"""The participant page's walk through a self-paced session, "Question 2 / 5" in a live one, and question
texts in the reader's language, against a real server: in a real headless Chromium two phones answer different
questions at once and both count, Next / Back with "1 / 3", a thank-you page, an answer changed on the way
back; a Ukrainian phone reads the Ukrainian text of a Polish + Ukrainian question and switches language
keeping its place. Without JavaScript (both backends) the same walk is links and form posts that come back to
the step."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
import test_phone_qa
from support.server import LivepollClient, ServerProcess
from test_browser import PHONE, UI_WAIT, Console

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

# The fixtures of test_phone_qa: one Chromium for the module, the browser tests on the shared embedded server,
# the no-JavaScript ones on both backends, all on the module's event loop.
browser = test_phone_qa.browser
api = test_phone_qa.api
page_server = test_phone_qa.page_server
page_api = test_phone_qa.page_api

SURVEY = [
    {"kind": "scale", "text": {"pl": "Oceń webinarium", "uk": "Оцініть вебінар"}, "statements": ["Treść", "Czas"],
     "min": 1, "max": 5},
    {"kind": "choice", "text": "Czy weźmiesz udział znowu?", "options": ["tak", "nie"]},
    {"kind": "choice", "text": {"pl": "Skąd wiesz o webinarium?", "uk": "Звідки ви дізналися про вебінар?"},
     "options": [{"pl": "e-mail", "uk": "ел. пошта"}, "strona", "znajomi"]},
]


async def survey(api: LivepollClient) -> tuple[str, str]:
    response = await api.post("/api/v1/sessions", headers=api.admin_headers(), json={
        "title": "Ankieta", "mode": "self_paced", "questions": SURVEY})
    assert response.status_code == 201, response.text
    return response.json()["code"], response.json()["host_key"]


async def results_of(api: LivepollClient, code: str, key: str) -> dict[str, Any]:
    body: Any = await api.results(code, key)
    return {q["id"]: q for q in body["questions"]}


async def open_phone(browser: Any, server: ServerProcess, code: str, console: Console, name: str,
                     query: str = "?lang=en", language: str = "en") -> Any:
    context = await browser.new_context(**PHONE, extra_http_headers={"Accept-Language": language})
    page = await context.new_page()
    console.watch(page, name)
    await page.goto(server.url(f"/{code}{query}"))
    await page.wait_for_selector("#vote-form #vote-button")
    return page


async def on_step(page: Any, progress: str, text: str) -> None:
    try:
        await page.wait_for_function(
            """([progress, text]) => document.querySelector('#progress').textContent === progress
                 && document.querySelector('.question-text')?.textContent === text""",
            arg=[progress, text], timeout=UI_WAIT)
    except Exception:
        found = await page.evaluate("() => [document.querySelector('#progress').textContent, "
                                    "document.querySelector('.question-text')?.textContent]")
        raise AssertionError(f"expected {progress} {text}, found {found}") from None


async def counted(page: Any) -> None:
    await page.tap("#vote-button")
    await page.wait_for_selector("#vote-status .success", timeout=UI_WAIT)


async def test_two_phones_walk_the_survey_at_their_own_pace_and_both_count(
    browser: Any, page_api: LivepollClient, page_server: ServerProcess
) -> None:
    code, key = await survey(page_api)
    console = Console()
    first, second = await asyncio.gather(open_phone(browser, page_server, code, console, "first"),
                                         open_phone(browser, page_server, code, console, "second"))
    await on_step(first, "Question 1 / 3", "Oceń webinarium")
    assert await first.is_hidden("#walk-back")
    assert await first.text_content("#walk-next") == "Next"

    # the second phone goes ahead to question 3 while the first answers question 1
    await second.tap("#walk-next")
    await on_step(second, "Question 2 / 3", "Czy weźmiesz udział znowu?")
    await second.tap("#walk-next")
    await on_step(second, "Question 3 / 3", "Skąd wiesz o webinarium?")
    assert await second.text_content("#walk-next") == "Finish"
    assert second.url.endswith("step=3")
    await first.tap("#rating-s1-5")
    await second.tap('label[for="opt-o2"]')
    await asyncio.gather(counted(first), counted(second))
    results = await results_of(page_api, code, key)
    assert results["q1"]["statements"][0]["counts"] == [0, 0, 0, 0, 1]
    assert {o["id"]: o["votes"] for o in results["q3"]["options"]} == {"o1": 0, "o2": 1, "o3": 0}

    # the end: a thank-you page; back again, the answer is still counted and can be changed
    await second.tap("#walk-next")
    await second.wait_for_selector("#thanks h2", timeout=UI_WAIT)
    assert await second.text_content("#thanks h2") == "Thank you!"
    assert "Your answers are saved. Answered: 1 / 3" in (await second.text_content("#thanks") or "")
    assert await second.is_hidden("#progress") and await second.is_hidden("#walk-next")
    await second.tap("#walk-back")
    await on_step(second, "Question 3 / 3", "Skąd wiesz o webinarium?")
    assert await second.is_checked("#opt-o2")
    await second.tap('label[for="opt-o3"]')
    await counted(second)
    results = await results_of(page_api, code, key)
    assert {o["id"]: o["votes"] for o in results["q3"]["options"]} == {"o1": 0, "o2": 0, "o3": 1}

    # a reload keeps the place and shows what the server counted
    await second.reload()
    await on_step(second, "Question 3 / 3", "Skąd wiesz o webinarium?")
    assert await second.is_checked("#opt-o3")
    await second.wait_for_selector("#vote-status .success")
    assert console.unexpected() == []


async def test_a_live_phone_says_question_2_of_3(
    browser: Any, page_api: LivepollClient, page_server: ServerProcess
) -> None:
    response = await page_api.post("/api/v1/sessions", headers=page_api.admin_headers(), json={
        "title": "Na żywo", "questions": SURVEY})
    code, key = response.json()["code"], response.json()["host_key"]
    console = Console()
    phone = await open_phone(browser, page_server, code, console, "phone")
    await on_step(phone, "Question 1 / 3", "Oceń webinarium")
    assert await phone.query_selector("#walk-nav") is None  # the host leads a live session
    assert (await page_api.control(code, key, "goto", "q2")).status_code == 200
    await on_step(phone, "Question 2 / 3", "Czy weźmiesz udział znowu?")
    assert console.unexpected() == []


async def test_a_ukrainian_phone_reads_the_ukrainian_text_and_switches_language_in_place(
    browser: Any, page_api: LivepollClient, page_server: ServerProcess
) -> None:
    code, key = await survey(page_api)
    console = Console()
    phone = await open_phone(browser, page_server, code, console, "phone", query="", language="uk")
    await on_step(phone, "Питання 1 / 3", "Оцініть вебінар")
    await phone.tap("#walk-next")
    await on_step(phone, "Питання 2 / 3", "Czy weźmiesz udział znowu?")  # no Ukrainian text: the default one
    await phone.tap("#walk-next")
    await on_step(phone, "Питання 3 / 3", "Звідки ви дізналися про вебінар?")
    assert await phone.text_content('label[for="opt-o1"]') == "ел. пошта"
    await phone.tap('label[for="opt-o1"]')
    await counted(phone)
    # another language from the header: the same step, the texts in that language
    await phone.click('nav.languages a[hreflang="pl"]')
    await on_step(phone, "Pytanie 3 / 3", "Skąd wiesz o webinarium?")
    assert await phone.text_content('label[for="opt-o1"]') == "e-mail"
    assert await phone.is_checked("#opt-o1")
    results = await results_of(page_api, code, key)
    assert {o["id"]: o["votes"] for o in results["q3"]["options"]} == {"o1": 1, "o2": 0, "o3": 0}
    assert console.unexpected() == []


# Without JavaScript ------------------------------------------------------------------------------------------


def progress_of(html: str) -> str:
    found = re.search(r'<p class="progress" id="progress"( hidden)?>(.*?)</p>', html, re.S)
    assert found is not None
    return "" if found.group(1) else found.group(2)


def link_of(html: str, element: str) -> str | None:
    found = re.search(rf'id="{element}" rel="\w+" href="([^"]*)"( hidden)?>', html)
    assert found is not None
    return None if found.group(2) else found.group(1).replace("&amp;", "&")


async def test_without_javascript_the_walk_is_links_and_forms(api: LivepollClient, server: ServerProcess) -> None:
    code, key = await survey(api)
    first, second = api.participant(), api.participant()
    html = (await first.get(f"/{code}?lang=en")).text
    assert progress_of(html) == "Question 1 / 3" and link_of(html, "walk-back") is None
    assert link_of(html, "walk-next") == f"/{code}?step=2"
    assert '<input type="hidden" name="step" value="1">' in html
    await second.get(f"/{code}?lang=en")

    origin = {"Origin": server.origin}
    answers = await asyncio.gather(
        first.post(f"/{code}/vote", data={"question": "q1", "rating-s1": "4", "step": "1"}, headers=origin),
        second.post(f"/{code}/vote", data={"question": "q3", "choices": "o3", "step": "3"}, headers=origin),
    )
    assert [a.headers["location"] for a in answers] == [f"/{code}?step=1", f"/{code}?step=3"]
    results = await results_of(api, code, key)
    assert results["q1"]["voters"] == 1 and results["q3"]["voters"] == 1

    # a refusal comes back to the same step; the page opens on the first question not answered yet
    refused = await first.post(f"/{code}/vote", data={"question": "q2", "step": "2"}, headers=origin)
    assert refused.headers["location"].startswith(f"/{code}?step=2&error=")
    html = (await first.get(f"/{code}?lang=en")).text
    assert progress_of(html) == "Question 2 / 3" and "Czy weźmiesz udział znowu?" in html
    assert link_of(html, "walk-back") == f"/{code}?step=1"
    html = (await second.get(f"/{code}?step=3&lang=en")).text
    assert 'value="o3" id="opt-o3" checked' in html and "Your vote is counted." in html
    assert ">Finish</a>" in html
    assert 'href="/' + code + '?step=3&amp;lang=uk"' in html  # the language links keep the step

    # the end, then a closed survey
    html = (await second.get(f"/{code}?step=4&lang=en")).text
    assert "Thank you!" in html and "Answered: 1 / 3" in html and progress_of(html) == ""
    assert "You can go back and change your answers while the survey is open." in html
    assert (await api.control(code, key, "close")).status_code == 200
    html = (await second.get(f"/{code}?step=4&lang=en")).text
    assert "The survey is closed." in html
    html = (await second.get(f"/{code}?step=1&lang=en")).text
    assert "<fieldset disabled>" in html and 'id="vote-button"' not in html


async def test_without_javascript_texts_follow_the_readers_language(api: LivepollClient) -> None:
    code, _key = await survey(api)
    phone = api.participant()
    ukrainian = (await phone.get(f"/{code}", headers={"Accept-Language": "uk-UA,uk;q=0.9"})).text
    assert "Оцініть вебінар" in ukrainian and "Питання 1 / 3" in ukrainian
    polish = (await phone.get(f"/{code}?step=3&lang=pl")).text
    assert "Skąd wiesz o webinarium?" in polish and ">e-mail<" in polish
    english = (await phone.get(f"/{code}?step=3&lang=en")).text  # no English text: the default language's
    assert "Skąd wiesz o webinarium?" in english and "Question 3 / 3" in english
