"""The HTML pages against a real server on loopback: languages, CSP and no inline scripts, escaping of user
text, the no-JavaScript vote path, the host key exchange, admin login/logout and the create form; plus the
completeness of the Polish, Ukrainian and English catalogs."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from support.server import ADMIN_TOKEN, LivepollClient, ServerProcess

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("pl", "uk", "en")
# One UI text per language that the participant page must show (the vote button).
VOTE_BUTTON = {"pl": "Głosuj", "uk": "Проголосувати", "en": "Vote"}
NASTY = '<script>alert("x")</script>'
NASTY_OPTION = '<img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def backend_name() -> str:
    """Pages only talk to `Polls`; the backends have their own contract tests, so one backend is enough."""
    return "embedded"


# Helpers -----------------------------------------------------------------------------------------------------


class PageScan(HTMLParser):
    """Collects what the CSP and escaping checks need from one HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang: str | None = None
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script_bodies: list[str] = []
        self.style_attributes: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self.style_elements = 0
        self.forms: list[dict[str, str | None]] = []
        self._in_script: dict[str, str | None] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_lang = values.get("lang")
        if tag == "script":
            self.scripts.append(values)
            self._in_script = values
        if tag == "style":
            self.style_elements += 1
        if tag == "form":
            self.forms.append(values)
        for name, value in attrs:
            if name == "style":
                self.style_attributes.append(f"<{tag} style={value!r}>")
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in ("src", "href", "action") and value:
                self.urls.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None and data.strip():
            self.inline_script_bodies.append(data)
        elif self._in_script is None:
            self.text.append(data)


def scan(html: str) -> PageScan:
    parser = PageScan()
    parser.feed(html)
    parser.close()
    return parser


def origin_headers(server: ServerProcess) -> dict[str, str]:
    """What a browser sends with a form POST from one of the server's own pages."""
    return {"Origin": server.origin}


async def admin_client(api: LivepollClient, server: ServerProcess) -> LivepollClient:
    """A browser (own cookie jar) logged in as admin through the login form."""
    browser = api.participant()
    response = await browser.post("/host", data={"token": ADMIN_TOKEN}, headers=origin_headers(server))
    assert response.status_code == 303, response.text
    assert "lp_admin" in response.cookies
    return browser


async def host_browser(api: LivepollClient, code: str, key: str) -> LivepollClient:
    """A browser holding the session's host cookie (from the `?key=` exchange)."""
    browser = api.participant()
    response = await browser.get(f"/host/{code}", params={"key": key})
    assert response.status_code == 303, response.text
    return browser


# Languages ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_every_page_renders_in_each_language(api: LivepollClient, server: ServerProcess, lang: str) -> None:
    """Each page answers 200 with <html lang> set to the chosen language and translated UI text."""
    code, key, _ = await api.create_session()
    admin = await admin_client(api, server)
    host = await host_browser(api, code, key)
    phone = api.participant()
    pages: list[tuple[LivepollClient, str]] = [
        (phone, "/"), (phone, f"/{code}"), (phone, "/host"), (admin, "/host"), (admin, "/host/logout"),
        (host, f"/host/{code}"), (host, f"/present/{code}"),
    ]
    for client, path in pages:
        response = await client.get(path, params={"lang": lang})
        assert response.status_code == 200, (path, response.text[:500])
        page = scan(response.text)
        assert page.html_lang == lang, path
        assert response.headers["content-language"] == lang
        links = {u for u in page.urls if "lang=" in u}
        assert {f"{path}?lang={other}" for other in LANGS} <= links, (path, links)
    participant = await phone.get(f"/{code}", params={"lang": lang})
    assert VOTE_BUTTON[lang] in participant.text


async def test_language_comes_from_query_then_cookie_then_accept_language_then_polish(api: LivepollClient) -> None:
    """?lang= wins and is remembered in a cookie; else Accept-Language; else Polish."""
    browser = api.participant()
    assert scan((await browser.get("/")).text).html_lang == "pl"
    assert scan((await browser.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})).text).html_lang == "en"
    ukrainian = await browser.get("/", headers={"Accept-Language": "de-DE, uk;q=0.7, en;q=0.5"})
    assert scan(ukrainian.text).html_lang == "uk"
    chosen = await browser.get("/", params={"lang": "en"})
    assert chosen.cookies.get("lp_lang") == "en"
    again = await browser.get("/", headers={"Accept-Language": "uk"})
    assert scan(again.text).html_lang == "en"


# Safety --------------------------------------------------------------------------------------------------------


