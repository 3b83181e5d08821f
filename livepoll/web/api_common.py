"""What every /api/v1 route module uses: request bodies checked against their models, the session a
request may see (public, or as its host), and the links and answer of a newly created session."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from livepoll.model import PollError, Session, group_join_code
from livepoll.polls import CreatedSession
from livepoll.qr import join_link, qr_path
from livepoll.shapes import public_question
from livepoll.web import doors
from livepoll.web.responses import Links, QaState, SessionCreated, json_response
from livepoll.web.schemas import field_path
from livepoll.web.state import credentials_of

Body = TypeVar("Body", bound=BaseModel)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def parse_body(
    request: Request, model: type[Body] | TypeAdapter[Body],
    refusal: Callable[[ValidationError], PollError | None] | None = None,
) -> Body:
    """The body as `model` (a model, or an adapter of a union of them); its size is bounded before it is
    read (web/bodies.py). `refusal` may name a more precise error than `invalid_body`."""
    body = await request.body()
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_json(body)
        return model.model_validate_json(body)
    except ValidationError as exc:
        precise = refusal(exc) if refusal is not None else None
        if precise is not None:
            raise precise from None
        first = exc.errors()[0]
        where = field_path(first["loc"]) or "body"
        raise PollError("invalid_body", f"{where}: {first['msg']}", 422) from None


async def require_admin(request: Request) -> None:
    """The admin token as `Authorization: Bearer` (throttled per address), or the admin login cookie."""
    credentials = credentials_of(request)
    bearer = credentials.bearer(request)
    if request.method in UNSAFE_METHODS:
        doors.guard_change(request, cookie=bearer is None)
    if bearer is None and credentials.has_admin_cookie(request):
        return
    if not await doors.admin_token_ok(request, bearer):
        raise PollError("unauthorized", "This needs the admin token (Authorization: Bearer <token>).", 401)


async def host_session(request: Request) -> Session:
    """The session named in the path, if the request carries its host key (or an admin login); the rules
    are in `doors.host_session`. A state change that only a cookie authenticates must come from this
    server's own pages, as JSON (`doors.guard_change`), so another site cannot drive a host's session."""
    credentials = credentials_of(request)
    code = request.path_params["code"]
    bearer = credentials.bearer(request)
    by_cookie = bearer is None and not request.query_params.get("key")
    key = credentials.host_key(request, code)
    if by_cookie and key is None and not credentials.has_admin_cookie(request):
        raise PollError("host_key_required", "This needs the session's host key.", 401)  # no credential at all
    if request.method in UNSAFE_METHODS:
        doors.guard_change(request, cookie=by_cookie)
    admin = (by_cookie and credentials.has_admin_cookie(request)) or await doors.admin_bearer(request, bearer)
    return await doors.host_session(request, code, key, admin=admin)


def links(request: Request, session: Session, host_key: str) -> Links:
    credentials = credentials_of(request)
    base = credentials.base_url(request)
    code = session.code
    token = credentials.join_token(code)
    return Links(
        join=join_link(base, code, token),
        present=f"{base}/present/{code}?key={host_key}",
        host=f"{base}/host/{code}?key={host_key}",
        qr_svg=f"{base}{qr_path(code, token)}",
        export_csv=f"{base}/api/v1/sessions/{code}/export.csv",
        responses_csv=f"{base}/api/v1/sessions/{code}/responses.csv",
    )


async def public_session(request: Request) -> Session:
    """The session named in the path, for anyone, behind the public door (`doors.public`)."""
    return await doors.public_session(request, request.path_params["code"])


def created_response(request: Request, created: CreatedSession) -> Response:
    session = created.session
    answer = SessionCreated(
        code=session.code,
        code_display=group_join_code(session.code),
        title=session.title,
        host_key=created.host_key,
        questions=[public_question(q, host=True) for q in session.questions],
        links=links(request, session, created.host_key),
        qa=QaState.of(session),
        default_language=session.default_language,  # type: ignore[arg-type]
        present_languages=list(session.presented),  # type: ignore[arg-type]
        mode=session.mode.value,
    )
    return json_response(answer, 201)
