"""Every text a person types into livepoll, made safe to store, show and export. Pure: no I/O.

`clean_text` is applied where text enters (request models, the host's create form) before any length
limit is checked, so the limits count what is stored. What it does, and why:

- Line breaks (CRLF, CR, LF, VT, FF, NEL, U+2028/2029, the C0 separators Python's `splitlines` knows)
  become LF where a field allows several lines, a space elsewhere; a tab becomes a space.
- Control characters (category Cc) and lone surrogates go: a NUL reached responses.csv raw, and the
  others are invisible or break CSV, logs and terminals.
- Invisible format characters (category Cf) go, unless listed in `KEPT_FORMAT`: bidi embeddings,
  overrides and isolates (U+202A-U+202E, U+2066-U+2069) and marks (U+200E/F, U+061C) can make an option
  read backwards ("‮txet" shown as "text") or bleed into the text around it; U+200B, U+2060 and U+FEFF
  let two labels that look the same differ, and split words invisibly. Pages break long words with
  CSS, so nothing in Polish, Ukrainian or English needs them. A Cf character this Unicode version adds
  later is removed by default.
- Kept on purpose: the soft hyphen (U+00AD, invisible until a word is hyphenated there, as pasted from
  office documents); the prepended concatenation marks (Arabic number signs etc., visible); and the
  joiners, in context only (see `_joiners`): U+200D ZWJ builds emoji sequences (👩‍💻, 🏳️‍🌈) and
  U+200C ZWNJ is part of correct spelling in Persian and some Indic scripts. The tag characters
  (U+E0020-U+E007F) stay only inside an emoji flag sequence (🏴 + tags + cancel tag), since elsewhere
  they carry hidden text that no screen shows.
- NFC, so "ą" typed as a + combining ogonek and "ą" precomposed are one label (and one code point).
- At most `MAX_COMBINING_MARKS` combining marks in a row ("Zalgo" text draws over the lines above and
  below); real scripts use fewer.
- Hangul fillers U+3164 and U+FFA0 go: they are letters that render as nothing (blank titles).
- Runs of spaces collapse to one space (a lone no-break space stays: Polish typography keeps
  one-letter words such as "w" off the end of a line with it), and the ends are trimmed. A multi-line
  text keeps at most one empty line in a row.

An entry that is empty after cleaning is the caller's to refuse (the request models' `min_length`).
"""

from __future__ import annotations

import re
import unicodedata

MAX_COMBINING_MARKS = 4
# Format characters (Cf) that stay: the soft hyphen and the visible prepended concatenation marks.
KEPT_FORMAT = frozenset(
    "\u00ad\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
)
JOINERS = "\u200c\u200d"
NO_BREAK_SPACES = frozenset("\u00a0\u202f\u2007")
INVISIBLE_LETTERS = frozenset("\u3164\uffa0")

_LINE_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_TAGS = re.compile("(\U0001f3f4[\U000e0020-\U000e007e]{1,32}\U000e007f)|[\U000e0000-\U000e007f]")
_TAG_RANGE = range(0xE0020, 0xE0080)
_JOINER_RUN = re.compile(f"[{JOINERS}]+")
_SPACES = re.compile(r"\s+")
_INLINE_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """`value` as livepoll stores it: see the module's docstring. May return ""."""
    text = _LINE_BREAK.sub("\n", value).replace("\t", " ")
    text = _TAGS.sub(lambda m: m.group(1) or "", text)
    text = "".join(ch for ch in text if _kept(ch))
    text = unicodedata.normalize("NFC", text)
    text = _limit_marks(text)
    text = _joiners(text)
    if multiline:
        lines = (_INLINE_SPACES.sub(_one_space, line).strip() for line in text.split("\n"))
        return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return _SPACES.sub(_one_space, text).strip()


def _kept(ch: str) -> bool:
    if ch == "\n":
        return True
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):
        return False
    if category == "Cf":
        return ch in KEPT_FORMAT or ch in JOINERS or ord(ch) in _TAG_RANGE
    return ch not in INVISIBLE_LETTERS


def _limit_marks(text: str) -> str:
    if text.isascii():
        return text
    kept: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me"):
            run += 1
            if run > MAX_COMBINING_MARKS:
                continue
        else:
            run = 0
        kept.append(ch)
    return "".join(kept)


def _joiners(text: str) -> str:
    """A joiner joins two characters: one between two non-space characters stays (a run shrinks to its
    first); one at an end or beside a space joins nothing and only hides in the text."""

    def joined(match: re.Match[str]) -> str:
        start, end = match.span()
        inside = start > 0 and end < len(text) and not text[start - 1].isspace() and not text[end].isspace()
        return match.group()[0] if inside else ""

    return _JOINER_RUN.sub(joined, text)


def _one_space(match: re.Match[str]) -> str:
    run = match.group()
    return run if len(run) == 1 and run in NO_BREAK_SPACES else " "