async def test_pages_send_csp_and_have_no_inline_script_or_style(api: LivepollClient, server: ServerProcess) -> None:
    """Every page carries the strict CSP; scripts are same-origin files or inert JSON; no style attributes,
    no event-handler attributes, nothing from another origin."""
    code, key, _ = await api.create_session()
    admin = await admin_client(api, server)
    host = await host_browser(api, code, key)
    phone = api.participant()
    pages = [(phone, "/"), (phone, f"/{code}"), (phone, "/?code=1"), (phone, "/10000000"), (phone, "/host"),
             (admin, "/host"), (host, f"/host/{code}"), (host, f"/present/{code}"), (phone, f"/present/{code}")]
    for client, path in pages:
        response = await client.get(path)
        assert response.headers["content-type"].startswith("text/html"), path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        page = scan(response.text)
        for script in page.scripts:
            if script.get("src"):
                assert script["src"].startswith("/static/"), (path, script)
                assert script.get("type") == "module", (path, script)
            else:
                assert script.get("type") == "application/json", (path, script)
        for body in page.inline_script_bodies:  # inert data, never code
            json.loads(body)
        assert page.style_attributes == [], (path, page.style_attributes)
        assert page.handlers == [], (path, page.handlers)
        assert page.style_elements == 0, path
        for url in page.urls:
            assert not re.match(r"^(https?:)?//", url) or url.startswith(server.base_url), (path, url)
        assert response.headers["cache-control"] == "no-store", path


async def test_user_text_is_escaped_everywhere(api: LivepollClient, server: ServerProcess) -> None:
    """A title and an option holding markup are shown as text on every page, never as markup."""
    code, key, _ = await api.create_session(title=NASTY, text=NASTY, options=[NASTY_OPTION, "b"])
    admin = await admin_client(api, server)
    host = await host_browser(api, code, key)
    for client, path in [(api.participant(), f"/{code}"), (admin, "/host"), (host, f"/host/{code}"),
                         (host, f"/present/{code}")]:
        response = await client.get(path)
        assert response.status_code == 200
        assert "<script>alert" not in response.text, path
        assert "<img src=x" not in response.text, path
        page = scan(response.text)
        assert all(s.get("src") or s.get("type") == "application/json" for s in page.scripts)
        assert page.handlers == [], path
        text = "".join(page.text)
        assert NASTY in text, path  # shown, as text
    # The JSON block cannot be closed early by user text: `<` is escaped inside it.
    participant = await api.participant().get(f"/{code}")
    block = participant.text.split('id="lp-config">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and "\\u003c" in block


# The participant page and the no-JavaScript vote --------------------------------------------------------------


async def test_enter_code_redirects_tolerantly_and_explains_bad_codes(api: LivepollClient) -> None:
    """`7281 5366` and `7281-5366` lead to /72815366; a malformed code shows the form again with an error."""
    for typed in ("7281 5366", "7281-5366", " 72815366 "):
        response = await api.get("/", params={"code": typed})
        assert response.status_code == 303
        assert response.headers["location"] == "/72815366"
    bad = await api.get("/", params={"code": "12-34", "lang": "en"})
    assert bad.status_code == 422
    assert "A join code has 8 digits" in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert (await api.get("/7281-5366")).headers["location"] == "/72815366"


async def test_unknown_code_shows_a_404_page_with_the_join_form(api: LivepollClient) -> None:
    """A well-formed code of no session answers 404 with an explanation and the code form."""
    response = await api.get("/10000000", params={"lang": "en"})
    assert response.status_code == 404
    assert "There is no session with the code 10000000" in response.text
    assert 'name="code"' in response.text


async def test_participant_page_sets_cookie_and_renders_a_no_js_form(api: LivepollClient) -> None:
    """The page sets the participant cookie and renders radios or checkboxes by max_choices in a
    fieldset whose form posts to /{code}/vote."""
    code, _, _ = await api.create_session(max_choices=1)
    phone = api.participant()
    response = await phone.get(f"/{code}")
    assert response.status_code == 200
    assert "lp_pid" in response.cookies
    assert f'action="/{code}/vote"' in response.text
    assert response.text.count('type="radio" name="choices" value="o') == 3
    assert "<fieldset" in response.text and "<legend>" in response.text
    multi, _, _ = await api.create_session(max_choices=2)
    assert (await phone.get(f"/{multi}")).text.count('type="checkbox" name="choices" value="o') == 3


async def test_no_js_vote_is_counted_and_a_changed_vote_replaces_it(api: LivepollClient, server: ServerProcess) -> None:
    """A form POST with the cookie answers 303 back to /{code}, the vote is in /results and the page shows it
    counted (from the server: no "voted" flag in the address), and a second POST with other choices replaces
    the ballot instead of adding one."""
    code, key, _ = await api.create_session(max_choices=2)
    phone = api.participant()
    await phone.get(f"/{code}")
    response = await phone.post(f"/{code}/vote", data={"question": "q1", "choices": ["o1", "o3"]},
                                headers=origin_headers(server))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/{code}"
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 1}, 1)
    page = await phone.get(response.headers["location"] + "?lang=en")
    status = page.text[page.text.index('id="vote-status"'):]
    assert "Your vote is counted." in status[: status.index("</div>")]
    assert 'value="o1" id="opt-o1" checked' in page.text
    again = await phone.post(f"/{code}/vote", data={"question": "q1", "choices": ["o2"]},
                             headers=origin_headers(server))
    assert again.status_code == 303
    assert await api.votes(code, key) == ({"o1": 0, "o2": 1, "o3": 0}, 1)


