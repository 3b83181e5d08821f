"""Where static/ and templates/ are: inside the package in a wheel, at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    raise RuntimeError(f"livepoll's {name}/ directory is missing; reinstall the package")


def static_dir() -> Path:
    return _find("static")


def templates_dir() -> Path:
    return _find("templates")
