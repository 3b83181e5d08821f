"""Who is asking: participant cookies, host keys, the admin login, and where a browser request came from."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from itsdangerous import BadSignature, Signer, TimestampSigner
from starlette.requests import HTTPConnection
from starlette.responses import Response

from livepoll.config import Settings
from livepoll.metrics import PARTICIPANT_IDS_ISSUED

PARTICIPANT_COOKIE = "lp_pid"
ADMIN_COOKIE = "lp_admin"
HOST_COOKIE_PREFIX = "lp_host_"
PARTICIPANT_MAX_AGE = 400 * 86400  # browsers cap cookie lifetime at 400 days
ADMIN_MAX_AGE = 12 * 3600


class Credentials:
    """Signs and checks the cookies this server issues."""

    def __init__(self, settings: Settings, secret: str, admin_token: str) -> None:
        self.settings = settings
        self.admin_token = admin_token
        self._participants = Signer(secret, salt="livepoll.participant")
        self._admin = TimestampSigner(secret, salt="livepoll.admin")

    # Participants ----------------------------------------------------------------------------------------

    def participant(self, conn: HTTPConnection) -> str | None:
        """The participant id from a valid signed cookie; None when it is missing, forged or tampered."""
        raw = conn.cookies.get(PARTICIPANT_COOKIE)
        if not raw:
            return None
        try:
            return self._participants.unsign(raw).decode()
        except BadSignature:
            return None

    def new_participant(self) -> tuple[str, str]:
        """A fresh participant id and its signed cookie value."""
        participant_id = secrets.token_urlsafe(16)
        PARTICIPANT_IDS_ISSUED.inc()
        return participant_id, self._participants.sign(participant_id).decode()

    def set_participant_cookie(self, response: Response, conn: HTTPConnection, value: str) -> None:
        response.set_cookie(
            PARTICIPANT_COOKIE, value, max_age=PARTICIPANT_MAX_AGE, httponly=True, samesite="lax",
            secure=self.secure(conn), path="/",
        )

    def ensure_participant(self, response: Response, conn: HTTPConnection) -> None:
        """Give a participant without a valid cookie a new id on this response."""
        if self.participant(conn) is None:
            _, cookie = self.new_participant()
            self.set_participant_cookie(response, conn, cookie)

    def participant_cookie_header(self, conn: HTTPConnection, value: str) -> tuple[bytes, bytes]:
        """The same cookie as a raw Set-Cookie header, for a WebSocket handshake response."""
        response = Response()
        self.set_participant_cookie(response, conn, value)
        return next((k, v) for k, v in response.raw_headers if k == b"set-cookie")

    # Hosts -----------------------------------------------------------------------------------------------

    def host_key(self, conn: HTTPConnection, code: str, *, cookie: bool = True) -> str | None:
        """A host key from `Authorization: Bearer`, then `?key=`, then (if allowed) the host cookie."""
        auth = conn.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip() or None
        key = conn.query_params.get("key")
        if key:
            return key
        if cookie:
            return conn.cookies.get(HOST_COOKIE_PREFIX + code) or None
        return None

    def set_host_cookie(self, response: Response, conn: HTTPConnection, code: str, host_key: str) -> None:
        response.set_cookie(
            HOST_COOKIE_PREFIX + code, host_key, max_age=ADMIN_MAX_AGE * 4, httponly=True, samesite="lax",
            secure=self.secure(conn), path="/",
        )

    # Admin -----------------------------------------------------------------------------------------------

    def admin_token_matches(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self.admin_token.encode())

    def is_admin(self, conn: HTTPConnection) -> bool:
        auth = conn.headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and self.admin_token_matches(auth[7:].strip()):
            return True
        raw = conn.cookies.get(ADMIN_COOKIE)
        if not raw:
            return False
        try:
            self._admin.unsign(raw, max_age=ADMIN_MAX_AGE)
        except BadSignature:
            return False
        return True

    def set_admin_cookie(self, response: Response, conn: HTTPConnection) -> None:
        response.set_cookie(
            ADMIN_COOKIE, self._admin.sign("admin").decode(), max_age=ADMIN_MAX_AGE, httponly=True,
            samesite="lax", secure=self.secure(conn), path="/",
        )

    # Origins ---------------------------------------------------------------------------------------------

    def own_origin(self, conn: HTTPConnection) -> str:
        if self.settings.public_url:
            parts = urlsplit(self.settings.public_url)
            return f"{parts.scheme}://{parts.netloc}"
        scheme = "https" if conn.url.scheme in ("https", "wss") else "http"
        return f"{scheme}://{conn.headers.get('host', '')}"

    def origin_allowed(self, origin: str) -> bool:
        return origin.rstrip("/") in self.settings.allowed_origins

    def same_origin(self, conn: HTTPConnection) -> bool | None:
        """True or False for a request that carries `Origin`; None for one without (not a browser)."""
        origin = conn.headers.get("origin")
        if origin is None:
            return None
        origin = origin.rstrip("/")
        return origin == self.own_origin(conn) or self.origin_allowed(origin)

    def secure(self, conn: HTTPConnection) -> bool:
        if self.settings.public_url:
            return self.settings.public_url.startswith("https://")
        return conn.url.scheme in ("https", "wss")

    def base_url(self, conn: HTTPConnection) -> str:
        """Where participants reach this server: LIVEPOLL_PUBLIC_URL behind a proxy, else the request's."""
        if self.settings.public_url:
            return self.settings.public_url
        scheme = "https" if conn.url.scheme in ("https", "wss") else "http"
        return f"{scheme}://{conn.headers.get('host', 'localhost')}"
