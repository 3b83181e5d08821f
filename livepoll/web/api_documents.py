"""Documents for organisers to hand on (host key): the results workbook, the report and the poster as PDF,
and one question's chart as SVG or PNG. Named like the CSV exports (web/downloads.py); in the session's
default language unless `?lang=` names another. Building runs in a worker thread, at most
LIVEPOLL_DOCUMENT_RENDERS at a time, so a large export never stalls the event loop's live traffic."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from livepoll import exports, i18n
from livepoll.documents import render
from livepoll.documents.charts import chart_svg
from livepoll.documents.workbook import Summary, write_workbook
from livepoll.model import PollError, group_join_code
from livepoll.web.api_common import host_session
from livepoll.web.downloads import attachment, file_name
from livepoll.web.pages_documents import (
    document_page,
    gather,
    html,
    poster_context,
    report_context,
    stylesheet,
)

CODE = "{code:code}"  # as in api.py
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
T = TypeVar("T")
_renders: dict[int, asyncio.Semaphore] = {}


async def _in_worker(request: Request, work: Callable[[], T]) -> T:
    """`work()` in a thread, after waiting for one of the LIVEPOLL_DOCUMENT_RENDERS places."""
    limit: int = request.app.state.settings.document_renders
    semaphore = _renders.setdefault(id(request.app), asyncio.Semaphore(limit))
    async with semaphore:
        return await asyncio.to_thread(work)


def _unavailable(exc: render.Unavailable, code: str) -> PollError:
    return PollError(code, str(exc), 503)


async def results_xlsx(request: Request) -> Response:
    found = await gather(request, await host_session(request))
    session = found.session
    _ = i18n.translations(found.lang).gettext
    summary = Summary(session.title, group_join_code(session.code), found.lang, session.created_at,
                      found.last_active, found.participants, None if found.qa is None else len(found.qa))
    handle, path = tempfile.mkstemp(prefix="livepoll-", suffix=".xlsx")
    os.close(handle)

    def build() -> None:
        rows = exports.response_table(session.questions, found.responses)
        qa = None if found.qa is None else exports.qa_table(found.qa)
        write_workbook(path, summary, found.tables, rows, qa, _)

    try:
        await _in_worker(request, build)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(path, media_type=XLSX, headers=attachment(file_name(session, "results", "xlsx")),
                        background=BackgroundTask(os.unlink, path))


async def _pdf(request: Request, make_html: Callable[[], Awaitable[tuple[str, str]]]) -> Response:
    if not render.pdf_available():
        raise PollError("pdf_unavailable", "This server cannot make PDF files: it needs the optional "
                        "WeasyPrint (pip install 'livepoll[pdf]') and the system's Pango library.", 503)
    document, name = await make_html()
    try:
        pdf = await _in_worker(request, lambda: render.html_to_pdf(document, stylesheet()))
    except render.Unavailable as exc:
        raise _unavailable(exc, "pdf_unavailable") from None
    return Response(pdf, media_type="application/pdf", headers=attachment(name))


async def report_pdf(request: Request) -> Response:
    session = await host_session(request)

    async def report() -> tuple[str, str]:
        found = await gather(request, session)
        page = document_page(request, found.lang)
        return html(page, "report.html", report_context(page, found)), file_name(found.session, "report", "pdf")

    return await _pdf(request, report)


async def poster_pdf(request: Request) -> Response:
    session = await host_session(request)

    async def poster() -> tuple[str, str]:
        page = document_page(request, i18n.supported(request.query_params.get("lang")) or session.default_language)
        shown = session.in_language(page.lang)
        return html(page, "poster.html", poster_context(request, shown)), file_name(shown, "poster", "pdf")

    return await _pdf(request, poster)


async def _chart(request: Request) -> tuple[str, Callable[[str], str]]:
    """The SVG of the question in the path, and what its file name says it holds."""
    found = await gather(request, await host_session(request), responses=False)
    wanted = request.path_params["question_id"]
    for table in found.tables:
        if table.question.id == wanted:
            _ = i18n.translations(found.lang).gettext
            svg = chart_svg(table.chart, table.question.text, _("No answers yet"))
            return svg, lambda extension: file_name(found.session, f"{wanted}-chart", extension)
    raise PollError("unknown_question", f"This session has no question {wanted!r}.", 404)


async def chart_svg_image(request: Request) -> Response:
    svg, name = await _chart(request)
    return Response(svg, media_type="image/svg+xml", headers=_inline(name("svg")))


async def chart_png_image(request: Request) -> Response:
    if not render.png_available():
        raise PollError("png_unavailable", "This server cannot make PNG images: it needs the optional CairoSVG "
                        "(pip install 'livepoll[pdf]') and the system's Cairo library.", 503)
    svg, name = await _chart(request)
    try:
        png = await _in_worker(request, lambda: render.svg_to_png(svg))
    except render.Unavailable as exc:
        raise _unavailable(exc, "png_unavailable") from None
    return Response(png, media_type="image/png", headers=_inline(name("png")))


def _inline(filename: str) -> dict[str, str]:
    """Headers of an image shown in the browser, saved under `filename`."""
    headers = attachment(filename)
    headers["Content-Disposition"] = headers["Content-Disposition"].replace("attachment", "inline", 1)
    return headers


routes: list[BaseRoute] = [
    Route(f"/api/v1/sessions/{CODE}/results.xlsx", results_xlsx, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/report.pdf", report_pdf, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/poster.pdf", poster_pdf, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/questions/{{question_id:str}}/chart.svg", chart_svg_image, methods=["GET"]),
    Route(f"/api/v1/sessions/{CODE}/questions/{{question_id:str}}/chart.png", chart_png_image, methods=["GET"]),
]
