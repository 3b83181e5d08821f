"""The OpenAPI 3.1 document of /api/v1, served at GET /api/v1/openapi.json (prose and examples: docs/api.md).

Request bodies come from the pydantic models that validate them (web/schemas.py), so the document cannot
drift from what the server accepts; responses are written out by hand from what api.py returns. The
document is built once per process and served as the same bytes every time.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll import __version__
from livepoll.model import JOIN_CODE_DIGITS
from livepoll.web.schemas import ControlIn, SessionIn, VoteIn, VoteMessage

Schema = dict[str, Any]

REF = "#/components/schemas/{model}"
REQUEST_MODELS: tuple[type[BaseModel], ...] = (SessionIn, VoteIn, ControlIn, VoteMessage)


def ref(name: str) -> Schema:
    return {"$ref": REF.format(model=name)}


def _obj(properties: dict[str, Schema], description: str | None = None, **extra: Any) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        **extra,
    }
    if description:
        schema["description"] = description
    return schema


_STR: Schema = {"type": "string"}
_INT: Schema = {"type": "integer", "minimum": 0}
_BOOL: Schema = {"type": "boolean"}
_NULLABLE_STR: Schema = {"type": ["string", "null"]}
_RESETS: Schema = {
    "type": "integer",
    "minimum": 0,
    "description": "Resets by the host so far; when it changes, a ballot the phone remembers may be gone.",
}


def response_schemas() -> dict[str, Schema]:
    """What the routes in api.py (and the frames in sockets.py / live.py) send back."""
    option = _obj({"id": _STR, "label": _STR})
    option_votes = _obj({"id": _STR, "label": _STR, "votes": _INT})
    state_fields: dict[str, Schema] = {
        "current": {**_NULLABLE_STR, "description": "Id of the current question."},
        "voting_open": _BOOL,
        "results_visible": {**_BOOL, "description": "Results shown on the presenter screen."},
        "results_on_phones": {**_BOOL, "description": "Results shown on participants' phones too."},
    }
    question_fields: dict[str, Schema] = {
        "id": _STR,
        "kind": {"type": "string", "enum": ["choice"]},
        "text": _STR,
        "max_choices": {"type": "integer", "minimum": 1},
        "allow_change": _BOOL,
    }
    return {
        "Error": _obj(
            {
                "error": {**_STR, "description": "Machine-readable code; see docs/api.md for the list."},
                "message": {**_STR, "description": "Human-readable explanation."},
            },
            "Every error: nothing was changed by the request.",
        ),
        "Option": option,
        "Question": _obj({**question_fields, "options": {"type": "array", "items": ref("Option")}}),
        "Links": _obj(
            {
                name: {"type": "string", "format": "uri"}
                for name in ("join", "present", "host", "qr_svg", "export_csv", "responses_csv")
            },
            "Absolute links, based on LIVEPOLL_PUBLIC_URL when set. `present` and `host` carry the host key.",
        ),
        "SessionCreated": _obj(
            {
                "code": {"type": "string", "pattern": f"^[0-9]{{{JOIN_CODE_DIGITS}}}$"},
                "code_display": {**_STR, "description": "The code grouped for reading aloud: `7281 5366`."},
                "title": _STR,
                "host_key": {**_STR, "description": "Shown once; only its hash is stored."},
                "questions": {"type": "array", "items": ref("Question")},
                "links": ref("Links"),
            }
        ),
        "SessionSummary": _obj(
            {
                "code": _STR,
                "title": _STR,
                "created_at": {"type": "number", "description": "Unix time, seconds."},
                "questions": _INT,
            }
        ),
        "SessionList": _obj({"sessions": {"type": "array", "items": ref("SessionSummary")}}),
        "SessionPublic": _obj(
            {
                "code": _STR,
                "code_display": _STR,
                "title": _STR,
                "question": {"oneOf": [ref("Question"), {"type": "null"}]},
                "voting_open": _BOOL,
                "resets": _RESETS,
            }
        ),
        "Accepted": _obj({"accepted": {"const": True}}, "The ballot is durably stored (or was already)."),
        "LiveState": _obj(state_fields),
        "ControlResult": _obj({"code": _STR, **state_fields}, "The live state after the action."),
        "QuestionResults": _obj(
            {
                "id": _STR,
                "text": _STR,
                "voters": {**_INT, "description": "Participants with a counted ballot on this question."},
                "options": {"type": "array", "items": option_votes},
            }
        ),
        "Results": _obj(
            {
                "code": _STR,
                "title": _STR,
                "state": ref("LiveState"),
                "questions": {"type": "array", "items": ref("QuestionResults")},
            }
        ),
        "Health": _obj({"status": {"const": "ok"}}),
        "Readiness": _obj({"ready": _BOOL, "backend": {"type": "object"}}, "`backend` only with the admin token",
                          required=["ready"]),
        # WebSocket frames (OpenAPI has no WebSocket operations; listed for code generators and docs/api.md).
        "PresenterFrame": _obj(
            {
                "type": {"const": "results"},
                "seq": {**_INT, "description": "Only grows within an epoch."},
                "epoch": {**_STR, "description": "Changes when the backend lost and rebuilt the state."},
                "state_lost": _BOOL,
                "question": {
                    "oneOf": [
                        _obj({**question_fields, "options": {"type": "array", "items": option_votes}}),
                        {"type": "null"},
                    ]
                },
                "voters": _INT,
                "voting_open": _BOOL,
                "results_visible": _BOOL,
                "results_on_phones": _BOOL,
                "participants": {**_INT, "description": "Participants connected right now."},
            }
        ),
        "ParticipantFrame": _obj(
            {
                "type": {"const": "state"},
                "seq": _INT,
                "epoch": _STR,
                "state_lost": _BOOL,
                "question": {
                    "oneOf": [
                        _obj({**question_fields, "options": {"type": "array", "items": ref("Option")}}),
                        {"type": "null"},
                    ]
                },
                "voting_open": _BOOL,
                "resets": _RESETS,
                "results": {
                    "oneOf": [
                        _obj(
                            {
                                "voters": _INT,
                                "options": {"type": "array", "items": _obj({"id": _STR, "votes": _INT})},
                            }
                        ),
                        {"type": "null"},
                    ]
                },
            }
        ),
        "AckFrame": _obj({"type": {"const": "ack"}, "ref": _STR}),
        "ErrorFrame": _obj({"type": {"const": "error"}, "ref": _STR, "error": _STR, "message": _STR}),
    }


def request_schemas() -> dict[str, Schema]:
    """The pydantic models' JSON Schemas, their nested definitions lifted into components."""
    schemas: dict[str, Schema] = {}
    for model in REQUEST_MODELS:
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    _refine(schemas)
    return schemas


