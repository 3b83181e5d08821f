"""Logs hold no secret (B12 and P2 of shared/guides/reliability.md): after requests that carry the host key
and the admin token in every spelling the server accepts (or might), neither is in the server's log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.server import ADMIN_TOKEN, LivepollClient, ServerProcess
from websockets.asyncio.client import connect

from livepoll.logs import redact


def percent_encoded(text: str) -> str:
    """Every byte as %XX: what a client may send, and what Starlette decodes back to `text`."""
    return "".join(f"%{byte:02X}" for byte in text.encode())


async def test_logs_hold_no_host_key_or_admin_token(make_server: Callable[..., ServerProcess]) -> None:
    """B12/P2: the host key sent as `?%6Bey=`, `?k%65y=`, `?KEY=`, twice, percent-encoded, in a WebSocket URL,
    and the admin token as `?token=` and `?t=` (the join token's name), are in no line of the log."""
    server = make_server()
    async with LivepollClient(server) as api:
        code, key, _ = await api.create_session()
        browser = api.participant()
        # Starlette decodes parameter names: this one is `key` to the app, and it authenticates.
        exchanged = await browser.get(f"/present/{code}?%6Bey={key}")
        assert exchanged.status_code == 303 and "wrong_key" not in exchanged.headers["location"]
        results = f"/api/v1/sessions/{code}/results"
        for query in (f"k%65y={key}", f"key={key}&key={key}", f"key={percent_encoded(key)}",
                      f"delimiter=semicolon&%6B%65%79={percent_encoded(key)}"):
            response = await api.get(f"{results}?{query}")
            assert response.status_code == 200, (query, response.text)
        for path in (f"/host/{code}?KEY={key}", f"/{code}?t={ADMIN_TOKEN}", f"/host?token={ADMIN_TOKEN}",
                     f"/api/v1/sessions?token={percent_encoded(ADMIN_TOKEN)}", f"/nowhere?x=1?key={key}"):
            await api.get(path)
        async with connect(server.ws_url(f"/ws/v1/sessions/{code}/presenter?%6Bey={key}")) as socket:
            assert "type" in (await socket.recv())

    log = server.log_text()
    assert f"/present/{code}?%6Bey=[redacted]" in log, log[-2000:]  # the requests were logged, redacted
    assert "WebSocket" in log
    for secret in (key, percent_encoded(key), ADMIN_TOKEN, percent_encoded(ADMIN_TOKEN)):
        assert secret not in log, f"{secret!r} is in the server log"


@pytest.mark.parametrize(("logged", "expected"), [
    ("/p/1?%6Bey=SECRET", "/p/1?%6Bey=[redacted]"),
    ("/p?KEY=A&key=B&x=1", "/p?KEY=[redacted]&key=[redacted]&x=1"),
    ("/p?k%65y=%41%42&t=J&token=T&keys=1", "/p?k%65y=[redacted]&t=[redacted]&token=[redacted]&keys=1"),
    ('/p?x="&key=SECRET', '/p?x="&key=[redacted]'),
    ("/p?x=1?key=SECRET&y=2", "/p?x=1?key=[redacted]&y=2"),
    ("/p?key=SEC?RET&z=1", "/p?key=[redacted]&z=1"),
    ('127.0.0.1:1 - "WebSocket /ws?%20key=SECRET" [accepted]', '127.0.0.1:1 - "WebSocket /ws?%20key=[redacted]'),
    ("/p?monkey=banana&x", "/p?monkey=banana&x"),
])
def test_redact_decodes_names_before_it_compares(logged: str, expected: str) -> None:
    """B12: every spelling of a secret parameter that the app would read as one is redacted; others are kept."""
    assert redact(logged).startswith(expected)
    assert "SECRET" not in redact(logged)
