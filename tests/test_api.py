"""The JSON API (/api/v1) against a real server on both backends: every route and every error status of the
public contract, and that a refused request changes nothing."""

from __future__ import annotations

import itertools
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
import qrcode
from itsdangerous import Signer
from support.addresses import client_from, unique_address
from support.server import ADMIN_TOKEN, SECRET, LivepollClient, ServerProcess

from livepoll.config import Settings
from livepoll.model import voter_pseudonym

CODE_RE = re.compile(r"^[1-9][0-9]{7}$")
SVG_NS = "{http://www.w3.org/2000/svg}"
# A well-formed join code no session can have (codes never start with 0).
NO_SUCH_CODE = "01234567"


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """An error response: the status, and a body of exactly {"error": code, "message": text}."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "message"}, body
    assert isinstance(body["error"], str) and body["error"], body
    assert isinstance(body["message"], str) and body["message"], body
    if code is not None:
        assert body["error"] == code, body
    return body


async def session_count(api: LivepollClient) -> int:
    response = await api.get("/api/v1/sessions", headers=api.admin_headers())
    assert response.status_code == 200, response.text
    return len(response.json()["sessions"])


async def live_state(api: LivepollClient, code: str, key: str) -> dict[str, Any]:
    state: dict[str, Any] = (await api.results(code, key))["state"]  # type: ignore[assignment]
    return state


def question(text: str = "Pytanie", options: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"kind": "choice", "text": text, "options": options or ["a", "b", "c"], **extra}


TWO_QUESTIONS = [question("Pierwsze?", ["a", "b", "c"]), question("Drugie?", ["x", "y"])]


# POST /api/v1/sessions -------------------------------------------------------------------------------------


async def test_create_session_returns_the_contract_shape(api: LivepollClient, server: ServerProcess) -> None:
    """201 carries code, host_key, questions with ids and options, and the links named by the contract."""
    questions = [
        question("Jedno?", ["miasto", "NGO"]),
        question("Kilka?", ["a", "b", "c"], max_choices=3, allow_change=False),
    ]
    response = await api.post(
        "/api/v1/sessions", json={"title": "Warsztat", "questions": questions}, headers=api.admin_headers()
    )
    assert response.status_code == 201, response.text
    body = response.json()
    code = body["code"]
    assert CODE_RE.match(code), code
    assert isinstance(body["host_key"], str) and len(body["host_key"]) >= 16
    q1, q2 = body["questions"]
    assert q1["kind"] == "choice" and q1["text"] == "Jedno?" and q1["max_choices"] == 1
    assert [o["label"] for o in q1["options"]] == ["miasto", "NGO"]
    assert q2["max_choices"] == 3
    ids = [q1["id"], q2["id"]] + [o["id"] for q in (q1, q2) for o in q["options"]]
    assert all(isinstance(i, str) and i for i in ids)
    assert len({o["id"] for o in q2["options"]}) == 3
    links = body["links"]
    base = server.base_url
    # The join link carries the session's join token (never refused by the guessing limit), so does the QR.
    join = re.fullmatch(rf"{re.escape(base)}/{code}\?t=([A-Za-z0-9_-]{{16}})", links["join"])
    assert join, links["join"]
    assert links["qr_svg"] == f"{base}/api/v1/sessions/{code}/qr.svg?t={join.group(1)}"
    assert links["export_csv"] == f"{base}/api/v1/sessions/{code}/export.csv"
    assert links["present"].startswith(f"{base}/present/{code}")
    assert links["host"].startswith(f"{base}/host/{code}")
    assert links["present"].endswith(f"?key={body['host_key']}")
    # The API links work: the QR code without credentials, the export with the host key.
    assert (await api.participant().get(links["qr_svg"])).status_code == 200
    export = await api.get(links["export_csv"], headers=api.host_headers(body["host_key"]))
    assert export.status_code == 200


async def test_new_session_starts_on_first_question_open_and_results_shown(api: LivepollClient) -> None:
    """A new session is on its first question, voting open, results shown; allow_change defaults to true."""
    code, key, body = await api.create_session(questions=TWO_QUESTIONS)
    state = await live_state(api, code, key)
    assert state["current"] == body["questions"][0]["id"]  # type: ignore[index]
    assert state["voting_open"] is True and state["results_visible"] is True
    public = await api.participant().join(code)
    assert public["question"]["id"] == body["questions"][0]["id"]  # type: ignore[index]
    assert public["question"]["allow_change"] is True  # type: ignore[index]
    assert public["voting_open"] is True


async def test_create_accepts_the_limits(api: LivepollClient) -> None:
    """30 options and max_choices equal to the number of options are accepted."""
    options = [f"opcja {n}" for n in range(30)]
    _, _, body = await api.create_session(options=options, max_choices=30)
    q = body["questions"][0]  # type: ignore[index]
    assert len(q["options"]) == 30 and q["max_choices"] == 30


async def test_join_codes_are_eight_digits_never_starting_with_zero(api: LivepollClient) -> None:
    """Join codes are random 8-digit numbers without a leading 0, distinct, shown grouped 4+4."""
    codes = []
    for _ in range(15):
        code, _, body = await api.create_session()
        assert CODE_RE.match(code), code
        assert body["code_display"] == f"{code[:4]} {code[4:]}"
        codes.append(int(code))
    assert len(set(codes)) == len(codes)
    # Not sequential: consecutive sessions do not get neighbouring codes.
    assert not all(b - a == 1 for a, b in itertools.pairwise(codes))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": ADMIN_TOKEN},
    ],
    ids=["no-header", "wrong-token", "empty-token", "token-prefix", "basic-scheme", "no-scheme"],
)
async def test_create_without_valid_admin_token_is_401(api: LivepollClient, headers: dict[str, str]) -> None:
    """Creating a session without the admin token (missing, wrong, other scheme) is 401 and creates nothing."""
    before = await session_count(api)
    response = await api.post("/api/v1/sessions", json={"title": "T", "questions": [question()]}, headers=headers)
    assert_error(response, 401)
    assert await session_count(api) == before


async def test_create_with_a_host_key_is_401(api: LivepollClient) -> None:
    """A session's host key is not the admin token."""
    _, key, _ = await api.create_session()
    before = await session_count(api)
    response = await api.post(
        "/api/v1/sessions", json={"title": "T", "questions": [question()]}, headers=api.host_headers(key)
    )
    assert_error(response, 401)
    assert await session_count(api) == before