_NOT_BLANK = r"\S"


def _refine(schemas: dict[str, Schema]) -> None:
    """Rules the validators apply that pydantic's schema leaves out, written as JSON Schema 2020-12.

    Texts are stripped before their length is checked, so a blank one is refused: `pattern: \\S`. Options
    must differ, and `goto`/`reset` need a question. (`max_choices` up to the number of options cannot be
    said in JSON Schema; the server answers 422 `invalid_question`.)"""
    schemas["SessionIn"]["properties"]["title"]["pattern"] = _NOT_BLANK
    question = schemas["QuestionIn"]["properties"]
    question["text"]["pattern"] = _NOT_BLANK
    question["options"]["items"]["pattern"] = _NOT_BLANK
    question["options"]["uniqueItems"] = True
    question["options"]["description"] = "Distinct labels (compared after trimming spaces), one per option."
    question["max_choices"]["description"] = "1 = single choice (default); at most the number of options."
    schemas["ControlIn"]["allOf"] = [
        {
            "if": {"properties": {"action": {"enum": ["goto", "reset"]}}, "required": ["action"]},
            "then": {"required": ["question"], "properties": {"question": {"type": "string"}}},
        }
    ]


def _json(schema: Schema, example: object = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def _error(description: str, *codes: str) -> dict[str, Any]:
    listed = ", ".join(f"`{c}`" for c in codes)
    example = {"error": codes[0], "message": "…"} if codes else None
    return {"description": f"{description} (error: {listed})" if codes else description,
            "content": _json(ref("Error"), example)}


_UNAVAILABLE: dict[str, Any] = {
    **_error("The vote store did not confirm the vote in time (it may or may not be stored). Send the same "
        "ballot again after the header's delay: a repeated ballot is counted once.",
             "unavailable"),
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
}
_CODE_PARAM: Schema = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "The session's 8-digit join code.",
    "schema": {"type": "string", "pattern": f"^[0-9]{{{JOIN_CODE_DIGITS}}}$"},
}
_HOST: list[dict[str, list[str]]] = [{"hostKey": []}, {"hostKeyQuery": []}, {"adminToken": []}]
_HOST_ERRORS: dict[str, Any] = {
    "401": _error("No host key", "host_key_required"),
    "403": _error("Wrong host key, or a cookie-authenticated request from another site",
                  "wrong_host_key", "foreign_origin"),
    "404": _error("No session with this code", "not_found"),
}
_CSV_PARAMS: list[Schema] = [
    {
        "name": "delimiter",
        "in": "query",
        "required": False,
        "description": "`semicolon` for the dialect Polish Excel opens by double-click (`;`, decimal comma); "
        "anything else means commas.",
        "schema": {"type": "string", "examples": ["semicolon"]},
    }
]