@pytest.mark.parametrize(
    ("setup", "choices", "error", "message"),
    [
        ("none", ["o1", "o2"], "too_many_choices", "You can choose at most 1 option."),
        ("none", [], "invalid_ballot", "Choose at least one option."),
        ("none", ["o9"], "unknown_option", "This option is not part of the current question."),
        ("close", ["o1"], "voting_closed", "Voting on this question is closed."),
    ],
)
async def test_no_js_vote_errors_are_shown_and_change_nothing(
    api: LivepollClient, server: ServerProcess, setup: str, choices: list[str], error: str, message: str
) -> None:
    """A refused form vote redirects back with the error code, the page explains it, nothing is counted."""
    code, key, _ = await api.create_session(max_choices=1)
    if setup == "close":
        assert (await api.control(code, key, "close")).status_code == 200
    phone = api.participant()
    await phone.get(f"/{code}")
    response = await phone.post(f"/{code}/vote", data={"question": "q1", "choices": choices},
                                headers=origin_headers(server))
    assert response.status_code == 303
    assert f"error={error}" in response.headers["location"]
    page = await phone.get(response.headers["location"] + "&lang=en")
    assert message in page.text
    assert await api.votes(code, key) == ({"o1": 0, "o2": 0, "o3": 0}, 0)


async def test_no_js_vote_without_a_cookie_is_not_counted_but_sets_one(
    api: LivepollClient, server: ServerProcess
) -> None:
    """Without the participant cookie the ballot is refused with an explanation and a fresh cookie."""
    code, key, _ = await api.create_session()
    phone = api.participant()
    response = await phone.post(f"/{code}/vote", data={"question": "q1", "choices": ["o1"]},
                                headers=origin_headers(server))
    assert response.status_code == 303
    assert "error=no_cookie" in response.headers["location"]
    assert "lp_pid" in response.cookies
    assert await api.votes(code, key) == ({"o1": 0, "o2": 0, "o3": 0}, 0)
    retry = await phone.post(f"/{code}/vote", data={"question": "q1", "choices": ["o1"]},
                             headers=origin_headers(server))
    assert retry.headers["location"] == f"/{code}"
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 0}, 1)


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Referer": "http://evil.example/form"}])
async def test_vote_form_from_another_site_is_refused(
    api: LivepollClient, headers: dict[str, str]
) -> None:
    """CSRF: a form POST whose Origin (or Referer) is another site is refused with 403 and not counted."""
    code, key, _ = await api.create_session()
    phone = api.participant()
    await phone.get(f"/{code}")
    response = await phone.post(f"/{code}/vote", data={"question": "q1", "choices": ["o1"]}, headers=headers)
    assert response.status_code == 403
    assert await api.votes(code, key) == ({"o1": 0, "o2": 0, "o3": 0}, 0)


# Host key exchange -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/present", "/host"])
async def test_key_in_the_address_is_exchanged_for_a_cookie_and_removed(
    api: LivepollClient, prefix: str
) -> None:
    """`?key=` answers 303 to the bare URL with the host cookie set; the bare URL then works with the
    cookie alone, and the presenter page never contains the key."""
    code, key, _ = await api.create_session()
    browser = api.participant()
    response = await browser.get(f"{prefix}/{code}", params={"key": key})
    assert response.status_code == 303
    assert response.headers["location"] == f"{prefix}/{code}"
    cookie = response.headers["set-cookie"]
    assert f"lp_host_{code}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    page = await browser.get(f"{prefix}/{code}")
    assert page.status_code == 200
    if prefix == "/present":
        assert key not in page.text
        assert f"/api/v1/sessions/{code}/qr.svg" in page.text
        assert f"{code[:4]} {code[4:]}" in page.text