async def test_create_from_a_foreign_origin_is_refused(api: LivepollClient) -> None:
    """A browser request from another site is refused (403) even with the admin token; nothing is created."""
    before = await session_count(api)
    response = await api.post(
        "/api/v1/sessions", json={"title": "T", "questions": [question()]},
        headers={**api.admin_headers(), "Origin": "https://evil.example"},
    )
    assert_error(response, 403)
    assert await session_count(api) == before


Q = question()
INVALID_SESSIONS: list[tuple[str, Any]] = [
    ("not-json", b"{not json"),
    ("empty-body", b""),
    ("json-null", None),
    ("json-array", [Q]),
    ("title-missing", {"questions": [Q]}),
    ("title-empty", {"title": "", "questions": [Q]}),
    ("title-blank", {"title": "   ", "questions": [Q]}),
    ("title-number", {"title": 5, "questions": [Q]}),
    ("title-null", {"title": None, "questions": [Q]}),
    ("title-too-long", {"title": "t" * 201, "questions": [Q]}),
    ("questions-missing", {"title": "T"}),
    ("questions-empty", {"title": "T", "questions": []}),
    ("questions-object", {"title": "T", "questions": Q}),
    ("question-string", {"title": "T", "questions": ["Pytanie?"]}),
    ("too-many-questions", {"title": "T", "questions": [Q] * 101}),
    ("kind-unknown", {"title": "T", "questions": [{**Q, "kind": "word_cloud"}]}),
    ("kind-number", {"title": "T", "questions": [{**Q, "kind": 1}]}),
    ("text-missing", {"title": "T", "questions": [{"kind": "choice", "options": ["a", "b"]}]}),
    ("text-empty", {"title": "T", "questions": [question("")]}),
    ("text-blank", {"title": "T", "questions": [question("  ")]}),
    ("text-number", {"title": "T", "questions": [{**Q, "text": 7}]}),
    ("text-too-long", {"title": "T", "questions": [question("x" * 501)]}),
    ("options-missing", {"title": "T", "questions": [{"kind": "choice", "text": "Q"}]}),
    ("options-none", {"title": "T", "questions": [{**Q, "options": []}]}),
    ("options-one", {"title": "T", "questions": [{**Q, "options": ["a"]}]}),
    ("options-31", {"title": "T", "questions": [{**Q, "options": [f"o{n}" for n in range(31)]}]}),
    ("options-string", {"title": "T", "questions": [{**Q, "options": "a,b"}]}),
    ("option-number", {"title": "T", "questions": [{**Q, "options": ["a", 2]}]}),
    ("option-empty", {"title": "T", "questions": [{**Q, "options": ["a", ""]}]}),
    ("option-blank", {"title": "T", "questions": [{**Q, "options": ["a", "   "]}]}),
    ("option-too-long", {"title": "T", "questions": [{**Q, "options": ["a", "b" * 201]}]}),
    ("options-duplicate", {"title": "T", "questions": [{**Q, "options": ["a", "a"]}]}),
    ("options-duplicate-after-trim", {"title": "T", "questions": [{**Q, "options": ["a", " a "]}]}),
    ("max-choices-zero", {"title": "T", "questions": [{**Q, "max_choices": 0}]}),
    ("max-choices-negative", {"title": "T", "questions": [{**Q, "max_choices": -1}]}),
    ("max-choices-above-options", {"title": "T", "questions": [{**Q, "max_choices": 4}]}),
    ("max-choices-31", {"title": "T", "questions": [{**Q, "max_choices": 31}]}),
    ("max-choices-string", {"title": "T", "questions": [{**Q, "max_choices": "2"}]}),
    ("max-choices-float", {"title": "T", "questions": [{**Q, "max_choices": 1.5}]}),
    ("max-choices-bool", {"title": "T", "questions": [{**Q, "max_choices": True}]}),
    ("allow-change-string", {"title": "T", "questions": [{**Q, "allow_change": "yes"}]}),
    ("allow-change-number", {"title": "T", "questions": [{**Q, "allow_change": 1}]}),
    ("unknown-top-key", {"title": "T", "questions": [Q], "theme": "dark"}),
    ("unknown-question-key", {"title": "T", "questions": [{**Q, "color": "red"}]}),
]


