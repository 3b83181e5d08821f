"""Offensive words: the shipped Polish, Ukrainian and English lists plus an operator's own file.

Used for what may reach a shared screen: a word-cloud entry that `blocks` is acknowledged but never shown (the
host sees it listed as blocked), an open-text entry or Q&A question is held hidden, a nickname is refused.

Matching is on whole words, never on parts of words ("Scunthorpe" passes), and on normalised words: each word
of the text is read as written, as its lemma (so "kurwami" meets "kurwa"), without diacritics ("kurwe" meets
"kurwę"), and with the cheap disguises undone that people use to slip a word past a filter:
- digits and signs for letters: 0→o 1→i 3→e 4→a 5→s 7→t @→a $→s !→i ("sh1t", "@ss", "$hit");
- stretched letters: "fuuuck" (runs of three or more squeezed to one and to two letters, so "asss" still
  meets "ass"); doubled letters ("kurrwa") are squeezed for whole words only, as "shiitake" would meet "*shit*";
- separators: "k.u.r.w.a", "f-u-c-k", "k u r w a" (three or more single letters in a row read as one word);
- Latin and Cyrillic look-alikes mixed in one word ("сукa" with a Latin "a").
Not attempted: masked words ("k*rwa", "f**k": the writer already censored them), words split in two, phonetic
respellings. Roots (`*kurw*`, `chuj*` in the list files) cover prefixed and compound forms; they are only used
for roots that no ordinary Polish, Ukrainian, Russian or English word contains.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from livepoll.words import Script, clean_surface, fold, lemma, script_of, strip_punctuation

BLOCKLIST_FILES = ("blocklist-pl.txt", "blocklist-uk.txt", "blocklist-en.txt")
# Tokens whose verdict stays cached per blocklist (~3 MiB when full): a repeated word costs a lookup.
VERDICT_CACHE_SIZE = 5_000
SPELLED_OUT_MIN_LETTERS = 3  # "k u r w a": this many single letters in a row are also read as one word

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_LATIN_LOOKALIKES, _CYRILLIC_LOOKALIKES = "aeopcyxijsk", "аеорсухіјѕк"
_TO_LATIN = str.maketrans(_CYRILLIC_LOOKALIKES, _LATIN_LOOKALIKES)
_TO_CYRILLIC = str.maketrans(_LATIN_LOOKALIKES, _CYRILLIC_LOOKALIKES)
_BARE_LETTERS = str.maketrans({"ł": "l"})  # the one Polish letter NFD does not split into base + mark
_SEPARATORS = re.compile(r"[\W_]+")
_STRETCHED = re.compile(r"(\w)\1{2,}")  # three or more: "fuuuck"
_DOUBLED = re.compile(r"(\w)\1")
_NO_WORDS: frozenset[str] = frozenset()


def bare(word: str) -> str:
    """`word` without diacritics: "gówno" -> "gowno", "хуї" -> "хуі"."""
    decomposed = unicodedata.normalize("NFD", word.translate(_BARE_LETTERS))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def _spellings(token: str) -> tuple[set[str], set[str]]:
    """The words a folded, whitespace-delimited token may stand for once disguises are undone: those safe to
    test roots on, and those with doubled letters squeezed too ("kurrwa"), only for whole words ("shiitake"
    squeezed would contain a root)."""
    found: set[str] = set()
    variants = {strip_punctuation(token)}
    if any(c.isalpha() for c in token) and token != token.translate(_LEET):
        variants.add(strip_punctuation(token).translate(_LEET))  # "kurwa!" stays "kurwa", "sh!t" -> "shit"
        variants.add(strip_punctuation(token.translate(_LEET)))  # "@ss" -> "ass", "$hit" -> "shit"
    for variant in variants:
        pieces = [piece for piece in _SEPARATORS.split(variant) if piece]
        if not pieces:
            continue
        readings = {variant, "".join(pieces), *pieces} if len(pieces) > 1 else {variant}
        for reading in readings:
            found.update((reading, _STRETCHED.sub(r"\1", reading), _STRETCHED.sub(r"\1\1", reading)))
    for spelling in list(found):
        if script_of(spelling) is Script.MIXED:
            found.update((spelling.translate(_TO_LATIN), spelling.translate(_TO_CYRILLIC)))
    found.discard("")
    return found, found | {_DOUBLED.sub(r"\1", spelling) for spelling in found}


@dataclass(frozen=True, slots=True)
class WordForms:
    roots: frozenset[str]  # the spellings, also bare: what roots and prefixes are tested on
    words: frozenset[str]  # those plus doubled letters squeezed and every lemma, also bare: for words, phrases


def _bare_too(forms: Iterable[str]) -> frozenset[str]:
    return frozenset(form for spelling in forms for form in (spelling, bare(spelling)))


def word_forms(token: str) -> WordForms:
    """Every form a blocklist entry may meet for one folded token. Roots are not tested on lemmas: a lemmatiser
    guessing at a word of another language can invent one ("потреблять" -> "потреблядь")."""
    strict, loose = _spellings(token)
    return WordForms(_bare_too(strict), _bare_too(loose | {lemma(spelling) for spelling in loose}))


def _spelled_out(tokens: Sequence[str]) -> list[str]:
    """One joined word per run of spelled-out single letters ("k u r w a" -> "kurwa")."""
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        letter = strip_punctuation(token)
        if len(letter) == 1 and letter.isalpha():
            run.append(letter)
            continue
        if len(run) >= SPELLED_OUT_MIN_LETTERS:
            joined.append("".join(run))
        run = []
    return joined


class Blocklist:
    """The words, phrases, roots and prefixes to keep off shared screens; `blocks` answers for a text."""

    def __init__(
        self, words: frozenset[str], phrases: tuple[tuple[str, ...], ...], pattern: re.Pattern[str] | None
    ) -> None:
        self.words = words  # bare, folded whole words
        self.phrases = phrases  # bare, folded words in sequence
        self.pattern = pattern  # the roots (`*root*`) and prefixes (`root*`), or None without any
        self._phrase_words = frozenset(word for phrase in phrases for word in phrase)
        self._verdict = lru_cache(maxsize=VERDICT_CACHE_SIZE)(self._judge)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Blocklist:
        """Entries in the list-file format (see livepoll/data/blocklist-pl.txt): `word`, `root*`, `*root*`,
        `two words`; "#" starts a comment; blank lines are ignored."""
        words: set[str] = set()
        phrases: set[tuple[str, ...]] = set()
        patterns: set[str] = set()
        for line in lines:
            entry = fold(clean_surface(line.split("#", 1)[0]))
            if not entry:
                continue
            if " " in entry:
                phrases.add(tuple(bare(strip_punctuation(part)) for part in entry.split()))
            elif len(entry) > 2 and entry.startswith("*") and entry.endswith("*"):
                patterns.add(re.escape(entry[1:-1]))
            elif len(entry) > 1 and entry.endswith("*"):
                patterns.add("^" + re.escape(entry[:-1]))
            else:
                words.add(bare(entry))
        pattern = re.compile("|".join(sorted(patterns))) if patterns else None
        return cls(frozenset(words), tuple(sorted(phrases)), pattern)

    @classmethod
    def load(cls, extra: Path | None = None) -> Blocklist:
        """The shipped lists, plus `extra` (the LIVEPOLL_BLOCKLIST_FILE setting, UTF-8) when given."""
        data = resources.files("livepoll").joinpath("data")
        lines: list[str] = []
        for name in BLOCKLIST_FILES:
            lines.extend(data.joinpath(name).read_text("utf-8").splitlines())
        if extra is not None:
            lines.extend(extra.read_text("utf-8").splitlines())
        return cls.from_lines(lines)

    def blocks(self, text: str) -> bool:
        """Whether any word or phrase of `text` is on the list (see the module notes for what matches)."""
        tokens = fold(clean_surface(text)).split()
        verdicts = [self._verdict(token) for token in tokens]
        if any(blocked for blocked, _ in verdicts) or any(self._verdict(w)[0] for w in _spelled_out(tokens)):
            return True
        return any(
            all(word in verdicts[start + offset][1] for offset, word in enumerate(phrase))
            for phrase in self.phrases
            for start in range(len(verdicts) - len(phrase) + 1)
        )

    def _judge(self, token: str) -> tuple[bool, frozenset[str]]:
        """Whether one folded token is blocked on its own, and which phrase words it can stand for."""
        forms = word_forms(token)
        blocked = not forms.words.isdisjoint(self.words) or (
            self.pattern is not None and any(self.pattern.search(form) for form in forms.roots)
        )
        return blocked, (forms.words & self._phrase_words) or _NO_WORDS
