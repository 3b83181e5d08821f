"""PDF and PNG from the documents' HTML and SVG, with optional libraries (the extra `pdf`: WeasyPrint for
PDF, CairoSVG for PNG; both need Cairo/Pango from the system). The server starts without them; a request for
a PDF or PNG then gets `Unavailable`, which the web layer answers with 503.

Renders never fetch anything: the HTML carries its stylesheet and images inline, and a URL fetcher that
refuses every URL keeps a document from reaching the network or the file system.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType
from typing import Any, NoReturn


class Unavailable(Exception):
    """The renderer's library (or the system library under it) is not installed."""

    def __init__(self, what: str, package: str, detail: str) -> None:
        super().__init__(f"{what} needs the Python package {package} (pip install 'livepoll[pdf]') and the "
                         f"Cairo and Pango libraries of the system: {detail}")


@functools.cache
def _library(name: str) -> ModuleType | str:
    """The module, or why it cannot be loaded (missing, or its system library is: OSError from cffi)."""
    try:
        return importlib.import_module(name)
    except (ImportError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"


def _loaded(name: str, what: str) -> ModuleType:
    found = _library(name)
    if isinstance(found, str):
        raise Unavailable(what, name, found)
    return found


def pdf_available() -> bool:
    return not isinstance(_library("weasyprint"), str)


def png_available() -> bool:
    return not isinstance(_library("cairosvg"), str)


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"documents load nothing from outside; refused {url!r}")


def html_to_pdf(html: str, stylesheet: str) -> bytes:
    """The HTML page (A4 by its print stylesheet) as PDF."""
    weasyprint = _loaded("weasyprint", "The PDF")
    document = weasyprint.HTML(string=html, url_fetcher=_refuse)
    pdf: bytes = document.write_pdf(stylesheets=[weasyprint.CSS(string=stylesheet, url_fetcher=_refuse)])
    return pdf


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """The SVG as PNG, `scale` times its size (2: sharp on slides and in newsletters)."""
    cairosvg = _loaded("cairosvg", "The PNG image")
    png: bytes = cairosvg.svg2png(bytestring=svg.encode(), scale=scale, unsafe=False, url=None)
    return png
