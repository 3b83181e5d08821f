"""The table the OpenAPI document (web/openapi.py) is generated from: every /api/v1 route with its summary, who
may call it, its answers by status (a model, a refusal with its error codes, or another media type) and its
request model; the security schemes and path parameters they use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from livepoll.frames import FRAMES
from livepoll.model import JOIN_CODE_DIGITS
from livepoll.web.responses import (
    Accepted,
    ControlResult,
    Error,
    Health,
    HostSession,
    Leaderboard,
    Nickname,
    PublicQuestionAnswer,
    QaAsked,
    QaList,
    Readiness,
    Results,
    SessionCreated,
    SessionList,
    SessionPublic,
    Upvotes,
)
from livepoll.web.schemas import (
    ControlIn,
    NicknameIn,
    OrderIn,
    QaAskIn,
    QaControlIn,
    QuestionAddBody,
    QuestionPatchIn,
    SessionIn,
    SessionPatchIn,
    VoteIn,
    VoteMessage,
)

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"


# The vocabulary of the route table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """An error status: why, and the `error` codes a client can get with it."""

    why: str
    codes: tuple[str, ...]
    headers: Mapping[str, str] = field(default_factory=dict)


def refusal(why: str, *codes: str, headers: Mapping[str, str] | None = None) -> Refusal:
    return Refusal(why, codes, headers or {})


@dataclass(frozen=True)
class Media:
    """A successful answer that is not JSON (CSV, SVG)."""

    media_type: str
    why: str
    headers: Mapping[str, str] = field(default_factory=dict)
    schema: Schema = field(default_factory=lambda: {"type": "string"})


NO_CONTENT = None
Answer = type[BaseModel] | Refusal | Media | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    security: tuple[str, ...]  # security scheme names, any one suffices; () = public
    answers: Mapping[int, Answer]
    body: type[BaseModel] | None = None
    example: object = None
    description: str = ""
    query: tuple[Schema, ...] = ()
    answer_headers: Mapping[int, Mapping[str, str]] = field(default_factory=dict)


ADMIN = ("adminToken",)
HOST = ("hostKey", "hostKeyQuery", "adminToken")
PARTICIPANT = ("participantCookie",)
PUBLIC: tuple[str, ...] = ()

RETRY_AFTER = {"Retry-After": "Seconds to wait before sending the same request again."}
UNAVAILABLE = refusal("The store did not answer in time; nothing was changed. Send the same request again "
                      "after `Retry-After` seconds (a repeated ballot is counted once)", "unavailable",
                      headers=RETRY_AFTER)
NO_SESSION = refusal("No session with this code", "not_found")
GUESSING = refusal("Too many unknown join codes from this address; wait a minute", "too_many_attempts")
TOO_LARGE = refusal(
    "Request body over the route's limit (LIVEPOLL_MAX_BODY_BYTES, 64 KiB; session creation "
    "LIVEPOLL_MAX_LARGE_BODY_BYTES, 4 MiB)", "too_large"
)
NOT_ADMIN = refusal("No valid admin token", "unauthorized")
TOO_SLOW = refusal("The request body paused too long, or took too long in all", "request_timeout")
NOT_JSON = refusal("A cookie-authenticated change whose body is not application/json", "unsupported_media_type")
HOST_ERRORS: Mapping[int, Answer] = {
    401: refusal("No host key (whether the session exists or not)", "host_key_required"),
    403: refusal("A key that opens no session with this code, or a cookie-authenticated change from another "
                 "site", "wrong_host_key", "foreign_origin"),
    404: refusal("No session with this code (an administrator only; others get 403)", "not_found"),
    429: refusal("This address spent its budget of wrong codes or keys; see Retry-After", "too_many_attempts"),
    503: UNAVAILABLE,
}
BALLOT_REFUSALS = ("invalid_body", "unknown_question", "unknown_option", "duplicate_option", "too_many_choices",
                   "invalid_ballot", "other_text_required", "other_text_too_long", "unexpected_field",
                   "too_many_entries", "empty_entry", "entry_too_long", "unknown_statement", "invalid_rating",
                   "invalid_order")
PARTICIPANT_CHANGE = {
    403: refusal("A change from another site's page (Origin or Sec-Fetch-Site)", "foreign_origin"),
    415: NOT_JSON,
    429: GUESSING,
}
DELIMITER: Schema = {
    "name": "delimiter",
    "in": "query",
    "required": False,
    "description": "`semicolon` for the dialect Polish Excel opens by double-click (`;`, decimal comma); "
    "anything else means commas.",
    "schema": {"type": "string", "examples": ["semicolon"]},
}
LANG: Schema = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "pl, uk or en: the language of the friendly names of participants without a nickname.",
    "schema": {"type": "string", "enum": ["pl", "uk", "en"]},
}
SORT: Schema = {
    "name": "sort",
    "in": "query",
    "required": False,
    "description": "`recent`: newest first (otherwise pinned first, then by upvotes, then newest).",
    "schema": {"type": "string", "enum": ["popular", "recent"]},
}
CSV_HEADERS = {"Content-Disposition": "`attachment; filename=\"livepoll-<code>-<title>-<name>.csv\"`"}
EXPORT_LANG: Schema = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "pl, uk or en: the texts in this language where the session has them; anything else (or "
    "nothing) means the session's default language, as for the pages' `?lang=`.",
    "schema": {"type": "string", "examples": ["uk"]},
}
EDIT_ERRORS: Mapping[int, Answer] = {
    408: TOO_SLOW,
    413: TOO_LARGE,
    415: NOT_JSON,
}
SESSION = "/api/v1/sessions/{code}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY: Schema = {"type": "string", "format": "binary"}
DOCUMENT_HEADERS = {"Content-Disposition": "`attachment; filename=\"livepoll-<code>-<title>-<name>.<ext>\"`"}
IMAGE_HEADERS = {"Content-Disposition": "`inline; filename=\"livepoll-<code>-<title>-<question>-chart.<ext>\"`"}
PDF_UNAVAILABLE = refusal("The optional PDF renderer (WeasyPrint and the system's Pango, extra `pdf`) is not "
                          "installed, or the store did not answer in time", "pdf_unavailable", "unavailable",
                          headers=RETRY_AFTER)
NO_QUESTION = refusal("No such session (administrators; others get 403), or no such question", "not_found",
                      "unknown_question")


# The routes (api.py, openapi.py and app.py's probes) -----------------------------------------------------------

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST", "/api/v1/sessions", "createSession", "Create a session (admin)", ADMIN,
        {
            201: SessionCreated,
            401: NOT_ADMIN,
            403: refusal("A cookie-authenticated request from another site", "foreign_origin"),
            408: TOO_SLOW,
            413: TOO_LARGE,
            415: NOT_JSON,
            422: refusal("The body breaks a rule (the message names it)", "invalid_body", "invalid_question",
                         "invalid_session"),
            503: refusal("No free join code found (retry), or the store is down", "no_free_code", "unavailable"),
        },
        body=SessionIn,
        example={
            "title": "Partnerstwo w zarządzaniu migracją",
            "questions": [{"kind": "choice", "text": "Z kim chcesz współpracować?",
                           "options": ["miasto", "NGO", "biznes lokalny"], "max_choices": 3}],
        },
    ),
    Operation(
        "GET", "/api/v1/sessions", "listSessions", "List stored sessions, newest first (admin)", ADMIN,
        {200: SessionList, 401: NOT_ADMIN, 503: UNAVAILABLE},
    ),
    Operation(
        "GET", SESSION, "getSession",
        "The session as a participant sees it; sets the participant cookie if missing", PUBLIC,
        {200: SessionPublic, 404: NO_SESSION, 429: GUESSING, 503: UNAVAILABLE},
        answer_headers={200: {"Set-Cookie": "`lp_pid`, when the request had no valid one."}},
    ),
    Operation(
        "DELETE", SESSION, "deleteSession",
        "Delete the session and all its ballots; connected clients are closed with 4410", HOST,
        {204: NO_CONTENT, **HOST_ERRORS},
    ),
    Operation(
        "PATCH", SESSION, "editSession", "Change the session's title, languages, mode or Q&A settings", HOST,
        {200: HostSession, **HOST_ERRORS, **EDIT_ERRORS,
         422: refusal("A title, language or mode the rules refuse", "invalid_body")},
        body=SessionPatchIn,
        example={"title": {"pl": "Migracja w mieście", "uk": "Міграція в місті"}, "present_languages": ["pl", "uk"]},
        description="Each field is optional; what is left out stays. The change reaches phones and screens "
        "live, like a host control.",
    ),
    Operation(
        "POST", f"{SESSION}/questions", "addQuestion", "Add a question of any kind", HOST,
        {201: PublicQuestionAnswer, **HOST_ERRORS, **EDIT_ERRORS,
         409: refusal("The session has the most questions it may have", "too_many_questions"),
         422: refusal("The question breaks a rule, or the position is outside the session",
                      "invalid_body", "invalid_question", "invalid_position")},
        body=QuestionAddBody,
        example={"kind": "scale", "text": "Oceń webinarium", "statements": ["Treść", "Prowadzenie"],
                 "position": 0},
        description="The body is one `questions[]` item of createSession, with an optional `position` "
        "(0-based; default last). The answer is the question with its ids.",
    ),
    Operation(
        "PATCH", f"{SESSION}/questions/{{question_id}}", "editQuestion", "Change a question", HOST,
        {200: PublicQuestionAnswer, **HOST_ERRORS, **EDIT_ERRORS,
         404: refusal("No such session (administrators; others get 403), or no such question", "not_found",
                      "unknown_question"),
         409: refusal("The question has ballots, and the change would change their meaning (options removed or "
                      "reordered, another kind) or a stored ballot would not fit it (fewer choices than made)",
                      "has_ballots"),
         422: refusal("What the question would become breaks a rule", "invalid_body", "invalid_question")},
        body=QuestionPatchIn,
        example={"text": "Z kim chcesz współpracować?", "options": ["miasto", "NGO", "biznes lokalny", "media"]},
        description="The fields of creation, each optional. `options` is the whole list in order: the "
        "existing options first (labels may be corrected; ids follow positions), new ones after them.",
    ),
    Operation(
        "DELETE", f"{SESSION}/questions/{{question_id}}", "deleteQuestion",
        "Delete a question with its ballots; the session moves from it to the next", HOST,
        {204: NO_CONTENT, **HOST_ERRORS,
         404: refusal("No such session (administrators; others get 403), or no such question", "not_found",
                      "unknown_question")},
    ),
    Operation(
        "PUT", f"{SESSION}/questions/order", "reorderQuestions", "Put the questions in a new order", HOST,
        {200: HostSession, **HOST_ERRORS, **EDIT_ERRORS,
         422: refusal("Not every question id once", "invalid_body", "invalid_order")},
        body=OrderIn,
        example={"order": ["q2", "q1", "q3"]},
    ),
    Operation(
        "POST", f"{SESSION}/duplicate", "duplicateSession",
        "A new session with the same questions and settings: new code and host key, title + \" (copy)\", no "
        "ballots, no Q&A", HOST,
        {201: SessionCreated, **HOST_ERRORS, 415: NOT_JSON,
         503: refusal("No free join code found (retry), or the store is down", "no_free_code", "unavailable")},
        description="A cookie-authenticated change (the host panel): POST it as JSON (`{}`).",
    ),
    Operation(
        "GET", f"{SESSION}/definition.json", "sessionDefinition",
        "The creation request of the session as it is now (posting it creates an equal session)", HOST,
        {200: Media("application/json", "A createSession body: texts given in several languages stay maps.",
                    {"Content-Disposition": "`attachment; filename=\"livepoll-<code>-<title>-definition.json\"`"},
                    schema={"$ref": REF.format(model="SessionIn")}),
         **HOST_ERRORS},
    ),
    Operation(
        "POST", f"{SESSION}/votes", "castVote", "Cast or change the participant's ballot on the current question",
        PARTICIPANT,
        {
            200: Accepted,
            401: refusal("No valid participant cookie (this answer sets a fresh one)", "participant_required"),
            **PARTICIPANT_CHANGE,
            404: NO_SESSION,
            408: TOO_SLOW,
            409: refusal("The live state refuses the ballot (a timer that ran out closes voting), or the "
                         "participant sent all the entries allowed", "voting_closed", "not_current",
                         "change_not_allowed", "limit_reached"),
            413: TOO_LARGE,
            422: refusal("The ballot does not fit the question", *BALLOT_REFUSALS),
            503: UNAVAILABLE,
        },
        body=VoteIn,
        example={"question": "q1", "choices": ["o1", "o3"]},
        description="The ballot carries the fields of its question's kind: `choices` (choice, quiz; with "
        "`other_text` when the option `other` is chosen), `entries` (word cloud), `text` (open text; each "
        "ballot adds an entry), `ratings` (scale: statement id -> value), `order` (ranking: every option id "
        "once). 200 only after the ballot is durably stored. Re-sending an identical ballot (or, for open text, "
        "the same text within a minute) is acknowledged again and changes nothing, so a client may retry "
        "safely, also after voting closed.",
        answer_headers={401: {"Set-Cookie": "A fresh `lp_pid`: vote again with it."}},
    ),
    Operation(
        "POST", f"{SESSION}/control", "control",
        "Drive the session: goto, open (with a timer), close, results, reset, reveal, leaderboard, moderation, "
        "rotate_key", HOST,
        {
            200: ControlResult,
            **HOST_ERRORS,
            408: TOO_SLOW,
            413: TOO_LARGE,
            415: NOT_JSON,
            422: refusal("Invalid body, an action without what it needs (a question, a word's key, an entry), or "
                         "a question the session does not have", "invalid_body", "invalid_control",
                         "unknown_question"),
        },
        body=ControlIn,
        example={"action": "open", "seconds": 60},
        description="Each action is one atomic step on the session as it is at that moment. `open` with "
        "`seconds` (or a quiz's `time_limit`) sets a deadline after which voting closes by itself.",
    ),
    Operation(
        "POST", f"{SESSION}/nickname", "setNickname", "The participant's name on the quiz leaderboard",
        PARTICIPANT,
        {
            200: Nickname,
            401: refusal("No valid participant cookie (this answer sets a fresh one)", "participant_required"),
            **PARTICIPANT_CHANGE,
            404: NO_SESSION,
            408: TOO_SLOW,
            413: TOO_LARGE,
            422: refusal("An empty or too long name, or one the blocklist holds", "invalid_body",
                         "name_not_allowed"),
            503: UNAVAILABLE,
        },
        body=NicknameIn,
        example={"name": "Ola"},
        description="A name someone else has gets a suffix (`Ola 2`); the answer says which.",
        answer_headers={401: {"Set-Cookie": "A fresh `lp_pid`: send again with it."}},
    ),
    Operation(
        "POST", f"{SESSION}/qa", "askQuestion", "Ask a question in the session's Q&A", PARTICIPANT,
        {
            201: QaAsked,
            401: refusal("No valid participant cookie (this answer sets a fresh one)", "participant_required"),
            **PARTICIPANT_CHANGE,
            404: refusal("No session with this code, or it has no Q&A", "not_found", "qa_disabled"),
            408: TOO_SLOW,
            409: refusal("Questions are closed, or the participant asked all they may", "qa_closed",
                         "limit_reached"),
            413: TOO_LARGE,
            422: refusal("An empty or too long question or name", "invalid_body", "empty_entry", "entry_too_long"),
            429: refusal("A second question within 10 s, or this address cools", "too_fast", "too_many_attempts"),
            503: UNAVAILABLE,
        },
        body=QaAskIn,
        example={"text": "Kiedy będą wyniki programu?", "name": "Ola"},
        description="201 only after the question is durably stored. The same text resent within a minute is "
        "answered with the first one's id and stored once. A question the blocklist holds is accepted, held "
        "hidden and listed for the host (its asker sees it as pending).",
        answer_headers={401: {"Set-Cookie": "A fresh `lp_pid`: send again with it."}},
    ),
    Operation(
        "GET", f"{SESSION}/qa", "listQuestions",
        "The Q&A: visible, pinned and answered questions (the host: every one, with who asked)", PUBLIC,
        {200: QaList, 401: HOST_ERRORS[401], 403: HOST_ERRORS[403],
         404: refusal("No session with this code, or it has no Q&A", "not_found", "qa_disabled"),
         429: GUESSING, 503: UNAVAILABLE},
        query=(SORT,),
    ),
    *(
        Operation(
            method, f"{SESSION}/qa/{{question}}/upvote", f"{verb}Upvote",
            f"{verb.capitalize()} the participant's upvote of a question (one per participant)", PARTICIPANT,
            {
                200: Upvotes,
                401: refusal("No valid participant cookie (this answer sets a fresh one)", "participant_required"),
                **PARTICIPANT_CHANGE,
                404: refusal("No such session, no Q&A, or no such question the audience can see", "not_found",
                             "qa_disabled"),
                503: UNAVAILABLE,
            },
            description="A cookie-authenticated change: POST it as JSON (`{}`).",
        )
        for method, verb in (("POST", "add"), ("DELETE", "withdraw"))
    ),
    Operation(
        "POST", f"{SESSION}/qa/{{question}}/control", "moderateQuestion",
        "Moderate one Q&A question: approve, hide, answered, pin (one at a time), unpin, restore", HOST,
        {
            204: NO_CONTENT,
            **{**HOST_ERRORS, 404: refusal("No such session, no Q&A, or no such question", "not_found",
                                            "qa_disabled")},
            408: TOO_SLOW,
            413: TOO_LARGE,
            415: NOT_JSON,
            422: refusal("Not one of the actions", "invalid_body"),
        },
        body=QaControlIn,
        example={"action": "pin"},
    ),
    Operation(
        "GET", f"{SESSION}/qa.csv", "exportQuestions",
        "The Q&A as CSV: id,text,name,upvotes,status,participant,created_at,answered_at", HOST,
        {200: Media("text/csv", "UTF-8 with BOM, every question oldest first; `participant` is the asker's "
                    "session pseudonym.", CSV_HEADERS),
         **{**HOST_ERRORS, 404: refusal("No such session, or it has no Q&A", "not_found", "qa_disabled")}},
        query=(DELIMITER,),
    ),
    Operation(
        "GET", f"{SESSION}/leaderboard", "leaderboard",
        "The quiz leaderboard: revealed questions only, ties share a rank", HOST,
        {200: Leaderboard, **HOST_ERRORS},
        query=(LANG,),
    ),
    Operation(
        "GET", f"{SESSION}/results", "results", "Tallies of every question and the live state", HOST,
        {200: Results, **HOST_ERRORS},
        query=(EXPORT_LANG,),
    ),
    Operation(
        "GET", f"{SESSION}/export.csv", "exportResults",
        "Results as CSV: question_id,question,option_id,option,votes,voters,percent", HOST,
        {200: Media("text/csv", "UTF-8 with BOM, CRLF rows; one row per (question, item): an option (votes), a "
                    "ranking option (votes = score), a word (option_id = its key), a scale statement × value "
                    "(option_id `<statement>=<value>`), an open entry (votes 1).", CSV_HEADERS),
         **HOST_ERRORS},
        query=(DELIMITER, EXPORT_LANG),
    ),
    Operation(
        "GET", f"{SESSION}/responses.csv", "exportResponses",
        "Every counted ballot as CSV: question_id,question,participant,option_id,option,answered_at,value", HOST,
        {200: Media("text/csv", "One row per item of each ballot (a chosen option, a rated statement, a ranked "
                    "option, a word, an entry); `participant` is a pseudonym stable within the session; "
                    "`answered_at` is UTC ISO 8601; `value` is the rating or the 1-based rank; `option` holds "
                    "the text of words, entries and `other`.", CSV_HEADERS),
         **HOST_ERRORS},
        query=(DELIMITER, EXPORT_LANG),
    ),
    Operation(
        "GET", f"{SESSION}/results.xlsx", "exportWorkbook",
        "Results as an Excel workbook: Summary, a sheet per question with a native chart, Responses, Q&A", HOST,
        {200: Media(XLSX, "Sheets `Summary`, one per question (`<n> <question text>`, at most 31 characters; its "
                    "rows of export.csv and a chart), `Responses` (the rows of responses.csv, `answered_at` an "
                    "Excel date-time in UTC) and `Q&A` when the session has Q&A.", DOCUMENT_HEADERS,
                    schema=BINARY),
         **HOST_ERRORS},
        query=(EXPORT_LANG,),
    ),
    Operation(
        "GET", f"{SESSION}/report.pdf", "reportPdf",
        "The printable results report as PDF (A4; a page per question with its chart)", HOST,
        {200: Media("application/pdf", "The report of /host/{code}/report.", DOCUMENT_HEADERS, schema=BINARY),
         **HOST_ERRORS, 503: PDF_UNAVAILABLE},
        query=(EXPORT_LANG,),
    ),
    Operation(
        "GET", f"{SESSION}/poster.pdf", "posterPdf",
        "A one-page A4 join poster: title, QR code, address, grouped code, instructions in pl/uk/en", HOST,
        {200: Media("application/pdf", "The poster of /host/{code}/poster.", DOCUMENT_HEADERS, schema=BINARY),
         **HOST_ERRORS, 503: PDF_UNAVAILABLE},
        query=(EXPORT_LANG,),
    ),
    Operation(
        "GET", f"{SESSION}/questions/{{question_id}}/chart.svg", "chartSvg",
        "The current chart of one question as SVG (960 px wide)", HOST,
        {200: Media("image/svg+xml", "Bars (choice, quiz, ranking, word cloud: its 15 most frequent words), a "
                    "stacked distribution (scale) or the newest entries (open text).", IMAGE_HEADERS),
         **HOST_ERRORS, 404: NO_QUESTION},
        query=(EXPORT_LANG,),
    ),
    Operation(
        "GET", f"{SESSION}/questions/{{question_id}}/chart.png", "chartPng",
        "The current chart of one question as PNG (twice the SVG's size: 1920 px wide)", HOST,
        {200: Media("image/png", "The chart of chart.svg, rasterised.", IMAGE_HEADERS, schema=BINARY),
         **HOST_ERRORS, 404: NO_QUESTION,
         503: refusal("The optional PNG renderer (CairoSVG, extra `pdf`) is not installed, or the store did not "
                      "answer in time", "png_unavailable", "unavailable", headers=RETRY_AFTER)},
        query=(EXPORT_LANG,),
    ),
    Operation(
        "GET", f"{SESSION}/qr.svg", "qrCode", "QR code of the join link", PUBLIC,
        {200: Media("image/svg+xml", "SVG"), 404: NO_SESSION, 429: GUESSING, 503: UNAVAILABLE},
    ),
    Operation(
        "GET", "/api/v1/openapi.json", "openapi", "This document", PUBLIC,
        {200: Media("application/json", "OpenAPI 3.1", schema={"type": "object"})},
    ),
    Operation(
        "GET", "/healthz", "healthz", "The process is alive (load balancers' liveness check)", PUBLIC,
        {200: Health},
    ),
    Operation(
        "GET", "/readyz", "readyz", "The backend is reachable and its change listener alive (readiness check)",
        PUBLIC, {200: Readiness, 503: Readiness},
    ),
)
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    *(a for op in OPERATIONS for a in op.answers.values() if isinstance(a, type)),
    Error,
    *FRAMES,
)
REQUEST_MODELS: tuple[type[BaseModel], ...] = (SessionIn, VoteIn, ControlIn, VoteMessage, NicknameIn, QaAskIn,
                                                QaControlIn, SessionPatchIn, QuestionAddBody, QuestionPatchIn,
                                                OrderIn)

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
CODE_PARAMETER: Schema = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "The session's 8-digit join code.",
    "schema": {"type": "string", "pattern": f"^[0-9]{{{JOIN_CODE_DIGITS}}}$"},
}
PATH_PARAMETERS: Mapping[str, Schema] = {
    "code": CODE_PARAMETER,
    "question": {"name": "question", "in": "path", "required": True,
                 "description": "The id of a Q&A question.", "schema": {"type": "string"}},
    "question_id": {"name": "question_id", "in": "path", "required": True,
                    "description": "The id of a question of the session (`q1`).", "schema": {"type": "string"}},
}
