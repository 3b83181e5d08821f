"""The printable report and the join poster: host pages (`/host/{code}/report`, `/host/{code}/poster`) and
the HTML that `api_documents.py` turns into PDF. Both are in the session's default language unless `?lang=`
names another; charts are SVG drawn here (documents/charts.py), so printing needs no JavaScript.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll import exports, i18n
from livepoll.backends.base import BackendUnavailable
from livepoll.documents.charts import chart_svg
from livepoll.documents.tables import Entries, QuestionTable, question_tables, visible_questions
from livepoll.model import Response as Ballot, Session, group_join_code
from livepoll.qa import QaQuestion
from livepoll.qr import join_link, qr_svg
from livepoll.resources import static_dir
from livepoll.web.downloads import in_export_language
from livepoll.web.pages_access import host_page, unavailable
from livepoll.web.pages_base import Page, environment
from livepoll.web.pages_create import kind_names
from livepoll.web.pages_host import join_display
from livepoll.web.state import credentials_of, polls_of

STYLESHEET = "documents.css"
POSTER_LANGUAGES = ("pl", "uk", "en")


@dataclass(frozen=True, slots=True)
class Gathered:
    """What every document of a session is made of, read once per request, in the document's language."""

    session: Session
    lang: str
    tables: list[QuestionTable]
    responses: list[Ballot]
    qa: list[QaQuestion] | None  # None: the session has no Q&A
    last_active: float | None

    @property
    def participants(self) -> int:
        """Participants who answered at least one question."""
        return len({r.voter for r in self.responses})


def document_language(request: Request, session: Session) -> str:
    return i18n.supported(request.query_params.get("lang")) or session.default_language


def document_page(request: Request, lang: str) -> Page:
    """A page whose texts are in `lang` (the document's, not the browser's), which sets no language cookie."""
    page = Page(request)
    page.lang, page.translations, page.remember = lang, i18n.translations(lang), False
    return page


async def gather(request: Request, session: Session, *, responses: bool = True) -> Gathered:
    lang = document_language(request, session)
    session = in_export_language(request, session)
    polls = polls_of(request)
    views = exports.result_views(await polls.question_data(session), session.state)
    rows = await polls.backend.responses(session.code) if responses else []
    qa = list((await polls.qa.view(session)).questions) if session.qa.enabled else None
    activity = (await polls.backend.session_activity([session])).get(session.code)
    _ = i18n.translations(lang).gettext
    tables = question_tables(views, dict(kind_names(_)), _)
    return Gathered(session, lang, tables, rows, qa, None if activity is None else activity.last_active)


@cache
def stylesheet() -> str:
    return (static_dir() / STYLESHEET).read_text(encoding="utf-8")


def html(page: Page, template: str, context: dict[str, Any]) -> str:
    """A document's HTML as `Page.render` makes it, for the PDF renderer (stylesheet given to it apart)."""
    values: dict[str, Any] = {"lang": page.lang, "languages": page.language_links(), "page": page,
                              "config": None, **context, "inline": True}
    return environment().get_template(template).render(values)


def report_context(page: Page, found: Gathered) -> dict[str, Any]:
    _ = page.gettext
    session = found.session
    charts = [None if isinstance(t.chart, Entries) else Markup(chart_svg(t.chart, t.question.text, _("No answers yet")))
              for t in found.tables]  # open text: the report lists its entries instead
    return {
        "session": session,
        "code_display": group_join_code(session.code),
        "created": page.datetime(session.created_at),
        "last_active": None if found.last_active is None else page.datetime(found.last_active),
        "participants": found.participants,
        "items": list(zip(found.tables, charts, strict=True)),
        "qa": None if found.qa is None else visible_questions(found.qa),
        "qa_total": None if found.qa is None else len(found.qa),
        "inline": False,
    }


def poster_context(request: Request, session: Session) -> dict[str, Any]:
    credentials = credentials_of(request)
    link = join_link(credentials.base_url(request), session.code, credentials.join_token(session.code))
    svg = qr_svg(link).decode()
    svg = svg[svg.index("<svg"):].replace('width="', 'width="100%" data-width="', 1).replace(
        'height="', 'height="100%" data-height="', 1)  # the poster's stylesheet sizes it
    code = group_join_code(session.code)
    address = join_display(request)
    instructions = []
    for lang in POSTER_LANGUAGES:
        _ = i18n.translations(lang).gettext
        instructions.append({
            "lang": lang,
            "scan": _("Scan the QR code with your phone's camera,"),
            "type": _("or go to %(address)s and enter the code %(code)s.") % {"address": address, "code": code},
        })
    return {"session": session, "code_display": code, "join_url": link, "address": address,
            "qr": Markup(svg), "instructions": instructions, "inline": False}


async def report_page(request: Request) -> Response:
    page = Page(request)
    found = await host_page(request, page, "/host/{code}/report")
    if isinstance(found, Response):
        return found
    try:
        gathered = await gather(request, found)
    except BackendUnavailable:
        return unavailable(page)
    page = document_page(request, gathered.lang)
    context = await asyncio.to_thread(report_context, page, gathered)
    return page.render("report.html", context)


async def poster_page(request: Request) -> Response:
    page = Page(request)
    found = await host_page(request, page, "/host/{code}/poster")
    if isinstance(found, Response):
        return found
    lang = document_language(request, found)
    return document_page(request, lang).render("poster.html", poster_context(request, in_export_language(
        request, found)))


routes: list[BaseRoute] = [
    Route("/host/{code}/report", report_page, methods=["GET"]),
    Route("/host/{code}/poster", poster_page, methods=["GET"]),
]