@pytest.mark.parametrize("body", [b for _, b in INVALID_SESSIONS], ids=[n for n, _ in INVALID_SESSIONS])
async def test_create_with_invalid_body_is_422(api: LivepollClient, body: Any) -> None:
    """Every kind of invalid session body is 422 with an error body, and no session is created."""
    before = await session_count(api)
    if isinstance(body, bytes):
        response = await api.post(
            "/api/v1/sessions", content=body,
            headers={**api.admin_headers(), "Content-Type": "application/json"},
        )
    else:
        response = await api.post("/api/v1/sessions", json=body, headers=api.admin_headers())
    assert_error(response, 422)
    assert await session_count(api) == before


async def test_create_with_oversized_body_is_refused(api: LivepollClient) -> None:
    """A valid session padded with JSON whitespace past the session-creation limit
    (LIVEPOLL_MAX_LARGE_BODY_BYTES, 4 MiB by default) is refused as too large (413) with an error body (a
    client that sends the whole body before reading gets the answer, not a reset); the same document with a
    little padding is created; nothing else is."""
    document = json.dumps({"title": "T", "questions": [Q]})
    headers = {**api.admin_headers(), "Content-Type": "application/json"}
    small = await api.post("/api/v1/sessions", content=document + " " * 1024, headers=headers)
    assert small.status_code == 201, small.text
    before = await session_count(api)
    limit: int = Settings.model_fields["max_large_body_bytes"].default
    response = await api.post("/api/v1/sessions", content=document + " " * limit, headers=headers)
    assert_error(response, 413, "too_large")
    assert await session_count(api) == before


# GET /api/v1/sessions/{code} ------------------------------------------------------------------------------


async def test_get_session_is_public_and_sets_the_participant_cookie(api: LivepollClient) -> None:
    """GET gives code, title, current question and voting_open without credentials, and sets a signed,
    HttpOnly, SameSite=Lax participant cookie once."""
    code, _, body = await api.create_session(title="Spotkanie", options=["a", "b"])
    phone = api.participant()
    response = await phone.get(f"/api/v1/sessions/{code}")
    assert response.status_code == 200
    public = response.json()
    assert public["code"] == code and public["title"] == "Spotkanie" and public["voting_open"] is True
    assert public["question"] == body["questions"][0]  # type: ignore[index]
    assert "host_key" not in response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lp_pid=")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    again = await phone.get(f"/api/v1/sessions/{code}")
    assert again.status_code == 200 and "set-cookie" not in again.headers


async def test_get_unknown_code_is_404(api: LivepollClient) -> None:
    """An unknown (well-formed) join code is 404 with an error body."""
    assert_error(await api.get(f"/api/v1/sessions/{NO_SUCH_CODE}"), 404, "not_found")


