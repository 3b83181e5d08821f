"""The doors that take a join code (web/doors.py), against real servers on both backends: a room behind one
address gets in, guessing stays slow on every door, join tokens and joined browsers are never refused, host
doors tell nothing about codes, cross-site ballots are refused, and the admin login is throttled and bound
to its token.

Every test that guesses does it from a loopback address of its own (`support.addresses`), so it starts with
a full budget and leaves the budget of 127.0.0.1, which every other test uses, untouched.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from support.addresses import client_from, unique_address
from support.server import ADMIN_TOKEN, LivepollClient, ServerProcess
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

pytestmark = pytest.mark.timeout(300)

# The budgets docs/api.md promises ("Limits"): join codes 120 misses, 1 back per second, cooling >= 10 s;
# admin tokens 20 wrong ones. (test_budget_arithmetic... checks that livepoll.web.limits says the same.)
BURST = 120
REFILL = 1.0
COOLING = 10.0
ADMIN_BURST = 20
WAIT = 10.0
# A socket the server let in (it sent its first frame); otherwise a knock on a socket door is its close code.
ACCEPTED = 0
# More knocks than any door may answer before it refuses: a door that never refuses fails the test.
MAX_KNOCKS = 3 * BURST


def missing_code(n: int) -> str:
    """A well-formed join code that no session has (real codes never start with 0)."""
    return f"0{n % 10_000_000:07d}"


def cookie_header(client: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def socket_outcome(url: str, address: str, cookie: str | None = None) -> int:
    """ACCEPTED if the socket got its first frame, else the code it was closed with (or the HTTP status of a
    refused handshake)."""
    headers = {"Cookie": cookie} if cookie else None
    try:
        async with connect(
            url, local_addr=(address, 0), additional_headers=headers, proxy=None, compression=None,
            open_timeout=WAIT, close_timeout=2,
        ) as ws:
            try:
                await asyncio.wait_for(ws.recv(), WAIT)
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd is not None else 1006
            return ACCEPTED
    except InvalidStatus as refused:
        return refused.response.status_code


# The doors -------------------------------------------------------------------------------------------------


@dataclass
class Visitor:
    """One address knocking on the doors of one server, with a participant cookie (a phone)."""

    server: ServerProcess
    address: str
    client: LivepollClient

    @classmethod
    async def of(cls, server: ServerProcess, client: LivepollClient, address: str) -> Visitor:
        # A ballot without a participant cookie is refused (401) before any door, with a fresh cookie.
        ballot = {"question": "q1", "choices": ["o1"]}
        seed = await client.post(f"/api/v1/sessions/{missing_code(0)}/votes", json=ballot)
        assert seed.status_code == 401 and "lp_pid" in client.cookies, seed.text
        return cls(server, address, client)

    async def knock(self, door: str, code: str, key: str = "not-the-key") -> int:
        """The status (or socket close code) one door answers for `code` (host doors: with `key`)."""
        c, own = self.client, {"Origin": self.server.origin}
        bearer = {"Authorization": f"Bearer {key}"}
        ballot = {"question": "q1", "choices": ["o1"]}
        if door == "api_session":
            response = await c.get(f"/api/v1/sessions/{code}")
        elif door == "api_qr":
            response = await c.get(f"/api/v1/sessions/{code}/qr.svg")
        elif door == "api_vote":
            response = await c.post(f"/api/v1/sessions/{code}/votes", json=ballot)
        elif door in ("api_results", "api_export", "api_responses"):
            suffix = {"api_results": "results", "api_export": "export.csv", "api_responses": "responses.csv"}[door]
            response = await c.get(f"/api/v1/sessions/{code}/{suffix}", headers=bearer)
        elif door == "api_control":
            response = await c.post(f"/api/v1/sessions/{code}/control", json={"action": "close"}, headers=bearer)
        elif door == "api_delete":
            response = await c.delete(f"/api/v1/sessions/{code}", headers=bearer)
        elif door == "page_participant":
            response = await c.get(f"/{code}")
        elif door == "page_vote":
            response = await c.post(f"/{code}/vote", data={"question": "q1", "choices": "o1"}, headers=own)
        elif door in ("page_present", "page_host"):
            prefix = "/present" if door == "page_present" else "/host"
            response = await c.get(f"{prefix}/{code}", params={"key": key})
        elif door == "page_control":
            response = await c.post(f"/host/{code}/control", data={"action": "close"},
                                    headers={**own, "Cookie": f"{cookie_header(c)}; lp_host_{code}={key}"})
        elif door == "ws_participant":
            return await socket_outcome(self.server.ws_url(f"/ws/v1/sessions/{code}"), self.address)
        elif door == "ws_presenter":
            return await socket_outcome(self.server.ws_url(f"/ws/v1/sessions/{code}/presenter?key={key}"), self.address)
        else:
            raise ValueError(door)
        return response.status_code


# door -> (answer to a miss, answer while the address cools)
PUBLIC_DOORS = {
    "api_session": (404, 429), "api_qr": (404, 429), "api_vote": (404, 429),
    "page_participant": (404, 429), "page_vote": (404, 429), "ws_participant": (4404, 4429),
}
HOST_DOORS = {
    "api_results": (403, 429), "api_export": (403, 429), "api_responses": (403, 429), "api_control": (403, 429),
    "api_delete": (403, 429), "page_present": (303, 429), "page_host": (303, 429), "page_control": (403, 429),
    "ws_presenter": (4403, 4429),
}
DOORS = {**PUBLIC_DOORS, **HOST_DOORS}


@dataclass
class Exhaustion:
    answered: int  # misses answered before the first refusal
    started: float  # when the first miss was sent (client clock)
    refused_at: float  # when the first refusal arrived


async def knock_until_refused(visitor: Visitor, door: str, first: int = 1) -> Exhaustion:
    """Misses on one door, one after another, until it refuses (fails if it never does)."""
    missed, refused = DOORS[door]
    started = time.monotonic()
    for n in range(MAX_KNOCKS):
        status = await visitor.knock(door, missing_code(first + n))
        if status == refused:
            return Exhaustion(n, started, time.monotonic())
        assert status == missed, (door, n, status)
    raise AssertionError(f"{door}: {MAX_KNOCKS} misses and never refused: this door does not count misses")


def assert_burst(door: str, spent: Exhaustion) -> None:
    """The first BURST misses are answered; at most one more per second of knocking (the refill)."""
    elapsed = spent.refused_at - spent.started
    assert BURST <= spent.answered <= BURST + REFILL * elapsed + 1, (door, spent.answered, elapsed)


# A room gets in ----------------------------------------------------------------------------------------------


async def test_a_room_of_600_phones_behind_one_address_gets_in(api: LivepollClient, server: ServerProcess) -> None:
    """L5: 600 phones behind one city-hall address type the code (the participant page), a tenth of them
    mistype it once first: every phone gets the session."""
    code, _, _ = await api.create_session()
    async with client_from(server, unique_address()) as room:

        async def phone(n: int) -> list[int]:
            browser = room.participant()
            statuses = []
            if n % 10 == 0:
                statuses.append((await browser.get(f"/{missing_code(n)}")).status_code)
            statuses.append((await browser.get(f"/{code}")).status_code)
            return statuses

        outcomes: list[list[int]] = []
        for wave in range(0, 600, 50):
            outcomes += await asyncio.gather(*(phone(n) for n in range(wave, wave + 50)))
    assert sum(len(o) == 2 for o in outcomes) == 60
    assert all(o[0] == 404 for o in outcomes if len(o) == 2)
    assert [o[-1] for o in outcomes] == [200] * 600


# Guessing stays slow -----------------------------------------------------------------------------------------


async def test_guesser_past_the_burst_gets_429_for_valid_and_missing_codes_on_every_door(
    api: LivepollClient, server: ServerProcess
) -> None:
    """B11: past its burst an address is refused (429, Retry-After) on every door, for the session's real code as
    for a missing one, so a refusal tells nothing; nothing is counted meanwhile. Without a key, host doors
    still answer 401 (no lookup), and the host with the right key is never refused."""
    code, key, _ = await api.create_session()
    address = unique_address()
    async with client_from(server, address) as client:
        visitor = await Visitor.of(server, client, address)
        assert_burst("api_session", await knock_until_refused(visitor, "api_session"))
        refused = await client.get(f"/api/v1/sessions/{code}")
        assert refused.status_code == 429 and refused.json()["error"] == "too_many_attempts"
        assert int(refused.headers["retry-after"]) >= 1
        for door, (_, cooling) in DOORS.items():
            # A wrong key on a host door is a miss too: it keeps the address cooling while the test looks.
            assert await visitor.knock("api_results", missing_code(1)) == 429
            assert await visitor.knock(door, code) == cooling, door
            assert await visitor.knock(door, missing_code(7)) == cooling, door
        for suffix in ("results", "export.csv", "responses.csv"):
            assert (await client.get(f"/api/v1/sessions/{code}/{suffix}")).status_code == 401
        assert (await client.delete(f"/api/v1/sessions/{missing_code(3)}")).status_code == 401
        assert (await client.get(f"/api/v1/sessions/{code}/results", params={"key": key})).status_code == 200
        assert await visitor.knock("page_present", code, key) == 303
        assert await visitor.knock("ws_presenter", code, key) == ACCEPTED
    assert await api.votes(code, key) == ({"o1": 0, "o2": 0, "o3": 0}, 0)
    assert (await api.results(code, key))["state"]["voting_open"] is True  # type: ignore[index]


async def test_sustained_guessing_is_at_most_one_per_second(api: LivepollClient, server: ServerProcess) -> None:
    """B11: after the burst the address cools (every answer 429 for COOLING seconds), then gets its refill back:
    over the whole run, codes looked up <= burst + 1 + 1 per second."""
    address = unique_address()
    async with client_from(server, address) as client:
        visitor = await Visitor.of(server, client, address)
        spent = await knock_until_refused(visitor, "api_session")
        assert_burst("api_session", spent)
        later: list[tuple[float, float, int]] = []  # (sent, answered, status) of each later guess
        n = spent.answered + 1
        while time.monotonic() < spent.refused_at + COOLING + 4:
            sent = time.monotonic()
            status = await visitor.knock("api_session", missing_code(1000 + n))
            later.append((sent, time.monotonic(), status))
            assert status in (404, 429), status
            n += 1
            await asyncio.sleep(0.1)  # pacing the guesser (at most 10 a second), not synchronisation
        ended = time.monotonic()
    assert len(later) <= 10 * (COOLING + 5)
    # Cooling: nothing answered for COOLING seconds after the refusal (minus the time that refusal took).
    cooling_until = spent.refused_at + COOLING - (spent.refused_at - spent.started) / max(spent.answered, 1) - 0.5
    assert all(status == 429 for sent, _, status in later if sent < cooling_until)
    looked_up = spent.answered + 1 + sum(status == 404 for _, _, status in later)
    assert looked_up <= BURST + 1 + REFILL * (ended - spent.started) + 1, (looked_up, ended - spent.started)
    # ... and the address is not banned: the refill lets it guess again after the cooling.
    assert any(status == 404 for _, _, status in later)


@pytest.mark.parametrize("door", list(DOORS))
async def test_every_door_counts_misses_against_the_same_budget(
    api: LivepollClient, server: ServerProcess, door: str
) -> None:
    """B11: misses on any one door (unknown codes; on host doors a key to an unknown code) spend the address's
    budget: past the burst that door refuses, and so does every other door."""
    code, _, _ = await api.create_session()
    address = unique_address()
    async with client_from(server, address) as client:
        visitor = await Visitor.of(server, client, address)
        assert_burst(door, await knock_until_refused(visitor, door))
        other = "page_participant" if door != "page_participant" else "api_session"
        assert await visitor.knock(other, code) == 429


async def test_host_doors_answer_the_same_for_existing_and_missing_codes(
    api: LivepollClient, server: ServerProcess
) -> None:
    """Without a key: 401 (API) / the 403 page / close 4403, without looking the code up; with a wrong key:
    403 / the wrong-key redirect / 4403, for an existing session exactly as for a missing code."""
    code, _, _ = await api.create_session()
    address = unique_address()
    async with client_from(server, address) as client:
        visitor = await Visitor.of(server, client, address)
        for target in (code, missing_code(5)):
            for suffix in ("/results", "/export.csv", "/responses.csv"):
                response = await client.get(f"/api/v1/sessions/{target}{suffix}")
                assert (response.status_code, response.json()["error"]) == (401, "host_key_required")
            for method, suffix in (("POST", "/control"), ("DELETE", "")):
                response = await client.request(method, f"/api/v1/sessions/{target}{suffix}", json={"action": "close"})
                assert (response.status_code, response.json()["error"]) == (401, "host_key_required")
            assert (await client.get(f"/host/{target}")).status_code == 403
            assert (await client.get(f"/present/{target}")).status_code == 403
            assert await socket_outcome(server.ws_url(f"/ws/v1/sessions/{target}/presenter"), address) == 4403
            for door, (missed, _) in HOST_DOORS.items():
                assert await visitor.knock(door, target) == missed, (door, target)
            redirect = await client.get(f"/present/{target}", params={"key": "nope"})
            assert redirect.headers["location"] == f"/present/{target}?wrong_key=1"


# Never refused: join tokens and joined browsers ---------------------------------------------------------------


async def test_join_token_and_joined_participant_are_never_refused_while_the_address_cools(
    api: LivepollClient, server: ServerProcess
) -> None:
    """While the address cools: a phone that joined before keeps reading, voting and connecting; a phone that
    follows the join link (or its QR code) gets in and is remembered; a forged token, another session's
    token, or a joined cookie of another session get 429."""
    code, key, body = await api.create_session()
    other, _, other_body = await api.create_session()
    join_link = body["links"]["join"]  # type: ignore[index]
    carries_token = re.fullmatch(rf".*/{code}\?t=(.+)", join_link)
    assert carries_token, join_link
    token = carries_token.group(1)
    other_token = other_body["links"]["join"].rsplit("=", 1)[1]  # type: ignore[index]
    address = unique_address()
    async with client_from(server, address) as client:
        joined = client.participant()
        await joined.join(code)
        assert "lp_joined" in joined.cookies
        visitor = await Visitor.of(server, client, address)
        await knock_until_refused(visitor, "api_session")

        stranger = client.participant()
        assert (await stranger.get(f"/api/v1/sessions/{code}")).status_code == 429
        # The phone that joined before the address started cooling.
        assert (await joined.get(f"/api/v1/sessions/{code}")).status_code == 200
        assert (await joined.get(f"/{code}")).status_code == 200
        assert (await joined.vote(code, "q1", ["o2"])).status_code == 200
        assert (await joined.get(f"/api/v1/sessions/{other}")).status_code == 429  # joined A is not joined B
        url = server.ws_url(f"/ws/v1/sessions/{code}")
        assert await socket_outcome(url, address, cookie_header(joined)) == ACCEPTED
        # Phones that follow the join link (or scan the QR code).
        scanned = client.participant()
        assert (await scanned.get(join_link.removeprefix(server.base_url))).status_code == 200
        assert (await scanned.get(f"/api/v1/sessions/{code}")).status_code == 200  # remembered from now on
        assert (await scanned.vote(code, "q1", ["o1"])).status_code == 200
        linked = client.participant()
        assert (await linked.get(f"/api/v1/sessions/{code}", params={"t": token})).status_code == 200
        assert (await linked.get(f"/api/v1/sessions/{code}/qr.svg", params={"t": token})).status_code == 200
        assert await socket_outcome(f"{url}?t={token}", address) == ACCEPTED
        # Tokens cannot be forged or moved to another session.
        for wrong in ("A" * 16, other_token, token[:-1]):
            assert (await client.participant().get(f"/{code}", params={"t": wrong})).status_code == 429
        assert (await client.participant().get(f"/{other}", params={"t": token})).status_code == 429
        assert await socket_outcome(f"{url}?t={other_token}", address) == 4429
    assert await api.votes(code, key) == ({"o1": 1, "o2": 1, "o3": 0}, 2)


# Many processes, one budget ----------------------------------------------------------------------------------


async def test_two_processes_on_one_redis_share_the_budget(
    make_server: Callable[..., ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """B11: misses spread over two processes behind one load balancer spend one budget: together they answer
    no more than the burst (plus the refill), then both refuse, the real code too."""
    first = make_server("redis")
    second = make_server("redis", redis_prefix=first.redis_prefix)
    code, _, _ = await client_for(first).create_session()
    address = unique_address()
    async with client_from(first, address) as to_first, client_from(second, address) as to_second:
        started, answered = time.monotonic(), 0
        for n in range(MAX_KNOCKS):
            client = (to_first, to_second)[n % 2]
            status = (await client.get(f"/api/v1/sessions/{missing_code(n)}")).status_code
            if status == 429:
                break
            assert status == 404, status
            answered += 1
        elapsed = time.monotonic() - started
        assert BURST <= answered <= BURST + REFILL * elapsed + 1, (answered, elapsed)
        assert (await to_first.get(f"/api/v1/sessions/{code}")).status_code == 429
        assert (await to_second.get(f"/api/v1/sessions/{code}")).status_code == 429


async def test_redis_keeps_a_keyed_hash_of_the_address_and_only_until_the_budget_is_full(
    make_server: Callable[..., ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """IP addresses are personal data: Redis holds no address in clear, only a budget under a keyed hash of
    it, with a TTL of the time until the budget is full again (3 misses: 3 s); valid codes record nothing."""
    import redis.asyncio

    server = make_server("redis")
    code, _, _ = await client_for(server).create_session()
    address, honest = unique_address(), unique_address()
    async with client_from(server, honest) as phone:
        assert (await phone.get(f"/api/v1/sessions/{code}")).status_code == 200
    store = redis.asyncio.Redis.from_url(str(server.redis_url), decode_responses=True)
    try:
        assert await store.keys(f"{server.redis_prefix}:guesses:*") == []
        async with client_from(server, address) as guesser:
            for n in range(3):
                assert (await guesser.get(f"/api/v1/sessions/{missing_code(n)}")).status_code == 404
        keys = await store.keys(f"{server.redis_prefix}:guesses:*")
        assert len(keys) == 1, keys
        stored = " ".join([keys[0], *(await store.hgetall(keys[0])).values()])
        assert address not in stored and honest not in stored, stored
        assert 0 < await store.pttl(keys[0]) <= 3000 / REFILL
    finally:
        await store.aclose()


# Cross-site ballots ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({"Origin": "https://evil.example"}, 403, "foreign_origin"),
        ({"Origin": "null"}, 403, "foreign_origin"),
        ({"Sec-Fetch-Site": "cross-site"}, 403, "foreign_origin"),
        ({"Sec-Fetch-Site": "same-site"}, 403, "foreign_origin"),
        ({"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
    ],
    ids=["foreign-origin", "origin-null", "fetch-cross-site", "fetch-same-site", "text-plain", "form"],
)
async def test_cookie_ballot_from_another_site_or_not_json_is_refused(
    api: LivepollClient, server: ServerProcess, headers: dict[str, str], status: int, error: str
) -> None:
    """B15: a ballot carried by the participant cookie is refused when a browser says another site or origin sent
    it, or when it is not JSON (what a page elsewhere can send without a preflight); nothing changes. The
    same ballot as JSON from the server's own page (Origin, or Sec-Fetch-Site: same-origin) or from a
    script that sends neither header is counted."""
    code, key, _ = await api.create_session(allow_change=True)
    phone = api.participant()
    await phone.join(code)
    assert (await phone.vote(code, "q1", ["o1"])).status_code == 200
    ballot = b'{"question": "q1", "choices": ["o2"]}'
    votes = f"/api/v1/sessions/{code}/votes"
    response = await phone.post(votes, content=ballot, headers={"Content-Type": "application/json", **headers})
    assert (response.status_code, response.json().get("error")) == (status, error), response.text
    assert await api.votes(code, key) == ({"o1": 1, "o2": 0, "o3": 0}, 1)
    for choice, own in (("o2", {"Origin": server.origin}), ("o3", {"Sec-Fetch-Site": "same-origin"}), ("o1", {})):
        response = await phone.post(votes, json={"question": "q1", "choices": [choice]}, headers=own)
        assert response.status_code == 200, response.text
        assert await api.votes(code, key) == ({"o1": 0, "o2": 0, "o3": 0, choice: 1}, 1)


async def test_host_and_admin_cookies_change_nothing_without_json_or_from_another_site(
    api: LivepollClient, server: ServerProcess
) -> None:
    """B15: the same guard on host and admin changes that a cookie authenticates: control (host cookie) and
    create (admin cookie) need the own origin and JSON; the host key in a header keeps working for scripts."""
    code, key, _ = await api.create_session()
    host = api.participant()
    host.cookies.set(f"lp_host_{code}", key)
    body = b'{"action": "close"}'
    for headers, status in (({"Content-Type": "text/plain"}, 415), ({"Sec-Fetch-Site": "cross-site"}, 403),
                            ({"Origin": "null"}, 403)):
        response = await host.post(f"/api/v1/sessions/{code}/control", content=body,
                                   headers={"Content-Type": "application/json", **headers})
        assert response.status_code == status, response.text
    assert (await api.results(code, key))["state"]["voting_open"] is True  # type: ignore[index]
    admin = api.participant()
    login = await admin.post("/host", data={"token": ADMIN_TOKEN}, headers={"Origin": server.origin})
    assert login.status_code == 303
    create = b'{"title": "x", "questions": [{"kind": "choice", "text": "q", "options": ["a", "b"]}]}'
    response = await admin.post("/api/v1/sessions", content=create, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415, response.text
    response = await admin.post("/api/v1/sessions", content=create,
                                headers={"Content-Type": "application/json", "Origin": server.origin})
    assert response.status_code == 201, response.text
    response = await api.post(f"/api/v1/sessions/{code}/control", content=body, headers=api.host_headers(key))
    assert response.status_code == 200 and response.json()["voting_open"] is False


# Admin login -------------------------------------------------------------------------------------------------


async def test_admin_token_guessing_is_throttled_on_the_form_and_the_api(
    api: LivepollClient, server: ServerProcess
) -> None:
    """Wrong admin tokens, on the login form and as a Bearer on admin routes, spend one budget: past it every
    token is refused (429), the right one too; another address logs in as before."""
    burst = ADMIN_BURST
    async with client_from(server, unique_address()) as client:
        own = {"Origin": server.origin}
        statuses = [(await client.post("/host", data={"token": f"wrong-{n}"}, headers=own)).status_code
                    for n in range(burst // 2)]
        for n in range(3 * burst):
            response = await client.get("/api/v1/sessions", headers=api.admin_headers(f"wrong-{n}"))
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[:burst] == [401] * burst and statuses[-1] == 429, statuses
        assert len(statuses) <= burst + 2, statuses
        right = await client.post("/host", data={"token": ADMIN_TOKEN}, headers=own)
        assert right.status_code == 429 and "lp_admin" not in right.cookies
        assert int(right.headers["retry-after"]) >= 1
        assert (await client.get("/api/v1/sessions", headers=api.admin_headers())).status_code == 429
    async with client_from(server, unique_address()) as elsewhere:
        assert (await elsewhere.post("/host", data={"token": ADMIN_TOKEN}, headers=own)).status_code == 303


async def test_admin_cookie_stops_working_when_the_token_changes(
    make_server: Callable[..., ServerProcess], client_for: Callable[[ServerProcess], LivepollClient]
) -> None:
    """The admin login cookie is bound to the admin token it was issued under: it survives a restart with
    the same token, and a restart with a new token revokes it."""
    server = make_server("embedded")
    api = client_for(server)
    code, _, _ = await api.create_session(title="Only for admins")
    browser = api.participant()
    login = await browser.post("/host", data={"token": server.admin_token}, headers={"Origin": server.origin})
    assert login.status_code == 303 and "lp_admin" in browser.cookies

    async def logged_in() -> bool:
        listing = await browser.get("/host")
        panel = await browser.get(f"/host/{code}")
        assert ("Only for admins" in listing.text) == (panel.status_code == 200), panel.status_code
        return panel.status_code == 200

    assert await logged_in()
    server.restart()
    assert await logged_in()
    server.admin_token = "rotated-admin-token-5f1e"
    server.restart()
    assert not await logged_in()
    create = await browser.post("/api/v1/sessions", json={"title": "x", "questions": [
        {"kind": "choice", "text": "q", "options": ["a", "b"]}]}, headers={"Origin": server.origin})
    assert create.status_code == 401, create.text


# The limiter itself --------------------------------------------------------------------------------------------


def test_budget_arithmetic_keeps_a_room_in_and_a_guesser_at_one_per_second() -> None:
    """The bucket arithmetic (the embedded backend's; the Redis script mirrors it), over simulated time:
    60 mistypes at one instant leave the room in; a guesser that knocks every 10 ms for an hour, even one
    that fires 500 requests at once, gets no more than burst + 1 + 1/s (+ what it had in flight)."""
    from livepoll.backends.guesses import GuessBuckets
    from livepoll.web.limits import ADMIN_GUESSES, CODE_GUESSES

    codes = CODE_GUESSES
    assert (codes.burst, codes.refill_per_second, codes.cooling_seconds) == (BURST, REFILL, COOLING)
    assert ADMIN_GUESSES.burst == ADMIN_BURST
    room = GuessBuckets()
    assert all(room.spend(codes, "room", 1, 100.0) == 0 for _ in range(60))
    assert room.spend(codes, "room", 0, 100.0) == 0

    for in_flight in (0, 500):
        buckets, now, looked_up, hour = GuessBuckets(), 0.0, 0, 3600.0
        if in_flight:
            for _ in range(in_flight):
                buckets.spend(codes, "guesser", 1, now)
            looked_up += in_flight
        while now < hour:
            if buckets.spend(codes, "guesser", 0, now) == 0:
                buckets.spend(codes, "guesser", 1, now)
                looked_up += 1
            now += 0.01
        assert looked_up <= BURST + 1 + REFILL * hour + in_flight, (in_flight, looked_up)
        assert looked_up >= REFILL * hour * 0.95  # not a ban: the refill is paid out
    assert len(buckets) == 1


async def test_limiter_fails_open_and_logs_once_when_redis_does_not_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A limiter outage must not lock a room out: if Redis does not answer, lookups go ahead (wait 0), and
    the outage is logged once, not once per request."""
    from starlette.requests import Request
    from support.server import free_port

    from livepoll.backends.redis import RedisBackend
    from livepoll.web.limits import CODE_GUESSES, GuessLimiter

    backend = RedisBackend(f"redis://127.0.0.1:{free_port()}/0", prefix="lpt-down", timeout=0.5, probe_interval=None)
    await backend.start()
    try:
        limiter = GuessLimiter(backend, "secret")
        conn = Request({"type": "http", "client": ("127.0.0.9", 5555), "headers": [], "path": "/", "query_string": b""})
        with caplog.at_level(logging.WARNING, logger="livepoll.limits"):
            assert await limiter.miss(conn, CODE_GUESSES) == 0
            for _ in range(3):
                await limiter.refuse_while_cooling(conn, CODE_GUESSES)
        assert [r.name for r in caplog.records if r.name == "livepoll.limits"] == ["livepoll.limits"]
    finally:
        await backend.stop()
