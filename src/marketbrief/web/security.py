"""What keeps the web app safe to open to the public: signed tokens, sessions, CSRF, headers.

- **Secret key** (``load_secret_key``, kept in ``deliver.links`` so the sender signs the same
  way): ``Settings.secret_key``, else a random key made once and kept in ``<home>/secret.key``
  (mode 0600), so tokens survive a restart.
- **Tokens** (``Tokens``): itsdangerous signatures with one salt per purpose ("confirm",
  "signin", "unsubscribe", …) and a maximum age; a token of one purpose never passes as another.
- **Sessions**: kept in the store; the cookie holds a signed random secret whose SHA-256 is
  the session's row (``web.app.sign_in``), so a sign-out or "sign out everywhere" really ends
  it; ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the public address is HTTPS.
- **CSRF**: every state-changing form carries a token bound to a per-browser random value kept
  in its own signed cookie (double submit, signed); ``require_csrf`` checks it. A GET never
  changes state. The RFC 8058 one-click unsubscribe POST is authorised by its URL token
  instead (mail clients send it without cookies).
- **Headers** (``SecurityHeaders``): CSP without inline script or style, ``frame-ancestors
  'none'``, ``nosniff``, a strict referrer policy, HSTS when served over HTTPS.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marketbrief.deliver.links import Clock, load_secret_key, token_serializer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "mb_session"
CSRF_COOKIE = "mb_csrf"
CSRF_FIELD = "csrf_token"
SESSION_MAX_AGE = 30 * 24 * 3600
CSRF_MAX_AGE = 24 * 3600

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "InvalidToken",
    "SecurityHeaders",
    "Tokens",
    "load_secret_key",
]

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class InvalidToken(Exception):
    """A token that is forged, of another purpose, or too old."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _utc_now() -> datetime:
    return datetime.now(tz=UTC)


class Tokens:
    """Signed, expiring tokens; one salt per purpose (the contract of ``deliver.links``).

    ``clock`` stamps new tokens and measures the age of those read back.
    """

    def __init__(self, key: bytes, *, clock: Clock = _utc_now) -> None:
        self._key = key
        self._clock = clock

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return token_serializer(self._key, purpose, clock=self._clock)

    def make(self, purpose: str, value: Any) -> str:
        return str(self._serializer(purpose).dumps(value))

    def read(self, purpose: str, token: str, *, max_age: int) -> Any:
        """The value signed in ``token``; ``InvalidToken`` when forged, expired or misused."""
        return self.read_stamped(purpose, token, max_age=max_age)[0]

    def read_stamped(self, purpose: str, token: str, *, max_age: int) -> tuple[Any, datetime]:
        """``read``, with when the token was made (to the second)."""
        try:
            value, made = self._serializer(purpose).loads(
                token, max_age=max_age, return_timestamp=True
            )
            return value, made
        except SignatureExpired:
            raise InvalidToken("expired") from None
        except BadSignature:
            raise InvalidToken("invalid") from None

    # ── CSRF (signed double submit) ──

    def new_csrf_seed(self) -> str:
        return secrets.token_urlsafe(24)

    def csrf_token(self, seed: str) -> str:
        return self.make("csrf", seed)

    def csrf_ok(self, seed: str | None, token: str | None) -> bool:
        """Whether ``token`` (from the form) was made for ``seed`` (from the cookie)."""
        if not seed or not token:
            return False
        try:
            value = self.read("csrf", token, max_age=CSRF_MAX_AGE)
        except InvalidToken:
            return False
        return isinstance(value, str) and hmac.compare_digest(value, seed)


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)
