"""Text cleaning (livepoll/text.py): the normalisation table, and that what enters through the API and the
host's create form is stored cleaned on both backends (no NUL or bidi override reaches a CSV)."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from support.server import ADMIN_TOKEN, LivepollClient, ServerProcess

from livepoll.text import MAX_COMBINING_MARKS, clean_text

WOMAN_TECHNOLOGIST = "\U0001f469\u200d\U0001f4bb"  # 👩‍💻: woman + ZWJ + laptop
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"  # 🏳️‍🌈
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # 🏴 + tags "gbsct" + cancel
NFD_A_OGONEK = "a\u0328"  # "ą" typed as a + combining ogonek
PERSIAN_ZWNJ = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "mi-xâham": ZWNJ is part of the spelling

# (typed, stored as one line, stored where several lines are allowed)
TABLE: list[tuple[str, str, str, str]] = [
    ("plain text", "Czy to działa?", "Czy to działa?", "Czy to działa?"),
    ("NUL", "Tytu\u0000ł", "Tytuł", "Tytuł"),
    ("C0 controls", "a\u0001b\u0007c\u001bd\u007f", "abcd", "abcd"),
    ("C1 controls", "a\u0080b\u009bc\u009fd", "abcd", "abcd"),
    ("tab", "a\tb\t\tc", "a b c", "a b c"),
    ("RTL override", "\u202egnp.exe", "gnp.exe", "gnp.exe"),
    ("all embeddings and overrides", "\u202aa\u202bb\u202cc\u202dd\u202ee", "abcde", "abcde"),
    ("isolates", "x\u2066y\u2067z\u2068w\u2069", "xyzw", "xyzw"),
    ("bidi marks", "a\u200eb\u200fc\u061cd", "abcd", "abcd"),
    ("zero-width space and word joiner", "Ta\u200bk\u2060", "Tak", "Tak"),
    ("byte order mark", "\ufeffNie", "Nie", "Nie"),
    ("joiner beside a space", "a \u200d b\u200c", "a b", "a b"),
    ("only joiners", "\u200d\u200c\u200d", "", ""),
    ("emoji with ZWJ", f"Praca {WOMAN_TECHNOLOGIST}", f"Praca {WOMAN_TECHNOLOGIST}", f"Praca {WOMAN_TECHNOLOGIST}"),
    ("flag sequences", f"{RAINBOW_FLAG} {SCOTLAND}", f"{RAINBOW_FLAG} {SCOTLAND}", f"{RAINBOW_FLAG} {SCOTLAND}"),
    ("hidden tag text", "tak\U000e0069\U000e0067\U000e006e", "tak", "tak"),
    ("ZWNJ inside a word", PERSIAN_ZWNJ, PERSIAN_ZWNJ, PERSIAN_ZWNJ),
    ("combining accent (NFD → NFC)", f"Wi{NFD_A_OGONEK}zka", "Wiązka", "Wiązka"),
    ("Polish", "  Zażółć   gęślą jaźń  ", "Zażółć gęślą jaźń", "Zażółć gęślą jaźń"),
    ("Ukrainian", "Ґанок, їжак і «Євген»", "Ґанок, їжак і «Євген»", "Ґанок, їжак і «Євген»"),
    ("Ukrainian apostrophe", "м\u2019ята п'ять", "м\u2019ята п'ять", "м\u2019ята п'ять"),
    ("no-break space after a one-letter word", "w\u00a0domu", "w\u00a0domu", "w\u00a0domu"),
    ("run of mixed spaces", "a\u00a0 \u2003b", "a b", "a b"),
    ("soft hyphen kept", "samo\u00adrząd", "samo\u00adrząd", "samo\u00adrząd"),
    ("CRLF", "jeden\r\ndwa", "jeden dwa", "jeden\ndwa"),
    ("CR, NEL, line separator", "a\rb\u0085c\u2028d", "a b c d", "a\nb\nc\nd"),
    ("blank lines", "a\r\n\r\n\r\n\r\nb\n", "a b", "a\n\nb"),
    ("spaces around lines", "  a  \n   b   c ", "a b c", "a\nb c"),
    ("only controls and spaces", "\u0000 \u202e\t\u200b\r\n", "", ""),
    ("Hangul filler", "\u3164", "", ""),
    ("Zalgo", "e" + "\u0301" * 12, "é" + "\u0301" * MAX_COMBINING_MARKS, "é" + "\u0301" * MAX_COMBINING_MARKS),
    ("keycap keeps its marks", "1\ufe0f\u20e3", "1\ufe0f\u20e3", "1\ufe0f\u20e3"),
]


@pytest.mark.parametrize(("typed", "one_line", "lines"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_clean_text_table(typed: str, one_line: str, lines: str) -> None:
    assert clean_text(typed) == one_line
    assert clean_text(typed, multiline=True) == lines


@pytest.mark.parametrize("typed", [row[1] for row in TABLE], ids=[row[0] for row in TABLE])
def test_cleaned_text_is_nfc_without_controls_and_cleaning_twice_changes_nothing(typed: str) -> None:
    for multiline in (False, True):
        once = clean_text(typed, multiline=multiline)
        assert clean_text(once, multiline=multiline) == once
        assert unicodedata.is_normalized("NFC", once)
        assert all(unicodedata.category(ch) != "Cc" or (multiline and ch == "\n") for ch in once)
        assert once == once.strip()


# Through the doors ---------------------------------------------------------------------------------------

DIRTY_TITLE = "Warsztat\u0000 \u202eintegracja\u202c"
DIRTY_QUESTION = "Czy\u0007 to\u200b działa?\r\n"
DIRTY_OPTIONS = ["Ta\u0000k", f"Wi{NFD_A_OGONEK}zka\u2066", "nie  wiem\u00ad"]
CLEAN_TITLE = "Warsztat integracja"
CLEAN_QUESTION = "Czy to działa?"
CLEAN_OPTIONS = ["Tak", "Wiązka", "nie wiem\u00ad"]
FORBIDDEN = ("\u0000", "\u0007", "\u202e", "\u202c", "\u2066", "\u200b")


async def test_api_stores_texts_cleaned_and_exports_them_without_controls(api: LivepollClient) -> None:
    """B5: a title with NUL and an RTL override, a question with BEL, ZWSP and CRLF, and options with NUL, NFD
    and an isolate are stored cleaned: the 201 answer, the participant's view and both CSVs show the clean
    text, and no CSV holds a NUL or a bidi control."""
    code, key, body = await api.create_session(title=DIRTY_TITLE, options=DIRTY_OPTIONS, text=DIRTY_QUESTION)
    created: Any = body
    assert created["title"] == CLEAN_TITLE
    assert created["questions"][0]["text"] == CLEAN_QUESTION
    assert [o["label"] for o in created["questions"][0]["options"]] == CLEAN_OPTIONS

    phone = api.participant()
    seen: Any = await phone.join(code)
    assert seen["title"] == CLEAN_TITLE and seen["question"]["text"] == CLEAN_QUESTION
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200

    for name in ("export.csv", "responses.csv"):
        text = (await api.export(code, key, name)).decode("utf-8")
        assert not any(ch in text for ch in FORBIDDEN), (name, text)
        assert CLEAN_QUESTION in text and "Wiązka" in text
    responses = (await api.export(code, key, "responses.csv")).decode("utf-8").splitlines()
    assert len(responses) == 2 and responses[1].startswith(f"q1,{CLEAN_QUESTION},")
    assert ",o2,Wiązka," in responses[1]


@pytest.mark.parametrize("blank", ["\u0000", "\u202e\u202c", " \u200b\t", "\u3164"])
async def test_api_refuses_a_text_that_is_empty_after_cleaning(api: LivepollClient, blank: str) -> None:
    """A title, question or option of only invisible characters is refused like an empty one (422
    invalid_body naming the field), and no session is made."""
    bodies: list[tuple[str, dict[str, object]]] = [
        ("title", {"title": blank, "questions": [{"text": "Q", "options": ["a", "b"]}]}),
        ("questions.0.text", {"title": "T", "questions": [{"text": blank, "options": ["a", "b"]}]}),
        ("questions.0.options.1", {"title": "T", "questions": [{"text": "Q", "options": ["a", blank]}]}),
    ]
    for where, body in bodies:
        response = await api.post("/api/v1/sessions", json=body, headers=api.admin_headers())
        assert response.status_code == 422, response.text
        message = f"{where}: String should have at least 1 character"
        assert response.json() == {"error": "invalid_body", "message": message}


async def test_options_that_differ_only_in_invisible_characters_are_the_same_option(api: LivepollClient) -> None:
    """"Tak" and "Ta\u200bk" look the same on every screen, so they are refused as a repeated option."""
    body = {"title": "T", "questions": [{"text": "Q", "options": ["Tak", "Ta\u200bk"]}]}
    response = await api.post("/api/v1/sessions", json=body, headers=api.admin_headers())
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_question"


async def test_length_limits_count_the_cleaned_text(api: LivepollClient) -> None:
    """500 visible characters plus invisible ones fit MAX_QUESTION_CHARS; 501 visible ones do not."""
    padded = "ą" * 500 + "\u200b" * 20
    ok = await api.post("/api/v1/sessions", headers=api.admin_headers(),
                        json={"title": "T", "questions": [{"text": padded, "options": ["a", "b"]}]})
    assert ok.status_code == 201, ok.text
    assert ok.json()["questions"][0]["text"] == "ą" * 500
    too_long = await api.post("/api/v1/sessions", headers=api.admin_headers(),
                              json={"title": "T", "questions": [{"text": "ą" * 501, "options": ["a", "b"]}]})
    assert too_long.status_code == 422


async def test_create_form_stores_texts_cleaned(api: LivepollClient, server: ServerProcess) -> None:
    """The host's create form (no JSON API) cleans title, question and each option line the same way; a
    line of only invisible characters is not an option."""
    admin = api.participant()
    login = await admin.post("/host", data={"token": ADMIN_TOKEN}, headers={"Origin": server.origin})
    assert login.status_code == 303, login.text
    form = {
        "count": "1", "op": "create", "title": DIRTY_TITLE, "q1_text": DIRTY_QUESTION,
        "q1_options": "\r\n".join([*DIRTY_OPTIONS, "\u200b\u202e"]), "q1_max_choices": "1",
    }
    response = await admin.post("/host/sessions", data=form, headers={"Origin": server.origin})
    assert response.status_code == 303, response.text
    code = response.headers["location"].rsplit("/", 1)[1]
    seen: Any = await api.participant().join(code)
    assert seen["title"] == CLEAN_TITLE
    assert seen["question"]["text"] == CLEAN_QUESTION
    assert [o["label"] for o in seen["question"]["options"]] == CLEAN_OPTIONS
