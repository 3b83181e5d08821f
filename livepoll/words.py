"""Word-cloud entries: cleaning, case folding and lemmatisation, so "miasta", "Miasto" and "miastem" count as one.

An entry has two faces: its `text` (what a participant wrote, trimmed, whitespace collapsed, case kept: what may
be shown) and its `key` (what is counted: case-folded and lemmatised word by word with simplemma, which ships its
Polish, Ukrainian and English data). Latin-script words are looked up in Polish, then English; Cyrillic words in
Ukrainian. A word that mixes Latin and Cyrillic letters (a look-alike "о" in "місто") is never lemmatised or
folded into the word it imitates: it keeps its own key and the entry is marked `mixed_script`.

The dictionaries load once per process (about 60 MiB with simplemma's low-memory backend, see `load`), lazily on
the first call or ahead of time with `await warm_up()` from the server's start-up, off the event loop. Each
word's lemma is then cached, so a repeated word costs a dictionary lookup.
"""

from __future__ import annotations

import asyncio
import enum
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from livepoll.kinds.base import Words

if TYPE_CHECKING:
    from livepoll.blocklist import Blocklist

WORD_MAX_CHARS = 40
# Distinct words whose lemma stays cached (~12 MiB when full; a webinar's cloud has a few hundred): with the
# dictionaries and the blocklist's cache this keeps the process within its 80 MiB budget.
LEMMA_CACHE_SIZE = 40_000
LATIN_LANGUAGES: tuple[str, ...] = ("pl", "en")
# Ukrainian only. Russian-speaking participants write Russian forms; simplemma's Russian dictionary would add
# ~20 MiB and take the process over its 80 MiB budget, so a Russian word is counted by its case-folded form
# (inflections of it are not merged) unless the Ukrainian rules happen to cover it.
CYRILLIC_LANGUAGES: tuple[str, ...] = ("uk",)
LANGUAGES = LATIN_LANGUAGES + CYRILLIC_LANGUAGES

# Apostrophes Ukrainian ("сім’я", "сімʼя") and English writers use interchangeably; keys use U+0027.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'"})
_ZERO_WIDTH_JOINER = "\u200d"  # kept: it joins emoji sequences
# Unicode's Latin and Cyrillic letter blocks (basic, supplements, extended, fullwidth Latin).
_LATIN = re.compile(
    "[A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1d00-\u1d7f\u1e00-\u1eff\u2c60-\u2c7f"
    "\ua720-\ua7ff\uab30-\uab6f\uff21-\uff3a\uff41-\uff5a]"
)
_CYRILLIC = re.compile("[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]")


class Script(enum.Enum):
    NONE = "none"  # no letters: digits, emoji, symbols
    LATIN = "latin"
    CYRILLIC = "cyrillic"
    MIXED = "mixed"  # Latin and Cyrillic letters in one word: a look-alike, never merged
    OTHER = "other"  # Greek, Arabic, CJK...: counted by their case-folded form


@dataclass(frozen=True, slots=True)
class WordEntry:
    key: str  # what is counted: case-folded, lemmatised, words joined by single spaces
    text: str  # what may be shown: cleaned, trimmed, whitespace collapsed, original case
    mixed_script: bool  # a word mixes Latin and Cyrillic letters (possibly a look-alike trick)


def clean_surface(text: str) -> str:
    """NFC, control and format characters removed (line breaks and tabs become spaces), trimmed, inner
    whitespace collapsed to single spaces. The caller normally cleans input already; this is idempotent."""
    if not (text.isprintable() and unicodedata.is_normalized("NFC", text)):
        text = unicodedata.normalize("NFC", text)
        kept: list[str] = []
        for char in text:
            category = unicodedata.category(char)
            if category == "Cc":
                if char.isspace():
                    kept.append(" ")
            elif category not in ("Cf", "Cs") or char == _ZERO_WIDTH_JOINER:
                kept.append(char)
        text = "".join(kept)
    return " ".join(text.split())


def fold(text: str) -> str:
    """Case-fold and unify apostrophes, in NFC."""
    return unicodedata.normalize("NFC", text.casefold().translate(_APOSTROPHES))


def strip_punctuation(token: str) -> str:
    """Drop leading and trailing punctuation ("„miasto”," -> "miasto"); inner hyphens and apostrophes stay."""
    if token[:1].isalnum() and token[-1:].isalnum():
        return token
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(token[end - 1]).startswith("P"):
        end -= 1
    return token[start:end]


