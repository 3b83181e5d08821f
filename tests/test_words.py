"""Word-cloud entries as the audience types them: inflected, in three languages, in any case, sometimes
disguised; and the blocklist that keeps offensive words off the shared screen."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from support.server import free_port, run_cli

from livepoll import words
from livepoll.blocklist import BLOCKLIST_FILES, Blocklist
from livepoll.config import load_settings
from livepoll.words import WORD_MAX_CHARS, WordEntry, normalize_entry


def key(text: str) -> str:
    entry = normalize_entry(text)
    assert entry is not None, text
    return entry.key


# ---- normalisation ----

SAME_ENTRY = [
    pytest.param(["miasto", "miasta", "miastem", "Miasto", "MIASTU", "  miasto  "], "miasto", id="pl-miasto"),
    pytest.param(["współpraca", "współpracy", "współpracą", "Współpracę"], "współpraca", id="pl-wspolpraca"),
    pytest.param(["mieszkańcy", "mieszkańców", "Mieszkańcami"], "mieszkaniec", id="pl-mieszkaniec"),
    pytest.param(["Łódź", "łodzi", "ŁÓDŹ"], "łódź", id="pl-lodz"),
    pytest.param(["місто", "міста", "містом", "Місто"], "місто", id="uk-misto"),
    pytest.param(["громада", "громади", "громадою", "ГРОМАДА"], "громада", id="uk-hromada"),
    pytest.param(["співпраця", "співпраці", "співпрацею"], "співпраця", id="uk-spivpratsia"),
    pytest.param(["city", "cities", "City", "CITIES"], "city", id="en-city"),
    pytest.param(["cooperation", "Cooperation"], "cooperation", id="en-cooperation"),
    pytest.param(["volunteer", "volunteers"], "volunteer", id="en-volunteer"),
    pytest.param(["rada miasta", "Rada  Miasta", "rady miast", "Radzie\tmiasta"], "rada miasto", id="pl-two-words"),
    pytest.param(
        ["społeczno-kulturalny", "społeczno-kulturalnej", "Społeczno-Kulturalnego"],
        "społeczno-kulturalny",
        id="pl-hyphenated",
    ),
    pytest.param(["„miasto”", "miasto!", "(miasto)", "#miasto"], "miasto", id="edge-punctuation"),
    pytest.param(["сім'я", "сім’я", "сімʼя"], "сім'я", id="uk-apostrophes"),
    pytest.param(["2024", " 2024 "], "2024", id="digits"),
    pytest.param(["COVID-19", "covid-19"], "covid-19", id="digits-hyphen"),
]


@pytest.mark.parametrize(("typed", "expected"), SAME_ENTRY)
def test_inflected_forms_and_case_count_as_one_entry(typed: list[str], expected: str) -> None:
    assert {text: key(text) for text in typed} == dict.fromkeys(typed, expected)


def test_different_words_stay_different() -> None:
    keys = [key(text) for text in ["miasto", "wieś", "gmina", "city", "місто", "село", "rada", "rada miasta"]]
    assert len(set(keys)) == len(keys)


def test_the_shown_text_keeps_what_was_typed_cleaned() -> None:
    assert normalize_entry("  Rada \u00a0 Miasta\n") == WordEntry(
        key="rada miasto", text="Rada Miasta", mixed_script=False
    )
    assert normalize_entry("„Miasto”!") == WordEntry(key="miasto", text="„Miasto”!", mixed_script=False)


def test_decomposed_input_is_composed() -> None:
    typed = unicodedata.normalize("NFD", "Współpracą Łódź")
    assert typed != unicodedata.normalize("NFC", typed)
    entry = normalize_entry(typed)
    assert entry is not None
    assert entry.text == "Współpracą Łódź" and entry.key == "współpraca łódź"


def test_controls_and_bidi_overrides_are_dropped_even_if_the_caller_forgot() -> None:
    entry = normalize_entry("\u202emia\u200bsto\u2069\x07")
    assert entry == WordEntry(key="miasto", text="miasto", mixed_script=False)


@pytest.mark.parametrize("typed", ["", "   ", "\u200b\u202e", "\n\t"])
def test_nothing_left_is_no_entry(typed: str) -> None:
    assert normalize_entry(typed) is None


def test_punctuation_only_is_an_entry_of_its_own() -> None:
    assert key("???") == "???" and key("?") != key("???")


@pytest.mark.parametrize(
    ("genuine", "lookalike"),
    [
        pytest.param("місто", "мiсто", id="latin-i-in-cyrillic"),
        pytest.param("місто", "місtо", id="latin-t-in-cyrillic"),
        pytest.param("miasto", "miastо", id="cyrillic-o-in-latin"),
        pytest.param("громада", "гpомада", id="latin-p-in-cyrillic"),
    ],
)
def test_latin_and_cyrillic_lookalikes_are_never_merged(genuine: str, lookalike: str) -> None:
    real, fake = normalize_entry(genuine), normalize_entry(lookalike)
    assert real is not None and fake is not None
    assert fake.key != real.key
    assert fake.mixed_script and not real.mixed_script
    assert fake.text == lookalike


def test_an_entry_of_the_longest_allowed_length_normalises() -> None:
    typed = "Współpraca międzysektorowa samorządu i NGO"[:WORD_MAX_CHARS]
    entry = normalize_entry(typed)
    assert entry is not None and len(entry.text) == WORD_MAX_CHARS


def test_a_repeated_word_is_lemmatised_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second time a word comes (in any case), the lemma comes from the cache: simplemma is not asked."""
    real = words._get_lemmatizer()
    asked: list[str] = []

    class Counting:
        def lemmatize(self, token: str, lang: str | tuple[str, ...]) -> str:
            asked.append(token)
            return real.lemmatize(token, lang)

    monkeypatch.setattr(words, "_lemmatizer", Counting())
    words.lemma_cache_clear()
    entries = [normalize_entry(text) for text in ["Współpracą", "współpracą", "WSPÓŁPRACĄ", "współpracą!"]]
    assert {entry.key for entry in entries if entry} == {"współpraca"}
    assert asked == ["współpracą"]
    normalize_entry("rada współpracą")
    assert asked == ["współpracą", "rada"]