async def test_unknown_api_route_and_wrong_method_have_error_bodies(api: LivepollClient) -> None:
    """404 for an unknown route and 405 for a wrong method also answer {"error", "message"}; a 405 names
    every method the path allows."""
    assert_error(await api.get("/api/v1/nothing/here"), 404)
    wrong = await api.put("/api/v1/sessions", json={})
    assert_error(wrong, 405)
    assert {m.strip() for m in wrong.headers["allow"].split(",")} >= {"GET", "POST"}
    code, _, _ = await api.create_session()
    wrong = await api.put(f"/api/v1/sessions/{code}", json={})
    assert {m.strip() for m in wrong.headers["allow"].split(",")} >= {"GET", "DELETE"}


# POST /api/v1/sessions/{code}/votes -----------------------------------------------------------------------


async def test_vote_is_accepted_and_counted(api: LivepollClient) -> None:
    """200 {"accepted": true}, and the ballot shows in the results at once."""
    code, key, _ = await api.create_session(options=["a", "b", "c"])
    phone = api.participant()
    await phone.join(code)
    response = await phone.vote(code, "q1", ["o2"])
    assert response.status_code == 200 and response.json() == {"accepted": True}
    assert await api.votes(code, key) == ({"o1": 0, "o2": 1, "o3": 0}, 1)


INVALID_VOTES: list[tuple[str, Any, str | None]] = [
    ("unknown-option", {"question": "q1", "choices": ["o9"]}, "unknown_option"),
    ("known-and-unknown-option", {"question": "q1", "choices": ["o1", "o9"]}, "unknown_option"),
    ("option-of-other-question", {"question": "q1", "choices": ["o4"]}, "unknown_option"),
    ("duplicate-option", {"question": "q1", "choices": ["o1", "o1"]}, "duplicate_option"),
    ("too-many-choices", {"question": "q1", "choices": ["o1", "o2", "o3"]}, "too_many_choices"),
    ("unknown-question", {"question": "q9", "choices": ["o1"]}, None),
    ("no-choices", {"question": "q1", "choices": []}, None),
    ("choices-string", {"question": "q1", "choices": "o1"}, None),
    ("choice-number", {"question": "q1", "choices": [1]}, None),
    ("choice-null", {"question": "q1", "choices": [None]}, None),
    ("question-number", {"question": 1, "choices": ["o1"]}, None),
    ("question-missing", {"choices": ["o1"]}, None),
    ("choices-missing", {"question": "q1"}, None),
    ("unknown-key", {"question": "q1", "choices": ["o1"], "weight": 10}, None),
    ("option-id-too-long", {"question": "q1", "choices": ["o" * 100]}, None),
    ("json-array", [{"question": "q1", "choices": ["o1"]}], None),
    ("not-json", b"question=q1&choices=o1", None),
    ("empty-body", b"", None),
]


@pytest.mark.parametrize(
    ("body", "error"), [(b, e) for _, b, e in INVALID_VOTES], ids=[n for n, _, _ in INVALID_VOTES]
)
async def test_invalid_vote_is_422_and_changes_nothing(api: LivepollClient, body: Any, error: str | None) -> None:
    """B4: an invalid ballot (unknown/duplicate option, too many choices, wrong types, unknown keys) is 422;
    the participant's earlier ballot and the tally are untouched."""
    questions = [question("Q1", ["a", "b", "c"], max_choices=2), question("Q2", ["x", "y", "z", "w"])]
    code, key, _ = await api.create_session(questions=questions)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o3"])).status_code == 200
    before = await api.votes(code, key)
    if isinstance(body, bytes):
        response = await phone.post(
            f"/api/v1/sessions/{code}/votes", content=body, headers={"Content-Type": "application/json"}
        )
    else:
        response = await phone.post(f"/api/v1/sessions/{code}/votes", json=body)
    assert_error(response, 422, error)
    assert await api.votes(code, key) == before == ({"o1": 0, "o2": 0, "o3": 1}, 1)
    assert await api.votes(code, key, "q2") == ({"o1": 0, "o2": 0, "o3": 0, "o4": 0}, 0)


async def test_vote_when_voting_is_closed_is_409(api: LivepollClient) -> None:
    """B4: after `close`, a new ballot and a change are both 409 voting_closed; the tally stays."""
    code, key, _ = await api.create_session(options=["a", "b"])
    early, late = api.participant(), api.participant()
    for phone in (early, late):
        await phone.join(code)
    assert (await early.vote(code, "q1", ["o1"])).status_code == 200
    assert (await api.control(code, key, "close")).status_code == 200
    assert_error(await late.vote(code, "q1", ["o2"]), 409, "voting_closed")
    assert_error(await early.vote(code, "q1", ["o2"]), 409, "voting_closed")
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0}, 1)


