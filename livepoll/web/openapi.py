"""The OpenAPI 3.1 document of /api/v1, served at GET /api/v1/openapi.json (prose and examples: docs/api.md).

Generated, so it cannot drift: request bodies from the pydantic models that validate them (web/schemas.py),
answers from the models that serialise them (web/responses.py, frames.py), and paths from the table of
routes below: (method, path, summary, who may call it, {status: answer}, request model). An error status
lists the error codes the route can answer with it (also as `x-error-codes`, for clients and tests). The
document is built once per process and served as the same bytes every time; tests/test_openapi.py fuzzes a
real server against it (schemathesis).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from pydantic_core import CoreSchema
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from livepoll import __version__
from livepoll.web.openapi_routes import (
    ADMIN as ADMIN,
    HOST as HOST,
    OPERATIONS as OPERATIONS,
    PATH_PARAMETERS,
    REF,
    REQUEST_MODELS,
    RESPONSE_MODELS,
    SECURITY_SCHEMES,
    Answer,
    Media,
    Operation,
    Refusal,
    Schema,
)
from livepoll.web.responses import (
    Error,
)

# Schemas -----------------------------------------------------------------------------------------------------


class _Schemas(GenerateJsonSchema):
    """Pydantic's JSON Schema without a title on every field (the field's name says it)."""

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False


def component_schemas() -> dict[str, Schema]:
    """Every model's JSON Schema under its class name: requests as validated, answers and frames as sent."""
    models = [(m, "validation") for m in REQUEST_MODELS] + [(m, "serialization") for m in RESPONSE_MODELS]
    _, top = models_json_schema(models, ref_template=REF, schema_generator=_Schemas)  # type: ignore[arg-type]
    schemas: dict[str, Schema] = top["$defs"]
    _refine(schemas)
    return schemas


_NOT_BLANK = r"\S"


def _refine(schemas: dict[str, Schema]) -> None:
    """Rules the validators apply that pydantic's schema leaves out, written as JSON Schema 2020-12.

    Texts are cleaned and stripped before their length is checked, so a blank one is refused: `pattern: \\S`.
    Options and statements must differ, and `goto`/`reset` need a question. (`max_choices` up to the number
    of options, and a quiz's `correct` indexes within its options, cannot be said in JSON Schema; the server
    answers 422 `invalid_question`.)"""
    schemas["SessionIn"]["properties"]["title"]["pattern"] = _NOT_BLANK
    for name in ("ChoiceIn", "QuizIn", "WordCloudIn", "OpenIn", "ScaleIn", "RankingIn"):
        question = schemas[name]["properties"]
        question["text"]["pattern"] = _NOT_BLANK
        for listed in ("options", "statements"):
            if listed in question:
                question[listed]["items"]["pattern"] = _NOT_BLANK
                question[listed]["uniqueItems"] = True
                question[listed]["description"] = (
                    f"Distinct labels (compared after trimming spaces), one per {listed[:-1]}."
                )
    schemas["ChoiceIn"]["properties"]["max_choices"]["description"] = (
        "1 = single choice (default); at most the number of options (with `other`, one more)."
    )
    schemas["ControlIn"]["allOf"] = [
        {
            "if": {"properties": {"action": {"enum": ["goto", "reset"]}}, "required": ["action"]},
            "then": {"required": ["question"], "properties": {"question": {"type": "string"}}},
        }
    ]


# Paths -------------------------------------------------------------------------------------------------------


def ref(model: type[BaseModel]) -> Schema:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: Schema, example: object = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def _headers(described: Mapping[str, str]) -> dict[str, Any]:
    return {name: {"description": why, "schema": {"type": "string"}} for name, why in described.items()}


def _answer(status: int, answer: Answer, headers: Mapping[str, str]) -> dict[str, Any]:
    described: dict[str, Any]
    if answer is None:
        described = {"description": "No content"}
    elif isinstance(answer, Refusal):
        codes = ", ".join(f"`{c}`" for c in answer.codes)
        example = {"error": answer.codes[0], "message": "…"}
        described = {
            "description": f"{answer.why} (error: {codes})",
            "content": _json(ref(Error), example),
            "x-error-codes": list(answer.codes),
        }
        headers = {**answer.headers, **headers}
    elif isinstance(answer, Media):
        described = {"description": answer.why, "content": {answer.media_type: {"schema": answer.schema}}}
        headers = {**answer.headers, **headers}
    else:
        doc = (answer.__doc__ or "").strip()
        described = {"description": doc or "OK", "content": _json(ref(answer))}
    if headers:
        described["headers"] = _headers(headers)
    return described


def _operation(op: Operation) -> dict[str, Any]:
    described: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "security": [{name: []} for name in op.security] or [{}],
    }
    if op.description:
        described["description"] = op.description
    if op.query:
        described["parameters"] = list(op.query)
    if op.body is not None:
        described["requestBody"] = {"required": True, "content": _json(ref(op.body), op.example)}
    described["responses"] = {
        str(status): _answer(status, answer, op.answer_headers.get(status, {}))
        for status, answer in sorted(op.answers.items())
    }
    return described


def paths() -> dict[str, Any]:
    described: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        parameters = [p for name, p in PATH_PARAMETERS.items() if f"{{{name}}}" in op.path]
        path = described.setdefault(op.path, {"parameters": parameters} if parameters else {})
        path[op.method.lower()] = _operation(op)
    return described


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
            "changes on error. Answers may gain fields in later versions: ignore the ones you do not know. "
            "WebSockets (`/ws/v1/sessions/{code}` and `.../presenter`) are described in docs/api.md; their "
            "frames are the `*Frame` schemas below and the participant's message is `VoteMessage`.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "paths": paths(),
        "components": {"schemas": component_schemas(), "securitySchemes": SECURITY_SCHEMES},
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