def _csv(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }


def paths() -> dict[str, Any]:
    session = "/api/v1/sessions/{code}"
    return {
        "/api/v1/sessions": {
            "post": {
                "operationId": "createSession",
                "summary": "Create a session (admin)",
                "security": [{"adminToken": []}],
                "requestBody": {
                    "required": True,
                    "content": _json(
                        ref("SessionIn"),
                        {
                            "title": "Partnerstwo w zarządzaniu migracją",
                            "questions": [
                                {"kind": "choice", "text": "Z kim chcesz współpracować?",
                                 "options": ["miasto", "NGO", "biznes lokalny"], "max_choices": 3}
                            ],
                        },
                    ),
                },
                "responses": {
                    "201": {"description": "Created", "content": _json(ref("SessionCreated"))},
                    "401": _error("No valid admin token", "unauthorized"),
                    "403": _error("A browser request from another site", "foreign_origin"),
                    "413": _error("Body over 256 KiB", "too_large"),
                    "422": _error("Invalid body", "invalid_body", "invalid_question", "invalid_session"),
                    "503": _error("No free join code found or the store is down", "no_free_code", "unavailable"),
                },
            },
            "get": {
                "operationId": "listSessions",
                "summary": "List stored sessions, newest first (admin)",
                "security": [{"adminToken": []}],
                "responses": {
                    "200": {"description": "OK", "content": _json(ref("SessionList"))},
                    "401": _error("No valid admin token", "unauthorized"),
                },
            },
        },
        session: {
            "parameters": [_CODE_PARAM],
            "get": {
                "operationId": "getSession",
                "summary": "The session as a participant sees it; sets the participant cookie if missing",
                "security": [{}],
                "responses": {
                    "200": {
                        "description": "OK",
                        "headers": {"Set-Cookie": {"schema": {"type": "string"},
                                                   "description": "`lp_pid`, when the request had none."}},
                        "content": _json(ref("SessionPublic")),
                    },
                    "404": _error("No session with this code", "not_found"),
                    "429": _error("Too many unknown codes from this address", "too_many_attempts"),
                },
            },
            "delete": {
                "operationId": "deleteSession",
                "summary": "Delete the session and all its ballots; connected clients are closed with 4410",
                "security": _HOST,
                "responses": {"204": {"description": "Deleted"}, **_HOST_ERRORS},
            },
        },
        f"{session}/votes": {
            "parameters": [_CODE_PARAM],
            "post": {
                "operationId": "castVote",
                "summary": "Cast or change the participant's ballot on the current question",
                "description": "200 only after the ballot is durably stored. Re-sending an identical ballot "
                "is acknowledged again and changes nothing, so a client may retry safely.",
                "security": [{"participantCookie": []}],
                "requestBody": {"required": True, "content": _json(ref("VoteIn"),
                                                                   {"question": "q1", "choices": ["o1", "o3"]})},
                "responses": {
                    "200": {"description": "Counted", "content": _json(ref("Accepted"), {"accepted": True})},
                    "401": _error("No valid participant cookie (a fresh one is set on this response)",
                                  "participant_required"),
                    "404": _error("No session with this code", "not_found"),
                    "409": _error("Voting closed, not the current question, or changes not allowed",
                                  "voting_closed", "not_current", "change_not_allowed"),
                    "413": _error("Body over 256 KiB", "too_large"),
                    "422": _error("Invalid ballot", "invalid_body", "unknown_question", "unknown_option",
                                  "duplicate_option", "too_many_choices", "invalid_ballot"),
                    "503": _UNAVAILABLE,
                },
            },
        },
        f"{session}/control": {
            "parameters": [_CODE_PARAM],
            "post": {
                "operationId": "control",
                "summary": "Drive the session: goto, open, close, show/hide results, reset",
                "security": _HOST,
                "requestBody": {"required": True,
                                "content": _json(ref("ControlIn"), {"action": "goto", "question": "q2"})},
                "responses": {
                    "200": {"description": "The new state", "content": _json(ref("ControlResult"))},
                    **_HOST_ERRORS,
                    "404": _error("No session with this code, or no such question",
                                  "not_found", "unknown_question"),
                    "422": _error("Invalid body, or goto/reset without a question", "invalid_body",
                                  "invalid_control"),
                    "503": _UNAVAILABLE,
                },
            },
        },
        f"{session}/results": {
            "parameters": [_CODE_PARAM],
            "get": {
                "operationId": "results",
                "summary": "Tallies of every question and the live state",
                "security": _HOST,
                "responses": {"200": {"description": "OK", "content": _json(ref("Results"))}, **_HOST_ERRORS},
            },
        },
        f"{session}/export.csv": {
            "parameters": [_CODE_PARAM, *_CSV_PARAMS],
            "get": {
                "operationId": "exportResults",
                "summary": "Results as CSV: question_id,question,option_id,option,votes,voters,percent",
                "description": "UTF-8 with BOM, CRLF rows; one row per (question, option).",
                "security": _HOST,
                "responses": {"200": _csv("CSV"), **_HOST_ERRORS},
            },
        },
        f"{session}/responses.csv": {
            "parameters": [_CODE_PARAM, *_CSV_PARAMS],
            "get": {
                "operationId": "exportResponses",
                "summary": "Every counted ballot as CSV: question_id,question,participant,option_id,option,"
                "answered_at",
                "description": "One row per chosen option; `participant` is a pseudonym stable within the "
                "session; `answered_at` is UTC ISO 8601.",
                "security": _HOST,
                "responses": {"200": _csv("CSV"), **_HOST_ERRORS},
            },
        },
        f"{session}/qr.svg": {
            "parameters": [_CODE_PARAM],
            "get": {
                "operationId": "qrCode",
                "summary": "QR code of the join link",
                "security": [{}],
                "responses": {
                    "200": {"description": "SVG", "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                    "404": _error("No session with this code", "not_found"),
                },
            },
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [{}],
                "responses": {"200": {"description": "OpenAPI 3.1", "content": _json({"type": "object"})}},
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "The process is alive (load balancers' liveness check)",
                "security": [{}],
                "responses": {"200": {"description": "Alive", "content": _json(ref("Health"))}},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "The backend is reachable and its change listener alive (readiness check)",
                "security": [{}],
                "responses": {
                    "200": {"description": "Ready", "content": _json(ref("Readiness"))},
                    "503": {"description": "Not ready", "content": _json(ref("Readiness"))},
                },
            }
        },
    }