async def test_vote_on_a_question_that_is_not_current_is_409(api: LivepollClient) -> None:
    """A ballot for another question of the session than the current one is 409 not_current."""
    code, key, _ = await api.create_session(questions=TWO_QUESTIONS)
    phone = api.participant()
    await phone.join(code)
    assert_error(await phone.vote(code, "q2", ["o1"]), 409, "not_current")
    assert await api.votes(code, key, "q2") == ({"o1": 0, "o2": 0}, 0)
    # ... and after moving on, the old question is the one that is not current.
    assert (await api.control(code, key, "goto", "q2")).status_code == 200
    assert_error(await phone.vote(code, "q1", ["o1"]), 409, "not_current")
    assert await api.votes(code, key, "q1") == ({"o1": 0, "o2": 0, "o3": 0}, 0)


async def test_changing_a_ballot_where_changes_are_not_allowed_is_409(api: LivepollClient) -> None:
    """With allow_change=false a different second ballot is 409 change_not_allowed; the first one stays."""
    code, key, _ = await api.create_session(options=["a", "b"], allow_change=False)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    assert_error(await phone.vote(code, "q1", ["o2"]), 409, "change_not_allowed")
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0}, 1)


async def test_vote_on_unknown_session_is_404(api: LivepollClient) -> None:
    """A ballot for a join code that does not exist is 404 (with a valid participant cookie)."""
    code, _, _ = await api.create_session()
    phone = api.participant()
    await phone.join(code)
    assert_error(await phone.vote(NO_SUCH_CODE, "q1", ["o1"]), 404)


async def test_vote_without_participant_cookie_is_401_and_issues_one(api: LivepollClient) -> None:
    """No cookie: 401, nothing counted, and a fresh participant cookie comes back that then works."""
    code, key, _ = await api.create_session(options=["a", "b"])
    phone = api.participant()
    response = await phone.vote(code, "q1", ["o1"])
    assert_error(response, 401)
    assert response.headers["set-cookie"].startswith("lp_pid=")
    assert await api.votes(code, key) == ({"o1": 0, "o2": 0}, 0)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0}, 1)


def _forged_cookies(valid: str) -> list[tuple[str, str]]:
    """(kind, cookie value) pairs: each claims a participant id the server never issued or signed."""
    pid, _, signature = valid.rpartition(".")
    flipped = ("A" if pid[0] != "A" else "B") + pid[1:]
    wrong_secret = Signer("not-the-server-secret", salt="livepoll.participant").sign("forged-id").decode()
    return [
        ("garbage", "forged-id"),
        ("tampered-id", f"{flipped}.{signature}"),
        ("tampered-signature", f"{pid}.{signature[:-2]}xx"),
        ("wrong-secret", wrong_secret),
        ("unsigned", f"{pid}."),
    ]


async def test_forged_or_tampered_participant_cookie_is_rejected(api: LivepollClient) -> None:
    """B9: a forged/tampered cookie is refused (401), a fresh id is issued, and nothing is ever counted
    under the forged id; the fresh id then counts once."""
    code, key, _ = await api.create_session(options=["a", "b"])
    honest = api.participant()
    valid = (await honest.get(f"/api/v1/sessions/{code}")).cookies["lp_pid"]
    forged_ids = []
    for kind, value in _forged_cookies(valid):
        phone = api.participant()
        response = await phone.post(
            f"/api/v1/sessions/{code}/votes", json={"question": "q1", "choices": ["o2"]},
            headers={"Cookie": f"lp_pid={value}"},
        )
        assert_error(response, 401)
        fresh = response.cookies.get("lp_pid")
        assert fresh and fresh != value, kind
        forged_ids.append(value.rpartition(".")[0] or value)
        assert await api.votes(code, key) == ({"o1": 0, "o2": 0}, 0), kind
    # The issued cookie is a real one: it counts, once.
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200
    assert await api.votes(code, key) == ({"o1": 0, "o2": 1}, 1)
    responses = (await api.export(code, key, "responses.csv")).decode("utf-8-sig")
    for forged in forged_ids:
        assert voter_pseudonym(SECRET, code, forged) not in responses


async def test_forged_cookie_on_get_session_is_replaced(api: LivepollClient) -> None:
    """B9: GET with a forged cookie answers normally and replaces the cookie with a freshly signed one."""
    code, _, _ = await api.create_session()
    response = await api.participant().get(f"/api/v1/sessions/{code}", headers={"Cookie": "lp_pid=abc.def"})
    assert response.status_code == 200
    fresh = response.cookies.get("lp_pid")
    assert fresh and fresh != "abc.def"


