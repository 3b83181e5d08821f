"""What the lifespan puts on `app.state`, typed for the route modules."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from livepoll.polls import Polls
from livepoll.web.auth import Credentials


def polls_of(conn: HTTPConnection) -> Polls:
    polls: Polls = conn.app.state.polls
    return polls


def credentials_of(conn: HTTPConnection) -> Credentials:
    credentials: Credentials = conn.app.state.credentials
    return credentials