SECURITY_SCHEMES: dict[str, Schema] = {
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "LIVEPOLL_ADMIN_TOKEN (or the token generated on first start).",
    },
    "hostKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "The session's host key, returned once by createSession. The admin token works too. "
        "Browsers may send it as the `lp_host_{code}` cookie instead (same-origin requests only).",
    },
    "hostKeyQuery": {"type": "apiKey", "in": "query", "name": "key", "description": "The host key as `?key=`."},
    "participantCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "lp_pid",
        "description": "Signed anonymous participant id, set by getSession (or the participant WebSocket).",
    },
}


@functools.cache
def _document() -> dict[str, Any]:
    """The whole OpenAPI document, built once per process (shared: do not change it)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "livepoll",
            "version": __version__,
            "summary": "Live audience polling: join by code or QR, vote from phones, live charts.",
            "description": "Errors are an HTTP status plus `{\"error\": code, \"message\": text}`; nothing "
            "changes on error. WebSockets (`/ws/v1/sessions/{code}` and `.../presenter`) are described in "
            "docs/api.md; their frames are the `*Frame` schemas below.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "paths": paths(),
        "components": {
            "schemas": {**request_schemas(), **response_schemas()},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


@functools.cache
def document_bytes() -> bytes:
    return json.dumps(_document(), ensure_ascii=False, separators=(",", ":")).encode()


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as a dict of one's own (a copy of the cached one)."""
    return copy.deepcopy(_document())


async def openapi_json(request: Request) -> Response:
    return Response(
        document_bytes(),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )


routes: list[BaseRoute] = [Route("/api/v1/openapi.json", openapi_json, methods=["GET"])]