# Host endpoints -------------------------------------------------------------------------------------------

HOST_ENDPOINTS = [
    ("GET", "/results", None),
    ("GET", "/export.csv", None),
    ("GET", "/responses.csv", None),
    ("POST", "/control", {"action": "close"}),
    ("DELETE", "", None),
]
HOST_IDS = ["results", "export", "responses", "control", "delete"]


async def _host_request(
    client: LivepollClient, method: str, code: str, suffix: str, body: Any, headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.request(
        method, f"/api/v1/sessions/{code}{suffix}", json=body, headers=headers or {}, params=params
    )


@pytest.mark.parametrize(("method", "suffix", "body"), HOST_ENDPOINTS, ids=HOST_IDS)
async def test_host_endpoint_refuses_missing_and_wrong_keys(
    api: LivepollClient, server: ServerProcess, method: str, suffix: str, body: Any
) -> None:
    """401 without a host key, 403 with a wrong key or another session's key (header, ?key= or cookie), and
    the same 403 for a key to a code with no session; the session's state and existence are unchanged."""
    code, key, _ = await api.create_session()
    _, other_key, _ = await api.create_session()
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    async with client_from(server, unique_address()) as stranger:  # wrong keys spend its guessing budget
        assert_error(await _host_request(stranger, method, code, suffix, body), 401)
        for wrong in ("wrong-key", other_key, key + "x", ADMIN_TOKEN + "x"):
            assert_error(await _host_request(stranger, method, code, suffix, body, api.host_headers(wrong)), 403)
            assert_error(await _host_request(stranger, method, code, suffix, body, params={"key": wrong}), 403)
            cookie = {"Cookie": f"lp_host_{code}={wrong}"}
            assert_error(await _host_request(stranger, method, code, suffix, body, cookie), 403)
        missing = await _host_request(stranger, method, NO_SUCH_CODE, suffix, body, api.host_headers(key))
        assert_error(missing, 403, "wrong_host_key")
    state = await live_state(api, code, key)
    assert state["voting_open"] is True and state["current"] == "q1"
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 0}, 1)


@pytest.mark.parametrize("how", ["header", "query", "cookie"])
async def test_host_key_is_accepted_by_header_query_and_cookie(api: LivepollClient, how: str) -> None:
    """The host key works as `Authorization: Bearer`, as `?key=` and as the host cookie, on every host
    endpoint."""
    code, key, _ = await api.create_session()
    host = api.participant()
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    if how == "header":
        headers = api.host_headers(key)
    elif how == "query":
        params = {"key": key}
    else:
        headers = {"Cookie": f"lp_host_{code}={key}"}
    for suffix in ("/results", "/export.csv", "/responses.csv"):
        response = await _host_request(host, "GET", code, suffix, None, headers, params)
        assert response.status_code == 200, (suffix, response.text)
    response = await _host_request(host, "POST", code, "/control", {"action": "close"}, headers, params)
    assert response.status_code == 200, response.text
    assert response.json()["voting_open"] is False
    response = await _host_request(host, "DELETE", code, "", None, headers, params)
    assert response.status_code == 204
    assert_error(await api.get(f"/api/v1/sessions/{code}"), 404)


async def test_host_cookie_from_a_foreign_origin_cannot_control(api: LivepollClient, server: ServerProcess) -> None:
    """A state change carried only by the host cookie is refused (403) when the browser says it came from
    another site (CSRF); from the server's own origin it works."""
    code, key, _ = await api.create_session()
    cookie = f"lp_host_{code}={key}"
    for origin in ("https://evil.example", f"{server.origin}.evil.io"):
        response = await api.post(
            f"/api/v1/sessions/{code}/control", json={"action": "close"},
            headers={"Cookie": cookie, "Origin": origin},
        )
        assert_error(response, 403)
        response = await api.delete(f"/api/v1/sessions/{code}", headers={"Cookie": cookie, "Origin": origin})
        assert_error(response, 403)
    assert (await live_state(api, code, key))["voting_open"] is True
    response = await api.post(
        f"/api/v1/sessions/{code}/control", json={"action": "close"},
        headers={"Cookie": cookie, "Origin": server.origin},
    )
    assert response.status_code == 200 and response.json()["voting_open"] is False


# POST /api/v1/sessions/{code}/control ---------------------------------------------------------------------