def test_warm_up_loads_off_the_event_loop_within_the_memory_budget() -> None:
    """In a fresh process: while `warm_up` loads the dictionaries the event loop keeps running callbacks;
    afterwards entries normalise, and the process grew by less than the 80 MiB budget."""
    script = r"""
import asyncio, json, gc, psutil
from livepoll import words
def rss(): gc.collect(); return psutil.Process().memory_info().rss / 2**20
async def main():
    loop = asyncio.get_running_loop()
    ticks = []
    def tick():
        ticks.append(loop.time())
        handle[0] = loop.call_later(0.01, tick)
    handle = [loop.call_later(0.01, tick)]
    before = rss()
    loaded_before = words.is_loaded()
    await words.warm_up()
    handle[0].cancel()
    print(json.dumps({"ticks": len(ticks), "added_mib": rss() - before, "loaded_before": loaded_before,
                      "loaded": words.is_loaded(), "key": words.normalize_entry("Miastem").key}))
asyncio.run(main())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["loaded_before"] is False and report["loaded"] is True
    assert report["key"] == "miasto"
    assert report["ticks"] >= 10, report  # a load on the loop would have let no callback run meanwhile
    assert report["added_mib"] < 80, report


# ---- blocklist ----


@pytest.fixture(scope="module")
def blocklist() -> Blocklist:
    return Blocklist.load()


BLOCKED = {
    "pl-inflected": [
        "kurwami",
        "Kurwy",
        "chujem",
        "pizdą",
        "jebanego",
        "spierdalajcie",
        "wypierdalać",
        "zajebiste",
        "skurwysynów",
        "dziwkami",
        "czarnuchów",
        "banderowcom",
        "cwelem",
        "dupą",
    ],
    "pl-disguised": [
        "k.u.r.w.a",
        "k u r w a",
        "kuuurwa",
        "kurrwa",
        "kurw@",
        "KURWA!!!",
        "kurwe",
        "pierdolic",
        "ch-u-j",
        "\u0441huj",
    ],
    "uk-inflected": ["хуйня", "хуями", "пиздою", "бляді", "сукою", "хохлів", "кацапами", "москалям", "їбати"],
    "uk-disguised": ["п.и.з.д.а", "сук\u0061", "хуууй", "х у й"],
    "ru-cyrillic": ["ебать", "заебали", "долбоёбы", "пиздец", "нахуй"],
    "en-inflected": [
        "fucking",
        "Fuckers",
        "bitches",
        "cunts",
        "motherfuckers",
        "niggers",
        "faggots",
        "retarded",
        "bullshit",
        "assholes",
    ],
    "en-disguised": ["sh1t", "$hit", "@ss", "f.u.c.k", "fuuuck", "FUCK!", "b1tch", "a$$hole"],
    "in-a-sentence": [
        "To jest kurwa słabe.",
        "what the fuck is this",
        "Це просто пиздець, друзі",
        "Sieg   HEIL!",
        "white power",
    ],
}


@pytest.mark.parametrize(
    "text", [pytest.param(text, id=f"{group}-{text}") for group, texts in BLOCKED.items() for text in texts]
)
def test_offensive_words_are_blocked_inflected_or_disguised(blocklist: Blocklist, text: str) -> None:
    assert blocklist.blocks(text)


ORDINARY = [
    # civic words of the webinars, in the three languages
    "Szczecin",
    "Kraków",
    "analiza",
    "miasto",
    "współpraca",
    "integracja",
    "konsultacje społeczne",
    "rada miasta",
    "społeczno-kulturalny",
    "mieszkańcy",
    "migranci",
    "organizacje pozarządowe",
    "NGO",
    "2024",
    "COVID-19",
    "Україна",
    "Київ",
    "Львів",
    "громада",
    "суспільство",
    "документи",
    "city",
    "cooperation",
    "housing",
    "volunteers",
    # ordinary words and names that contain or resemble a listed word (whole words only)
    "Scunthorpe",
    "Essex",
    "assessment",
    "classic",
    "class",
    "bass",
    "passport",
    "cocktail",
    "peacock",
    "Hancock",
    "Dickens",
    "shiitake",
    "Matsushita",
    "snigger",
    "therapist",
    "grape",
    "pasta",
    "pizza",
    "kolorowanka",
    "rymowanka",
    "malowanka",
    "bałwanek",
    "dowcip",
    "huta",
    "zakutać",
    "grzywna",
    "страхуй",
    "страхування",
    "бляха",
    "сукня",
    "дебати",
    "ганебний",
    "Дебальцеве",
    "колебание",
    "амёба",
    "употреблять",
    "потреблять",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_words_are_not_blocked(blocklist: Blocklist, text: str) -> None:
    assert not blocklist.blocks(text)


def test_a_phrase_matches_only_in_order(blocklist: Blocklist) -> None:
    assert blocklist.blocks("sieg heil") and not blocklist.blocks("heil sieg")
    assert not blocklist.blocks("white house power plant")


def test_the_extra_file_extends_the_shipped_lists(tmp_path: Path) -> None:
    extra = tmp_path / "blocklist.txt"
    extra.write_text(
        "# words this city hall adds\n\nPrezydent   # whole word, any inflection\n*szmal*\nGłupi Pomysł\n",
        encoding="utf-8",
    )
    shipped, extended = Blocklist.load(), Blocklist.load(extra)
    for text in ["Prezydenta", "prezydentem", "szmalcownik", "to głupi pomysł!", "Głupiego pomysłu"]:
        assert extended.blocks(text) and not shipped.blocks(text), text
    for text in ["wiceprezydent", "pomysł głupi", "dobry pomysł", "words this city hall adds"]:
        assert not extended.blocks(text), text
    assert extended.blocks("kurwa")


@pytest.mark.parametrize("name", BLOCKLIST_FILES)
def test_shipped_lists_are_real_normalised_lists(name: str) -> None:
    path = Path(words.__file__).parent / "data" / name
    lines = path.read_text("utf-8").splitlines()
    assert lines[0].startswith("# livepoll default blocklist")
    entries = [line for line in lines if line and not line.startswith("#")]
    assert len(entries) >= 100
    assert all(line == words.fold(words.clean_surface(line)) for line in entries)
    assert len(Blocklist.from_lines(lines).words) >= 80


# ---- the setting ----


def test_blocklist_file_setting_accepts_a_readable_file(tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("słowo\n", encoding="utf-8")
    assert load_settings(blocklist_file=str(extra)).blocklist_file == extra
    assert load_settings(blocklist_file="").blocklist_file is None


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("problem", ["missing", "directory", "not-utf8"])
def test_a_bad_blocklist_file_stops_the_server_at_start(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "blocklist.txt"
    if problem == "directory":
        path.mkdir()
    elif problem == "not-utf8":
        path.write_bytes("kurwa\npiździe\n".encode("cp1250"))
    port = free_port()
    done = run_cli(
        ["serve", "--host", "127.0.0.1", "--port", str(port)],
        env={"LIVEPOLL_DATA_DIR": str(tmp_path / "data"), "LIVEPOLL_BLOCKLIST_FILE": str(path)},
    )
    output = done.stderr + done.stdout
    assert done.returncode != 0
    assert "LIVEPOLL_BLOCKLIST_FILE" in output and str(path) in output
    assert "Traceback" not in output
    assert not listening(port)
