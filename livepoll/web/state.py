"""What the lifespan puts on `app.state`, typed for the route modules, and what every door reads from a
request the same way."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from livepoll import i18n
from livepoll.model import Session
from livepoll.polls import Polls
from livepoll.web.auth import Credentials


def polls_of(conn: HTTPConnection) -> Polls:
    polls: Polls = conn.app.state.polls
    return polls


def credentials_of(conn: HTTPConnection) -> Credentials:
    credentials: Credentials = conn.app.state.credentials
    return credentials


def reader_language(conn: HTTPConnection, session: Session) -> str:
    """The language a participant reads the session's texts in: `?lang`, the language cookie, then
    Accept-Language, else the session's default language."""
    preferred = i18n.preferred(
        conn.query_params.get("lang"), conn.cookies.get(i18n.LANGUAGE_COOKIE), conn.headers.get("accept-language")
    )
    return i18n.content_language(preferred, session.default_language)
