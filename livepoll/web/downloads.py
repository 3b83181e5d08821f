"""How exports are named and which language their texts are in: `livepoll-72815366-migracja-w-miescie-
results.csv` (the join code, a slug of the title, what it holds), texts in the session's default language
unless `?lang=` names another the session has."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from starlette.requests import Request

from livepoll import i18n
from livepoll.model import Session

MAX_SLUG_CHARS = 40
# Ukrainian (and Polish ł) letters that NFKD does not take apart: the national romanisation, simplified.
_ROMAN = str.maketrans({
    "ł": "l", "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "ъ": "", "ы": "y", "э": "e", "ё": "io", "'": "", "’": "",
})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(title: str) -> str:
    """The title in lower-case ASCII words joined by hyphens: `Migracja w mieście` -> `migracja-w-miescie`."""
    roman = unicodedata.normalize("NFKD", title.lower().translate(_ROMAN))
    ascii_only = roman.encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_only).strip("-")[:MAX_SLUG_CHARS].strip("-")


def file_name(session: Session, what: str, extension: str) -> str:
    parts = ["livepoll", session.code, slug(session.title), what]
    return "-".join(part for part in parts if part) + "." + extension


def attachment(filename: str) -> dict[str, str]:
    """Headers of a download (never cached: it holds a session's results)."""
    return {"Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store"}


def in_export_language(request: Request, session: Session) -> Session:
    """The session with its texts in `?lang=` (where it has them), else in its default language."""
    return session.in_language(i18n.supported(request.query_params.get("lang")) or session.default_language)