async def test_wrong_key_sets_no_cookie_and_pages_need_host_rights(api: LivepollClient) -> None:
    """A wrong key is also removed from the address, sets no cookie, and the page then says access is
    needed (403); without any cookie the host pages answer 403."""
    code, _, _ = await api.create_session()
    browser = api.participant()
    response = await browser.get(f"/present/{code}", params={"key": "not-the-key"})
    assert response.status_code == 303
    assert "not-the-key" not in response.headers["location"]
    assert "set-cookie" not in response.headers or "lp_host_" not in response.headers["set-cookie"]
    denied = await browser.get(response.headers["location"] + "&lang=en")
    assert denied.status_code == 403
    assert "not valid for this session" in denied.text
    assert (await api.participant().get(f"/host/{code}")).status_code == 403


async def test_admin_login_reaches_every_session(api: LivepollClient, server: ServerProcess) -> None:
    """The admin cookie opens any session's control panel and presenter without its host key."""
    code, _, _ = await api.create_session()
    admin = await admin_client(api, server)
    assert (await admin.get(f"/host/{code}")).status_code == 200
    assert (await admin.get(f"/present/{code}")).status_code == 200


async def test_control_form_works_without_javascript(api: LivepollClient, server: ServerProcess) -> None:
    """The panel's buttons post to /host/{code}/control and change the live state (no-JS fallback)."""
    code, key, _ = await api.create_session()
    host = await host_browser(api, code, key)
    response = await host.post(f"/host/{code}/control", data={"action": "close"}, headers=origin_headers(server))
    assert response.status_code == 303
    results: dict[str, Any] = await api.results(code, key)
    assert results["state"]["voting_open"] is False
    foreign = await host.post(f"/host/{code}/control", data={"action": "open"},
                              headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    assert (await api.results(code, key))["state"]["voting_open"] is False  # type: ignore[index]


# Admin login, logout and the create form ---------------------------------------------------------------------


async def test_admin_login_and_logout(api: LivepollClient, server: ServerProcess) -> None:
    """A wrong token is refused (401); the right one sets the admin cookie and shows the session list;
    logging out clears the admin and host cookies."""
    browser = api.participant()
    login = await browser.get("/host", params={"lang": "en"})
    assert 'name="token"' in login.text and 'type="password"' in login.text
    wrong = await browser.post("/host", data={"token": "nope"}, headers=origin_headers(server))
    assert wrong.status_code == 401
    assert "lp_admin" not in browser.cookies
    code, key, _ = await api.create_session(title="Listed session")
    await browser.get(f"/host/{code}", params={"key": key})
    right = await browser.post("/host", data={"token": ADMIN_TOKEN}, headers=origin_headers(server))
    assert right.status_code == 303 and right.headers["location"] == "/host"
    listing = await browser.get("/host")
    assert "Listed session" in listing.text and f"/host/{code}" in listing.text
    out = await browser.post("/host/logout", headers=origin_headers(server))
    assert out.status_code == 303
    assert "lp_admin" not in browser.cookies and f"lp_host_{code}" not in browser.cookies
    assert 'name="token"' in (await browser.get("/host")).text
    assert (await browser.get(f"/host/{code}")).status_code == 403


async def test_login_form_from_another_site_is_refused(api: LivepollClient) -> None:
    """Login CSRF: the token form posted from another origin is refused."""
    browser = api.participant()
    response = await browser.post("/host", data={"token": ADMIN_TOKEN}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert "lp_admin" not in browser.cookies


async def test_create_session_with_the_form(api: LivepollClient, server: ServerProcess) -> None:
    """The create form makes a session with the typed question and options (one per line), max choices
    and allow-change; the browser gets the host cookie and lands on the control panel."""
    admin = await admin_client(api, server)
    form = {
        "count": "2", "op": "create", "title": "Warsztat", "q1_text": "Które dni?",
        "q1_options": "poniedziałek\r\n\r\n  wtorek \r\nśroda\r\n", "q1_max_choices": "2", "q1_allow_change": "1",
        "q2_text": "Ocena", "q2_options": "dobrze\nźle", "q2_max_choices": "1",
    }
    response = await admin.post("/host/sessions", data=form, headers=origin_headers(server))
    assert response.status_code == 303, response.text
    code = response.headers["location"].rsplit("/", 1)[1]
    assert f"lp_host_{code}" in response.cookies
    assert (await admin.get(f"/host/{code}")).status_code == 200
    body = await api.join(code)
    question: Any = body["question"]
    assert question["text"] == "Które dni?"
    assert [o["label"] for o in question["options"]] == ["poniedziałek", "wtorek", "środa"]
    assert question["max_choices"] == 2 and question["allow_change"] is True
    panel = await admin.get(f"/host/{code}")
    assert "Ocena" in panel.text


async def test_create_form_errors_are_listed_and_values_kept(api: LivepollClient, server: ServerProcess) -> None:
    """Invalid input re-renders the form (422) with every problem explained and what was typed kept."""
    admin = await admin_client(api, server)
    form = {"count": "1", "op": "create", "title": "", "q1_text": "Pytanie bez opcji", "q1_options": "jedna",
            "q1_max_choices": "5"}
    response = await admin.post("/host/sessions", data=form, params={"lang": "en"}, headers=origin_headers(server))
    assert response.status_code == 422
    assert "Give the session a title." in response.text
    assert "Write between 2 and 30 options" in response.text
    assert "Pytanie bez opcji" in response.text
    form = {**form, "title": "T", "q1_options": "jedna\ndwie"}
    response = await admin.post("/host/sessions", data=form, params={"lang": "en"}, headers=origin_headers(server))
    assert response.status_code == 422
    assert "must be a whole number from 1 to 2" in response.text


async def test_add_question_button_adds_a_block_without_javascript(api: LivepollClient, server: ServerProcess) -> None:
    """"Add another question" re-renders the form with one more question block and the typed text kept."""
    admin = await admin_client(api, server)
    form = {"count": "1", "op": "add", "title": "T", "q1_text": "Pierwsze", "q1_options": "a\nb"}
    response = await admin.post("/host/sessions", data=form, headers=origin_headers(server))
    assert response.status_code == 200
    assert 'name="q2_text"' in response.text and 'name="count" value="2"' in response.text
    assert "Pierwsze" in response.text


async def test_create_form_needs_the_admin_login(api: LivepollClient, server: ServerProcess) -> None:
    """Without the admin cookie the create form makes nothing (401 with the login form)."""
    browser = api.participant()
    form = {"count": "1", "op": "create", "title": "T", "q1_text": "Q", "q1_options": "a\nb"}
    response = await browser.post("/host/sessions", data=form, headers=origin_headers(server))
    assert response.status_code == 401
    assert 'name="token"' in response.text


# Static files and catalogs ---------------------------------------------------------------------------------------


async def test_static_modules_are_served(api: LivepollClient) -> None:
    """The scripts and the stylesheet the pages reference are served with the right types."""
    for name in ("participant.js", "presenter.js", "host.js", "live-socket.js", "chart.js", "common.js"):
        response = await api.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert "javascript" in response.headers["content-type"], name
    css = await api.get("/static/livepoll.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def _used_messages() -> set[str | tuple[str, str]]:
    import jinja2.ext

    found: set[str | tuple[str, str]] = set()
    for template in sorted((ROOT / "templates").glob("*.html")):
        for _, message, _, _ in extract_from_file(jinja2.ext.babel_extract, str(template), options={"trimmed": "true"}):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    keywords: dict[str, Any] = {"_": None, "gettext": None, "ngettext": (1, 2), "plural_forms": (1, 2)}
    modules = [*(ROOT / "livepoll" / "web").glob("pages*.py"), ROOT / "livepoll" / "web" / "api_documents.py",
               *(ROOT / "livepoll" / "documents").glob("*.py")]  # documents are in the session's language
    for module in sorted(modules):
        for _, message, _, _ in extract_from_file("python", str(module), keywords=keywords):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_translates_every_ui_text(lang: str) -> None:
    """Every text the templates and page modules use has a non-empty translation with the same
    placeholders, and the catalog has no leftovers."""
    with (ROOT / "livepoll" / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    entries = {m.id if isinstance(m.id, str) else (m.id[0], m.id[1]): m for m in catalog if m.id}
    used = _used_messages()
    missing = sorted(str(m) for m in used if m not in entries)
    assert not missing, f"untranslated in {lang}: {missing}"
    unused = sorted(str(m) for m in entries if m not in used)
    assert not unused, f"not used anywhere but still in {lang}: {unused}"
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for key, message in entries.items():
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        source = key if isinstance(key, str) else key[1]
        assert all(strings), f"{lang}: empty translation of {key!r}"
        for text in strings:
            assert sorted(set(placeholder.findall(text))) == sorted(set(placeholder.findall(source))), (lang, key, text)
        assert not message.fuzzy, (lang, key)

