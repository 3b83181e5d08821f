"""Budgets of wrong guesses per address: join codes on every door, and the admin token.

Join codes (`CODE_GUESSES`): a token bucket of 120 misses per address, refilled at 1 per second; the miss
that overdraws it is answered 429 and starts a cooling period of at least 10 s. Why these numbers:

- A room gets in. A city hall's 600 phones behind one NAT type the code within a minute and a tenth of them
  mistype it once: 60 misses. Valid codes never spend the budget, so even if all 60 misses came at the same
  instant the bucket still holds 60 of its 120: nobody is refused. (Join links and QR codes carry a join
  token, and a browser that joined a session carries a signed cookie saying so: neither is ever refused,
  whatever the address did.)
- Guessing stays slow. Over any T seconds an address gets at most 121 + 1·T codes looked up (plus the
  requests it had in flight when the bucket was overdrawn, paid back by a longer cooling): a sustained rate
  of at most 1 guess per second. With 9·10^7 possible codes and 1,000 live sessions that is one hit in ~25 hours
  of uninterrupted guessing from one address.
- A 429 tells nothing. While an address cools, every typed-code lookup without a token is refused before
  the code is looked up, valid or not; a host door answers a wrong key the same way for an existing and a
  missing session (403, or 429 while cooling).

The admin token (`ADMIN_GUESSES`), on the login form and the admin routes: its own bucket of 20 wrong tokens,
refilled at one per 10 s (6 a minute), cooling for at least 60 s: a typo or two costs nothing; a dictionary
costs days. (Host doors also take the admin token; there a wrong one is a wrong host key, on the code budget.)

Addresses are personal data: the budget is kept under an HMAC of the address (IPv6 by its /64, what one
subscriber gets) keyed with the server secret, and forgotten as soon as the bucket would be full again
(at most burst ÷ refill: 2 minutes for codes, plus any cooling debt). On Redis all processes share one
budget; if Redis does not answer, lookups go ahead (fail open, logged once): a limiter outage must not lock
a room out.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math

from starlette.requests import HTTPConnection

from livepoll.backends.base import Backend, BackendUnavailable
from livepoll.backends.guesses import GuessBudget
from livepoll.model import PollError

log = logging.getLogger("livepoll.limits")

CODE_GUESSES = GuessBudget("codes", burst=120, refill_per_second=1.0, cooling_seconds=10.0)
ADMIN_GUESSES = GuessBudget("admin", burst=20, refill_per_second=0.1, cooling_seconds=60.0)
# Hex characters of the address HMAC kept as the key (128 bits: no collisions between addresses).
ADDRESS_KEY_CHARS = 32
IPV6_PREFIX = 64


class TooManyAttempts(PollError):
    """429: this address is cooling; `Retry-After` says for how long."""

    def __init__(self, wait: float) -> None:
        super().__init__(
            "too_many_attempts", "Too many wrong attempts from this network; wait a little and try again.", 429
        )
        self.retry_after = max(1, math.ceil(wait))
        self.headers = {"Retry-After": str(self.retry_after)}


def address_of(conn: HTTPConnection) -> str:
    """The address a budget belongs to: the client's IP, or its /64 for IPv6."""
    host = conn.client.host if conn.client else ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


class GuessLimiter:
    """Asks the backend about an address's budgets; never sees more of the address than its keyed hash."""

    def __init__(self, backend: Backend, secret: str) -> None:
        self.backend = backend
        self._key = secret.encode()
        self._outage_logged = False

    def address_key(self, conn: HTTPConnection) -> str:
        digest = hmac.new(self._key, b"livepoll.address\x00" + address_of(conn).encode(), hashlib.sha256)
        return digest.hexdigest()[:ADDRESS_KEY_CHARS]

    async def _spend(self, conn: HTTPConnection, budget: GuessBudget, misses: int) -> float:
        try:
            wait = await self.backend.spend_guess_budget(budget, self.address_key(conn), misses)
        except BackendUnavailable:
            if not self._outage_logged:
                log.warning("the guess budget store did not answer; letting lookups through until it does")
                self._outage_logged = True
            return 0.0
        if self._outage_logged:
            log.info("the guess budget store answers again")
            self._outage_logged = False
        return wait

    async def wait(self, conn: HTTPConnection, budget: GuessBudget) -> float:
        """Seconds this address must still wait before guessing again (0.0: it may)."""
        return await self._spend(conn, budget, 0)

    async def refuse_while_cooling(self, conn: HTTPConnection, budget: GuessBudget) -> None:
        wait = await self.wait(conn, budget)
        if wait > 0:
            raise TooManyAttempts(wait)

    async def miss(self, conn: HTTPConnection, budget: GuessBudget) -> float:
        """Count one wrong guess; returns the wait it leaves (> 0: the address now cools)."""
        return await self._spend(conn, budget, 1)


def limiter_of(conn: HTTPConnection) -> GuessLimiter:
    limiter: GuessLimiter = conn.app.state.guesses
    return limiter
