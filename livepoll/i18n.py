"""Polish, Ukrainian and English UI text, read straight from `locales/<lang>/LC_MESSAGES/messages.po`.

No compile step: each catalog is parsed with Babel when first needed and turned into a `gettext`-style
`Translations` object in memory. Pages pick a language from `?lang=` (then remembered in a cookie), else
the browser's `Accept-Language`, else Polish, the language of our first users.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from livepoll.languages import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE

LANGUAGES: Mapping[str, str] = {"pl": "Polski", "uk": "Українська", "en": "English"}
LANGUAGE_COOKIE = "lp_lang"
LANGUAGE_MAX_AGE = 365 * 86400
# An Accept-Language header longer than this is not from a real browser; we read only its start.
MAX_ACCEPT_LANGUAGE = 512


@functools.cache
def translations(language: str) -> Translations:
    """The catalog of a supported language (parsed once per process)."""
    if language not in LANGUAGES:
        raise ValueError(f"Expected one of {sorted(LANGUAGES)}, got {language!r}")
    po = resources.files("livepoll").joinpath(f"locales/{language}/LC_MESSAGES/messages.po")
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    # Babel's in-memory .mo round trip keeps plural rules from the catalog header; fuzzy entries are
    # left out, as a compiled catalog would.
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def supported(value: str | None) -> str | None:
    """`uk`, `UK`, `uk-UA` and `uk_UA` all mean Ukrainian; anything else is not one of ours."""
    if not value:
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most (RFC 9110 §12.5.4 quality values)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        language = supported(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def preferred(query: str | None, cookie: str | None, accept_language: str | None) -> str | None:
    """`?lang=` first, then the remembered choice, then the browser; None when none names ours."""
    return supported(query) or supported(cookie) or from_accept_language(accept_language)


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The UI language: `preferred`, else Polish."""
    return preferred(query, cookie, accept_language) or DEFAULT_LANGUAGE


def content_language(preferred_language: str | None, session_default: str) -> str:
    """The language a participant reads a session's texts in: theirs, else the session's default (each text
    then falls back to the default language, then to any language it has: languages.resolve)."""
    return preferred_language or session_default