async def test_control_actions_change_the_state_as_specified(api: LivepollClient) -> None:
    """close/open/hide_results/show_results/goto each change exactly their part of the state, return the
    new state, and the public session and results endpoints agree with it."""
    code, key, _ = await api.create_session(questions=TWO_QUESTIONS)
    phone = api.participant()

    async def step(action: str, q: str | None, expect: dict[str, Any]) -> None:
        response = await api.control(code, key, action, q)
        assert response.status_code == 200, response.text
        returned = response.json()
        for name, value in expect.items():
            assert returned[name] == value, (action, name, returned)
        state = await live_state(api, code, key)
        for name, value in expect.items():
            assert state[name] == value, (action, name, state)
        public = await phone.join(code)
        assert public["voting_open"] == expect["voting_open"]
        assert public["question"]["id"] == expect["current"]  # type: ignore[index]

    start = {"current": "q1", "voting_open": True, "results_visible": True}
    await step("close", None, {**start, "voting_open": False})
    await step("close", None, {**start, "voting_open": False})  # idempotent
    await step("open", None, start)
    await step("hide_results", None, {**start, "results_visible": False})
    await step("show_results", None, start)
    await step("close", None, {**start, "voting_open": False})
    # Moving to another question opens voting on it (a host moving on expects that).
    await step("goto", "q2", {**start, "current": "q2"})
    await step("hide_results", None, {**start, "current": "q2", "results_visible": False})
    await step("goto", "q1", {**start, "current": "q1", "results_visible": False})


INVALID_CONTROLS: list[tuple[str, Any]] = [
    ("unknown-action", {"action": "explode"}),
    ("action-missing", {}),
    ("action-number", {"action": 3}),
    ("goto-without-question", {"action": "goto"}),
    ("reset-without-question", {"action": "reset"}),
    ("question-number", {"action": "goto", "question": 2}),
    ("unknown-key", {"action": "close", "force": True}),
    ("json-array", ["close"]),
    ("not-json", b"action=close"),
]


@pytest.mark.parametrize("body", [b for _, b in INVALID_CONTROLS], ids=[n for n, _ in INVALID_CONTROLS])
async def test_invalid_control_is_422_and_changes_nothing(api: LivepollClient, body: Any) -> None:
    """An invalid control body is 422; state and tallies are unchanged."""
    code, key, _ = await api.create_session(questions=TWO_QUESTIONS)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    before = await live_state(api, code, key)
    if isinstance(body, bytes):
        response = await api.post(
            f"/api/v1/sessions/{code}/control", content=body,
            headers={**api.host_headers(key), "Content-Type": "application/json"},
        )
    else:
        response = await api.post(f"/api/v1/sessions/{code}/control", json=body, headers=api.host_headers(key))
    assert_error(response, 422)
    assert await live_state(api, code, key) == before
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 0}, 1)


@pytest.mark.parametrize("action", ["goto", "reset"])
async def test_control_on_unknown_question_is_refused(api: LivepollClient, action: str) -> None:
    """goto/reset naming a question the session does not have is a 422 unknown_question, like a ballot
    for one; nothing changes."""
    code, key, _ = await api.create_session(questions=TWO_QUESTIONS)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o2"])).status_code == 200
    before = await live_state(api, code, key)
    response = await api.control(code, key, action, "q9")
    assert_error(response, 422, "unknown_question")
    assert await live_state(api, code, key) == before
    assert await api.votes(code, key) == ({"o1": 0, "o2": 1, "o3": 0}, 1)


async def test_reset_clears_one_questions_counts(api: LivepollClient) -> None:
    """reset empties the named question's tally and responses, leaves other questions and the live state
    alone, and lets the same participants vote again (even where changes are not allowed)."""
    questions = [question("Q1", ["a", "b", "c"], allow_change=False), question("Q2", ["x", "y"])]
    code, key, _ = await api.create_session(questions=questions)
    phones = [api.participant() for _ in range(3)]
    for n, phone in enumerate(phones):
        await phone.join(code)
        assert (await phone.vote(code, "q1", [f"o{n % 2 + 1}"])).status_code == 200
    assert (await api.control(code, key, "goto", "q2")).status_code == 200
    assert (await phones[0].vote(code, "q2", ["o2"])).status_code == 200
    assert await api.votes(code, key, "q1") == ({"o1": 2, "o2": 1, "o3": 0}, 3)
    state_before = await live_state(api, code, key)

    response = await api.control(code, key, "reset", "q1")
    assert response.status_code == 200
    assert response.json()["current"] == "q2"
    assert await live_state(api, code, key) == state_before
    assert await api.votes(code, key, "q1") == ({"o1": 0, "o2": 0, "o3": 0}, 0)
    assert await api.votes(code, key, "q2") == ({"o1": 0, "o2": 1}, 1)
    responses = (await api.export(code, key, "responses.csv")).decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in responses[1:]] == ["q2"]

    assert (await api.control(code, key, "goto", "q1")).status_code == 200
    assert (await phones[0].vote(code, "q1", ["o3"])).status_code == 200
    assert await api.votes(code, key, "q1") == ({"o1": 0, "o2": 0, "o3": 1}, 1)


