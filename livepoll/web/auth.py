"""Who is asking: participant cookies, join tokens, host keys, the admin login, and where a browser request
came from."""

from __future__ import annotations

import base64
import hashlib
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
JOINED_COOKIE = "lp_joined"
PARTICIPANT_MAX_AGE = 400 * 86400  # browsers cap cookie lifetime at 400 days
ADMIN_MAX_AGE = 12 * 3600
# The join token in join links and QR codes (`?t=`): an HMAC of the join code, cut to 96 bits (16 characters,
# a small QR code); forging one means guessing 2^96 values, far beyond the guessing budget.
JOIN_TOKEN_BYTES = 12
JOIN_TOKEN_PARAM = "t"
# Sessions a browser joined, in its own signed cookie (never stored on the server): the newest are kept. A
# webinar series lasts days, not months.
MAX_JOINED_SESSIONS = 20
JOINED_MAX_AGE = 7 * 86400
JOINED_SEPARATOR = "-"


class Credentials:
    """Signs and checks the cookies this server issues."""

    def __init__(self, settings: Settings, secret: str, admin_token: str) -> None:
        self.settings = settings
        self.admin_token = admin_token
        self._secret = secret.encode()
        self._participants = Signer(secret, salt="livepoll.participant")
        self._joined = Signer(secret, salt="livepoll.joined")
        self._admin = TimestampSigner(secret, salt="livepoll.admin")
        # The admin cookie carries this fingerprint of the token it was issued under: a new
        # LIVEPOLL_ADMIN_TOKEN revokes every admin login. An HMAC, so a stolen cookie does not help to guess a
        # weak token offline.
        self._admin_fingerprint = self._mac(b"livepoll.admin-cookie", admin_token).hex()[:32]

    def _mac(self, purpose: bytes, value: str) -> bytes:
        return hmac.new(self._secret, purpose + b"\x00" + value.encode(), hashlib.sha256).digest()

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

    # Joining -------------------------------------------------------------------------------------------------

    def join_token(self, code: str) -> str:
        """The token that join links and QR codes of this session carry; the guessing limit never blocks it."""
        digest = self._mac(b"livepoll.join", code)[:JOIN_TOKEN_BYTES]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def joined(self, conn: HTTPConnection) -> list[str]:
        """Codes of the sessions this browser joined (from its signed cookie; [] when missing or forged)."""
        raw = conn.cookies.get(JOINED_COOKIE)
        if not raw:
            return []
        try:
            value = self._joined.unsign(raw).decode()
        except BadSignature:
            return []
        return [code for code in value.split(JOINED_SEPARATOR) if code]

    def admitted(self, conn: HTTPConnection, code: str) -> bool:
        """Does this request carry the session's join token, or did this browser join the session before?"""
        token = conn.query_params.get(JOIN_TOKEN_PARAM)
        if token and hmac.compare_digest(token.encode(), self.join_token(code).encode()):
            return True
        return code in self.joined(conn)

    def _joined_cookie_value(self, conn: HTTPConnection, code: str) -> str | None:
        joined = self.joined(conn)
        if code in joined:
            return None
        kept = [*joined, code][-MAX_JOINED_SESSIONS:]
        return self._joined.sign(JOINED_SEPARATOR.join(kept)).decode()

    def remember_joined(self, response: Response, conn: HTTPConnection, code: str) -> None:
        """After a lookup of the session succeeded: this browser is never refused that session again."""
        value = self._joined_cookie_value(conn, code)
        if value is not None:
            response.set_cookie(
                JOINED_COOKIE, value, max_age=JOINED_MAX_AGE, httponly=True, samesite="lax",
                secure=self.secure(conn), path="/",
            )

    def joined_cookie_header(self, conn: HTTPConnection, code: str) -> tuple[bytes, bytes] | None:
        """The same cookie as a raw Set-Cookie header, for a WebSocket handshake response."""
        response = Response()
        self.remember_joined(response, conn, code)
        return next(((k, v) for k, v in response.raw_headers if k == b"set-cookie"), None)

    # Hosts -----------------------------------------------------------------------------------------------

    @staticmethod
    def bearer(conn: HTTPConnection) -> str | None:
        """The credential in `Authorization: Bearer`, if any (a host key or the admin token)."""
        auth = conn.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip() or None
        return None

    def host_key(self, conn: HTTPConnection, code: str, *, cookie: bool = True) -> str | None:
        """A host key from `Authorization: Bearer`, then `?key=`, then (if allowed) the host cookie."""
        bearer = self.bearer(conn)
        if bearer is not None:
            return bearer
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
        """Compare a typed admin token (callers throttle wrong ones: `doors.admin_token_ok`)."""
        return token is not None and hmac.compare_digest(token.encode(), self.admin_token.encode())

    def has_admin_cookie(self, conn: HTTPConnection) -> bool:
        """A valid admin login cookie, issued within ADMIN_MAX_AGE under the current admin token."""
        raw = conn.cookies.get(ADMIN_COOKIE)
        if not raw:
            return False
        try:
            fingerprint = self._admin.unsign(raw, max_age=ADMIN_MAX_AGE)
        except BadSignature:
            return False
        return hmac.compare_digest(fingerprint, self._admin_fingerprint.encode())

    def set_admin_cookie(self, response: Response, conn: HTTPConnection) -> None:
        response.set_cookie(
            ADMIN_COOKIE, self._admin.sign(self._admin_fingerprint).decode(), max_age=ADMIN_MAX_AGE,
            httponly=True, samesite="lax", secure=self.secure(conn), path="/",
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

    def browser_origin_ok(self, conn: HTTPConnection) -> bool | None:
        """Where a browser says a request came from: True for this server's own pages (or an allowed origin),
        False for another site's or origin's page (`Origin: null` included), None when the request carries
        neither `Origin` nor `Sec-Fetch-Site` (not a browser: no ambient cookie to abuse)."""
        verdict = self.same_origin(conn)
        if verdict is not None:
            return verdict
        site = conn.headers.get("sec-fetch-site")
        if site is None:
            return None
        return site in ("same-origin", "none")  # "none": the user's own navigation (address bar, bookmark)

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
