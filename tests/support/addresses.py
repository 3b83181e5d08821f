"""Clients that connect from a loopback source address of their own (127.0.0.0/8 is all loopback on Linux).

The server keeps a budget of wrong guesses per client address (web/limits.py), and the shared servers serve
every test from 127.0.0.1: a test that makes wrong guesses (unknown codes, wrong host keys, wrong admin
tokens) does it from `unique_address()`, so that it starts with a full budget and spends nobody else's.

    async with client_from(server, unique_address()) as guesser:
        await guesser.get("/api/v1/sessions/01234567")
    websockets.connect(url, local_addr=(address, 0))
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import AsyncIterator

import httpx

from support.server import LivepollClient, ServerProcess

# 127.<pid-based>.x.y: unique within this test run, and unlikely to meet another run's on a shared machine.
_SECOND_OCTET = 100 + os.getpid() % 100
_numbers = itertools.count(1)


def unique_address() -> str:
    """A loopback address no other test of this run uses."""
    n = next(_numbers)
    return f"127.{_SECOND_OCTET}.{n // 250 % 250}.{n % 250 + 1}"


@contextlib.asynccontextmanager
async def client_from(server: ServerProcess, address: str) -> AsyncIterator[LivepollClient]:
    """A LivepollClient whose connections come from `address`; `participant()` clients share them."""
    transport = httpx.AsyncHTTPTransport(
        local_address=address, trust_env=False,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
    )
    try:
        yield LivepollClient(server, transport)
    finally:
        await transport.aclose()