# DELETE /api/v1/sessions/{code} -----------------------------------------------------------------------------


async def test_deleted_session_is_gone_everywhere(api: LivepollClient) -> None:
    """P4: DELETE with the host key is 204; afterwards the session and its ballots are 404, and its key opens
    nothing (403, as for any code with no session)."""
    code, key, _ = await api.create_session()
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    assert (await api.delete(f"/api/v1/sessions/{code}", headers=api.host_headers(key))).status_code == 204
    assert_error(await phone.get(f"/api/v1/sessions/{code}"), 404)
    assert_error(await api.get(f"/api/v1/sessions/{code}/results", headers=api.host_headers(key)), 403)
    assert_error(await api.get(f"/api/v1/sessions/{code}/export.csv", headers=api.host_headers(key)), 403)
    assert_error(await phone.vote(code, "q1", ["o2"]), 404)
    assert_error(await api.control(code, key, "open"), 403)


# GET /api/v1/sessions/{code}/qr.svg ------------------------------------------------------------------------


def _svg_modules(svg: bytes) -> set[tuple[int, int]]:
    """Dark modules of a QR SVG drawn as unit rectangles (path `Mx,yH..V..H..z` or `<rect>` elements)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg", root.tag
    dark: set[tuple[int, int]] = set()
    for path in root.iter(f"{SVG_NS}path"):
        for x1, y1, x2, y2 in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", path.get("d", "")):
            for x in range(int(float(x1)), int(float(x2))):
                for y in range(int(float(y1)), int(float(y2))):
                    dark.add((x, y))
    for rect in root.iter(f"{SVG_NS}rect"):
        if rect.get("width", "").endswith("%") or rect.get("fill") == "white":
            continue
        dark.add((int(float(rect.get("x", "0"))), int(float(rect.get("y", "0")))))
    return dark


def _qr_modules(text: str, level: int) -> set[tuple[int, int]]:
    qr = qrcode.QRCode(error_correction=level, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    return {(x, y) for y, row in enumerate(qr.get_matrix()) for x, cell in enumerate(row) if cell}


async def test_qr_svg_is_valid_svg_of_the_join_link(api: LivepollClient, server: ServerProcess) -> None:
    """qr.svg is public, image/svg+xml, well-formed SVG, and its modules are the QR code of the join link."""
    code, _, body = await api.create_session()
    response = await api.participant().get(f"/api/v1/sessions/{code}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    dark = _svg_modules(response.content)
    assert len(dark) > 100
    join = body["links"]["join"]  # type: ignore[index]
    assert join.startswith(f"{server.base_url}/{code}?t=")
    levels = (
        qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_M,
        qrcode.constants.ERROR_CORRECT_Q, qrcode.constants.ERROR_CORRECT_H,
    )
    assert any(dark == _qr_modules(join, level) for level in levels), "the SVG is not the QR of the join link"
    assert dark != _qr_modules(f"{server.base_url}/{NO_SUCH_CODE}", qrcode.constants.ERROR_CORRECT_M)


async def test_qr_svg_of_unknown_code_is_404(api: LivepollClient) -> None:
    """No QR code for a session that does not exist."""
    assert_error(await api.get(f"/api/v1/sessions/{NO_SUCH_CODE}/qr.svg"), 404)


# OpenAPI ------------------------------------------------------------------------------------------------------


async def test_openapi_json_describes_the_api(api: LivepollClient) -> None:
    """/api/v1/openapi.json is an OpenAPI document naming every public route."""
    response = await api.get("/api/v1/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    assert str(document.get("openapi", "")).startswith("3.")
    paths = set(document["paths"])
    for path in (
        "/api/v1/sessions", "/api/v1/sessions/{code}", "/api/v1/sessions/{code}/votes",
        "/api/v1/sessions/{code}/control", "/api/v1/sessions/{code}/results",
        "/api/v1/sessions/{code}/export.csv", "/api/v1/sessions/{code}/responses.csv",
        "/api/v1/sessions/{code}/qr.svg",
    ):
        assert path in paths, (path, sorted(paths))
