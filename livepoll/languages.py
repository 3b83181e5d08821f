"""Texts in Polish, Ukrainian and English: a session's title and every text of its questions may be a plain
string or a map `{"pl": ..., "uk": ..., "en": ...}` with at least one of them. Pure rules.

Ballots refer to ids, never to texts, so every language lands on one chart. A text is read in a language by
falling back to the session's default language, then to any language the text has (in the order pl, uk, en).
Stored definitions keep maps as maps and plain strings as strings (a definition exported and imported again is
the same), while the model's plain fields hold each text resolved in the session's default language, which
is what code that does not care about languages reads.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("pl", "uk", "en")
DEFAULT_LANGUAGE = "pl"
MAX_PRESENT_LANGUAGES = 2
# A text as given: a plain string, or a map of language -> string.
Text = str | Mapping[str, str]
# A text's languages as stored in a frozen dataclass: ((lang, text), ...) in LANGUAGES order.
Versions = tuple[tuple[str, str], ...]


def resolve(value: Text, lang: str, default: str = DEFAULT_LANGUAGE) -> str:
    """`value` read in `lang`: the map's `lang`, else the default language's, else the first it has."""
    if isinstance(value, str):
        return value
    for candidate in (lang, default, *LANGUAGES):
        found = value.get(candidate)
        if found:
            return found
    return ""


def versions_of(value: Mapping[str, str]) -> Versions:
    return tuple((lang, value[lang]) for lang in LANGUAGES if value.get(lang))


def as_map(versions: Versions) -> dict[str, str]:
    return dict(versions)


def split(value: Text, default: str) -> tuple[str, Versions]:
    """A text as the model keeps it: read in the default language, and its languages when it has several."""
    if isinstance(value, str):
        return value, ()
    return resolve(value, default, default), versions_of(value)
