"""Q&A against real servers on both backends: asking (durable, resends stored once, per-participant limit,
pace, closed, blocklist), upvotes (exact under concurrency, one per participant, also across two processes
on one Redis), moderation (pending questions reach no screen until approved; a hidden one leaves every screen
within a second), ordering, the host's list and qa.csv."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from support.redis_server import RedisServer
from support.server import LivepollClient, ServerProcess
from websockets.asyncio.client import ClientConnection, connect

WAIT = 10.0
QUESTIONS = [{"kind": "choice", "text": "Czy?", "options": ["tak", "nie"]}]


async def qa_session(api: LivepollClient, **settings: object) -> tuple[str, str]:
    response = await api.post("/api/v1/sessions", headers=api.admin_headers(), json={
        "title": "Sesja pytań i odpowiedzi", "questions": QUESTIONS, "qa": {"enabled": True, **settings}})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["qa"] == {"enabled": True, "open": True, "moderated": bool(settings.get("moderated"))}
    return body["code"], body["host_key"]


async def phone_of(api: LivepollClient, code: str) -> LivepollClient:
    phone = api.participant()
    assert (await phone.get(f"/api/v1/sessions/{code}")).status_code == 200
    return phone


def cookie_of(client: LivepollClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def ask(phone: LivepollClient, code: str, text: str, **more: object) -> Any:
    return await phone.post(f"/api/v1/sessions/{code}/qa", json={"text": text, **more})


async def test_asking_stores_a_question_once_within_the_limits(api: LivepollClient) -> None:
    """201 with the id only after storing; the same text resent within a minute is the same question; past the
    limit 409, a second question within 10 s 429 (the limit checked first); closed 409; bad text 422."""
    code, key = await qa_session(api, max_per_participant=2)
    phone = await phone_of(api, code)
    first = await ask(phone, code, "  Kiedy   będą wyniki?", name="Ola")
    assert first.status_code == 201 and first.json()["status"] == "visible"
    again = await ask(phone, code, "Kiedy będą wyniki?", name="Ola")
    assert (again.status_code, again.json()["id"]) == (201, first.json()["id"])
    fast = await ask(phone, code, "Drugie pytanie")
    assert (fast.status_code, fast.json()["error"]) == (429, "too_fast")
    listed = (await phone.get(f"/api/v1/sessions/{code}/qa")).json()
    assert [(q["text"], q["name"], q["mine"], q["upvotes"]) for q in listed] == [
        ("Kiedy będą wyniki?", "Ola", True, 0)]
    other = await phone_of(api, code)
    assert (await other.get(f"/api/v1/sessions/{code}/qa")).json()[0]["mine"] is False
    for bad in ("", "   ", "\u202e\u0000", "x" * 281):
        response = await ask(other, code, bad)
        assert response.status_code == 422, (bad, response.text)
    closing = await api.post(f"/api/v1/sessions/{code}/control", json={"action": "qa_close"},
                             headers=api.host_headers(key))
    assert closing.status_code == 200
    closed = await ask(other, code, "Za późno?")
    assert (closed.status_code, closed.json()["error"]) == (409, "qa_closed")
    assert (await api.get(f"/api/v1/sessions/{code}")).json()["qa"]["open"] is False


async def test_the_limit_counts_questions_per_participant(api: LivepollClient) -> None:
    code, _ = await qa_session(api, max_per_participant=1)
    phone = await phone_of(api, code)
    assert (await ask(phone, code, "Jedno")).status_code == 201
    limited = await ask(phone, code, "Drugie")
    assert (limited.status_code, limited.json()["error"]) == (409, "limit_reached")


async def test_upvotes_are_exact_and_one_per_participant(api: LivepollClient) -> None:
    """100 participants upvote one question at once: exactly 100; one participant's 50 concurrent upvotes
    count once; a withdrawal takes it back; a hidden or pending question cannot be upvoted (404). (An upvote
    is a cookie-authenticated change: its POST is JSON, here `{}`.)"""
    code, key = await qa_session(api)
    asker = await phone_of(api, code)
    question = (await ask(asker, code, "Najważniejsze?")).json()["id"]
    phones = [await phone_of(api, code) for _ in range(100)]
    path = f"/api/v1/sessions/{code}/qa/{question}/upvote"
    answers = await asyncio.gather(*(p.post(path, json={}) for p in phones))
    assert {a.status_code for a in answers} == {200}
    assert max(a.json()["upvotes"] for a in answers) == 100
    same = await asyncio.gather(*(phones[0].post(path, json={}) for _ in range(50)))
    assert {a.json()["upvotes"] for a in same} == {100}
    withdrawn = await phones[1].delete(path)
    assert withdrawn.json() == {"upvotes": 99}
    listed = (await phones[0].get(f"/api/v1/sessions/{code}/qa")).json()
    assert listed[0]["upvotes"] == 99 and listed[0]["upvoted"] is True
    await api.post(f"/api/v1/sessions/{code}/qa/{question}/control", json={"action": "hide"},
                   headers=api.host_headers(key))
    hidden = await phones[2].post(path, json={})
    assert (hidden.status_code, hidden.json()["error"]) == (404, "not_found")


@pytest.mark.fault
async def test_upvotes_from_two_processes_on_one_redis_are_exact(
    make_server: Callable[..., ServerProcess], redis_server: RedisServer
) -> None:
    first = make_server("redis")
    second = make_server("redis", redis_prefix=first.redis_prefix)
    async with LivepollClient(first) as api_a, LivepollClient(second) as api_b:
        code, _ = await qa_session(api_a)
        question = (await ask(await phone_of(api_a, code), code, "Razem?")).json()["id"]
        phones = [await phone_of(api_a if n % 2 else api_b, code) for n in range(120)]
        path = f"/api/v1/sessions/{code}/qa/{question}/upvote"
        everyone = [p.post(path, json={}) for p in phones]
        await asyncio.gather(*everyone, *(phones[0].post(path, json={}) for _ in range(20)))
        for api in (api_a, api_b):
            assert (await api.participant().get(f"/api/v1/sessions/{code}/qa")).json()[0]["upvotes"] == 120


async def frames(ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if frame["type"] == "qa" and predicate(frame):
                return frame


async def test_moderation_keeps_pending_questions_off_every_screen(api: LivepollClient, server: ServerProcess) -> None:
    """In a moderated session a question is pending: not on phones, not on the presenter, only in the host's
    list (with who asked); approved, it reaches both; hidden, it leaves both within a second; pinned comes
    first and one pin at a time; answered keeps its place in the list."""
    code, key = await qa_session(api, moderated=True)
    phone = await phone_of(api, code)
    async with (
        connect(server.ws_url(f"/ws/v1/sessions/{code}"), additional_headers={"Cookie": cookie_of(phone)},
                proxy=None) as participant,
        connect(server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}"), proxy=None) as screen,
        connect(server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}&view=host"), proxy=None) as host,
    ):
        asked = await ask(phone, code, "Czy będzie nagranie?")
        assert asked.json()["status"] == "pending"
        question = asked.json()["id"]
        pending = await frames(host, lambda f: len(f["questions"]) == 1)
        assert pending["questions"][0]["status"] == "pending" and pending["pending"] == 1
        assert pending["questions"][0]["participant"]
        public = (await phone.get(f"/api/v1/sessions/{code}/qa")).json()
        assert public == []
        host_list = (await api.get(f"/api/v1/sessions/{code}/qa", headers=api.host_headers(key))).json()
        assert [(q["status"], len(q["participant"])) for q in host_list] == [("pending", 16)]
        control = f"/api/v1/sessions/{code}/qa/{question}/control"
        assert (await api.post(control, json={"action": "approve"}, headers=api.host_headers(key))).status_code == 204
        for ws in (participant, screen):
            shown = await frames(ws, lambda f: len(f["questions"]) == 1)
            entry = shown["questions"][0]
            assert entry["text"] == "Czy będzie nagranie?" and "participant" not in entry
        started = time.monotonic()
        await api.post(control, json={"action": "hide"}, headers=api.host_headers(key))
        for ws in (participant, screen):
            await frames(ws, lambda f: f["questions"] == [])
        assert time.monotonic() - started < WAIT
    second = (await ask(await phone_of(api, code), code, "Drugie?")).json()["id"]
    for action, target in (("restore", question), ("approve", second), ("pin", second), ("pin", question),
                           ("answered", second)):
        response = await api.post(f"/api/v1/sessions/{code}/qa/{target}/control", json={"action": action},
                                  headers=api.host_headers(key))
        assert response.status_code == 204
    listed = (await phone.get(f"/api/v1/sessions/{code}/qa")).json()
    assert [(q["id"], q["status"]) for q in listed] == [(question, "pinned"), (second, "answered")]
    unknown = await api.post(f"/api/v1/sessions/{code}/qa/nope/control", json={"action": "pin"},
                             headers=api.host_headers(key))
    assert unknown.status_code == 404
    refused = await phone.post(f"/api/v1/sessions/{code}/qa/{second}/control", json={"action": "hide"})
    assert refused.status_code == 401


async def test_order_ties_and_the_csv(api: LivepollClient) -> None:
    """Popular order: upvotes, then newer first; `?sort=recent` newest first; a blocklisted question is held
    hidden and listed for the host as blocked; qa.csv has every question with pseudonyms and times."""
    code, key = await qa_session(api)
    phones = [await phone_of(api, code) for _ in range(4)]
    ids = [(await ask(p, code, f"Pytanie {n}", name=f"Osoba {n}")).json()["id"] for n, p in enumerate(phones[:3])]
    blocked = await ask(phones[3], code, "ty kurwa")
    assert blocked.json()["status"] == "pending"
    await phones[3].post(f"/api/v1/sessions/{code}/qa/{ids[0]}/upvote", json={})
    listed = [q["id"] for q in (await phones[0].get(f"/api/v1/sessions/{code}/qa")).json()]
    assert listed == [ids[0], ids[2], ids[1]]  # upvoted first, then the newer of two ties
    recent = [q["id"] for q in (await phones[0].get(f"/api/v1/sessions/{code}/qa?sort=recent")).json()]
    assert recent == [ids[2], ids[1], ids[0]]
    host = (await api.get(f"/api/v1/sessions/{code}/qa", headers=api.host_headers(key))).json()
    held = [q for q in host if q["id"] == blocked.json()["id"]]
    assert held and held[0]["status"] == "hidden" and held[0]["blocked"] is True
    body = await api.export(code, key, "qa.csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["id", "text", "name", "upvotes", "status", "participant", "created_at", "answered_at"]
    assert [r[0] for r in rows[1:]] == [*ids, blocked.json()["id"]]
    assert rows[1][3] == "1" and rows[4][4] == "hidden" and all(len(r[5]) == 16 for r in rows[1:])
    semicolon = await api.export(code, key, "qa.csv", delimiter="semicolon")
    assert semicolon.startswith("\ufeffid;text;".encode())


async def test_a_session_without_qa_has_none(api: LivepollClient) -> None:
    code, key, body = await api.create_session()
    assert body["qa"] == {"enabled": False, "open": False, "moderated": False}
    phone = await phone_of(api, code)
    response = await ask(phone, code, "Jest tu Q&A?")
    assert (response.status_code, response.json()["error"]) == (404, "qa_disabled")
    control = await api.post(f"/api/v1/sessions/{code}/control", json={"action": "show_qa"},
                             headers=api.host_headers(key))
    assert control.status_code == 409