def is_mixed_script(word: str) -> bool:
    return _LATIN.search(word) is not None and _CYRILLIC.search(word) is not None


def script_of(word: str) -> Script:
    latin, cyrillic = _LATIN.search(word) is not None, _CYRILLIC.search(word) is not None
    if latin and cyrillic:
        return Script.MIXED
    rest = _CYRILLIC.sub("", _LATIN.sub("", word)) if latin or cyrillic else word
    if any(char.isalpha() for char in rest):
        return Script.OTHER
    return Script.LATIN if latin else Script.CYRILLIC if cyrillic else Script.NONE


def words_of(text: str) -> list[str]:
    """The folded words of a cleaned text, edge punctuation removed, punctuation-only tokens dropped."""
    return [word for word in (strip_punctuation(token) for token in fold(text).split()) if word]


def normalize_entry(text: str) -> WordEntry | None:
    """The entry a participant's text stands for, or None when nothing is left after cleaning.

    Length is the caller's check: `len(entry.text)` must be 1..WORD_MAX_CHARS (check before calling with
    untrusted text of any size, lemmatising is per word). Each word is lemmatised on its own and the lemmas
    joined with single spaces ("Rady Miasta" -> "rada miasto"); an entry of punctuation only ("?") is kept as
    its folded self.
    """
    surface = clean_surface(text)
    if not surface:
        return None
    words = words_of(surface)
    key = " ".join(lemma(word) for word in words) if words else fold(surface)
    mixed = any(is_mixed_script(word) for word in words)
    return WordEntry(key=key, text=surface, mixed_script=mixed)


# ---- the lemmatiser: loaded once per process, results cached per word ----


class _Lemmatizer(Protocol):
    def lemmatize(self, token: str, lang: str | tuple[str, ...]) -> str: ...


_lemmatizer: _Lemmatizer | None = None
_load_lock = threading.Lock()


def load() -> None:
    """Load the Polish, Ukrainian and English dictionaries if not yet loaded (blocking: seconds of CPU).

    simplemma's low-memory backend (StreamDictionaryFactory) keeps each language's decompressed front-coded
    stream plus a sparse block index: ~60 MiB for the three, against ~450 MiB for its default dict backend.
    The lock makes a synchronous first call wait for a warm-up already under way instead of loading twice.
    """
    global _lemmatizer
    with _load_lock:
        if _lemmatizer is not None:
            return
        from simplemma import Lemmatizer
        from simplemma.strategies import DefaultStrategy
        from simplemma.strategies.dictionaries import StreamDictionaryFactory

        factory = StreamDictionaryFactory(cache_max_size=len(LANGUAGES))
        for language in LANGUAGES:
            factory.get_dictionary(language)
        # simplemma's own result cache is off: ours (below) sits in front of it and is the one to size.
        _lemmatizer = Lemmatizer(cache_max_size=0, lemmatization_strategy=DefaultStrategy(dictionary_factory=factory))


async def warm_up() -> None:
    """Load the dictionaries in a worker thread, so the event loop keeps serving meanwhile."""
    await asyncio.to_thread(load)


def is_loaded() -> bool:
    return _lemmatizer is not None


def _get_lemmatizer() -> _Lemmatizer:
    if _lemmatizer is None:
        load()
    assert _lemmatizer is not None
    return _lemmatizer


@lru_cache(maxsize=LEMMA_CACHE_SIZE)
def lemma(word: str) -> str:
    """The folded lemma of one folded, punctuation-stripped word (see `words_of`); unknown words are returned
    as they are. Only words of one script (Latin or Cyrillic) are looked up."""
    script = script_of(word)
    if script is Script.LATIN:
        languages = LATIN_LANGUAGES
    elif script is Script.CYRILLIC:
        languages = CYRILLIC_LANGUAGES
    else:
        return word
    found = fold(_get_lemmatizer().lemmatize(word, languages))
    # A lemma always comes from the word's own script's dictionaries; anything else is kept out of the key.
    return found if found and script_of(found) is script else word


def lemma_cache_clear() -> None:
    lemma.cache_clear()


def words_rules(blocklist: Blocklist) -> Words:
    """The rules the question kinds use for free words: lemmatised keys and the blocklist."""

    def normalize(text: str) -> str | None:
        entry = normalize_entry(text)
        return None if entry is None else entry.key

    return Words(normalize, blocklist.blocks, warm_up)
