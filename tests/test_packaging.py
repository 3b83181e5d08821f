"""`pip install .` carries every Python package of livepoll (the wheel lists its packages by name)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_livepoll_package_is_in_the_wheel() -> None:
    """A package missing from [tool.setuptools] packages is left out of the wheel: the installed server then
    fails to import it (livepoll.kinds was)."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "livepoll").rglob("__init__.py")
    }
    assert found - listed == set()
