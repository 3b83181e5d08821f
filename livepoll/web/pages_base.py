"""What every HTML page shares: the Jinja2 environment, the page language, static URLs and the CSRF check.

CSRF: every form posts to this server with cookies that are `SameSite=Lax` (a cross-site POST does not carry
them), and every POST handler also checks that the browser says the form came from this server's own pages:
`Origin` when the browser sends it (all current browsers do on POST), else the origin of `Referer`. A POST
with neither header is not from a browser, so there is no ambient cookie to abuse, and it is allowed.
`Origin: null` (sandboxed frames, privacy modes) is refused. Pages send `Referrer-Policy: same-origin`,
(set by the app), under which browsers keep sending the real `Origin` on same-origin POSTs.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import jinja2
import jinja2.runtime
from babel.dates import format_datetime
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from livepoll import i18n
from livepoll.model import group_join_code, normalize_join_code
from livepoll.resources import static_dir, templates_dir
from livepoll.web.state import credentials_of

PAGE_HEADERS: Mapping[str, str] = {
    # Pages show live state and per-person views; an intermediary must not reuse them.
    "Cache-Control": "no-store",
    "Vary": "Accept-Language, Cookie",
}


@jinja2.pass_context
def _template_gettext(context: jinja2.runtime.Context, message: str, **variables: Any) -> str:
    page: Page = context["page"]
    text = page.gettext(message)
    if context.eval_ctx.autoescape:
        return Markup(text) % variables
    return text % variables


@jinja2.pass_context
def _template_ngettext(
    context: jinja2.runtime.Context, singular: str, plural: str, num: int, **variables: Any
) -> str:
    page: Page = context["page"]
    variables.setdefault("num", num)
    text = page.ngettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        return Markup(text) % variables
    return text % variables


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # New-style gettext (Jinja's `install_gettext_callables(..., newstyle=True)` semantics): the functions
    # format `%(name)s` placeholders themselves and escape the values. They read the language from the
    # render's `page`, so one environment serves concurrent requests in different languages.
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    env.globals["gettext"] = _template_gettext
    env.globals["ngettext"] = _template_ngettext
    env.globals["static_url"] = static_url
    env.globals["group_code"] = group_join_code
    return env


@functools.cache
def _static_version(name: str) -> str:
    path = static_dir() / name
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    """A cache-busting URL for a file in static/: a new release changes the `v` of changed files only."""
    return f"/static/{name}?v={_static_version(name)}"




class Page:
    """The language of one request and the gettext functions bound to it."""

    def __init__(self, request: Request) -> None:
        self.request = request
        query = request.query_params.get("lang")
        self.lang = i18n.negotiate(
            query, request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
        )
        chosen = i18n.supported(query)
        self.remember = chosen is not None and chosen != request.cookies.get(i18n.LANGUAGE_COOKIE)
        self.translations = i18n.translations(self.lang)

    def gettext(self, message: str) -> str:
        text: str = self.translations.gettext(message)
        return text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        text: str = self.translations.ngettext(singular, plural, n)
        return text

    def plural_forms(self, singular: str, plural: str) -> dict[str, str]:
        """One text per CLDR plural category, for `Intl.PluralRules` in the browser. Integer counts fall in
        one/few/many (Polish, Ukrainian) or one/other (English); the sample numbers select those forms."""
        samples = {"one": 1, "few": 2, "many": 5, "other": 5 if self.lang != "en" else 2}
        return {category: self.ngettext(singular, plural, n) for category, n in samples.items()}

    def datetime(self, timestamp: float) -> str:
        moment = datetime.fromtimestamp(timestamp, UTC)
        text: str = format_datetime(moment, "medium", tzinfo=UTC, locale=self.lang)
        return f"{text} UTC"

    def language_links(self) -> list[dict[str, str | bool]]:
        path = self.request.url.path
        return [
            {"code": code, "name": name, "href": f"{path}?lang={code}", "current": code == self.lang}
            for code, name in i18n.LANGUAGES.items()
        ]

    def finish(self, response: Response) -> Response:
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["Content-Language"] = self.lang
        if self.remember:
            response.set_cookie(
                i18n.LANGUAGE_COOKIE, self.lang, max_age=i18n.LANGUAGE_MAX_AGE, httponly=True,
                samesite="lax", secure=credentials_of(self.request).secure(self.request), path="/",
            )
        return response

    def render(self, template: str, context: Mapping[str, Any] | None = None, status: int = 200) -> Response:
        values: dict[str, Any] = {
            "lang": self.lang,
            "languages": self.language_links(),
            "page": self,
            "config": None,
        }
        values.update(context or {})
        html = environment().get_template(template).render(values)
        return self.finish(HTMLResponse(html, status_code=status))

    def redirect(self, url: str, status: int = 303) -> Response:
        return self.finish(RedirectResponse(url, status_code=status))

    def error(self, status: int, title: str, message: str, *, join_form: bool = False) -> Response:
        return self.render(
            "error.html", {"title": title, "message": message, "status": status, "join_form": join_form},
            status,
        )


def same_origin_form(request: Request) -> bool:
    """Did this POST come from one of our own pages? (See the module docstring for the rules.)"""
    credentials = credentials_of(request)
    verdict = credentials.same_origin(request)
    if verdict is not None:
        return verdict
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
        return origin == credentials.own_origin(request) or credentials.origin_allowed(origin)
    return True


def participant_form(request: Request) -> tuple[Page, str] | Response:
    """The start of every no-JavaScript form a participant posts to `/{code}/...`: the page (in the reader's
    language) and the join code, or the answer already due: 404 for a malformed code, 403 for a foreign form."""
    page = Page(request)
    code = normalize_join_code(request.path_params["code"])
    if code is None:
        _ = page.gettext
        return page.error(404, _("Page not found"), _("There is no page at this address."), join_form=True)
    if not same_origin_form(request):
        return forbidden_form(page)
    return page, code


def forbidden_form(page: Page) -> Response:
    _ = page.gettext
    return page.error(
        403,
        _("This form was sent from another site"),
        _("For your safety, forms are accepted only from this site's own pages. Go back, reload the page "
          "and send it again."),
    )


Translate = Callable[[str], str]
