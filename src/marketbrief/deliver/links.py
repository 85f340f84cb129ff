"""The links mails carry back to the web app: signed, expiring tokens and the URLs made of them.

Both sides use this module: the sender (under ``core``) puts an unsubscribe link in every
briefing, and the web app (``web.security.Tokens``) reads the tokens back. What they share is
the contract: the key from :func:`load_secret_key`, an itsdangerous ``URLSafeTimedSerializer``
with the salt ``marketbrief.<purpose>`` per purpose ("confirm", "signin", "unsubscribe",
"session", "csrf"), so a token of one purpose never passes as another, and the maximum ages
below.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from marketbrief.errors import ConfigError
from marketbrief.settings import Settings

Clock = Callable[[], datetime]

CONFIRM_MAX_AGE = 3 * 24 * 3600
SIGNIN_MAX_AGE = 30 * 60
UNSUBSCRIBE_MAX_AGE = 366 * 24 * 3600  # an old briefing's link still works a year on


def _utc_now() -> datetime:
    return datetime.now(tz=UTC)


def load_secret_key(settings: Settings) -> bytes:
    """The key that signs tokens and cookies: the setting, else ``<home>/secret.key``."""
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value().encode()
        if len(key) < 16:
            raise ConfigError("secret_key must be at least 16 characters", key="secret_key")
        return key
    path = settings.secret_key_file
    try:
        return _read_or_make_key(path)
    except OSError as error:
        raise ConfigError(f"cannot keep the secret key: {error.strerror}", key=str(path)) from error


def _read_or_make_key(path: Path) -> bytes:
    if path.exists():
        key = path.read_bytes().strip()
        if len(key) >= 32:
            return key
        raise ConfigError(
            "the secret key file is too short (delete it to make a new one)", key=str(path)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read_or_make_key(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class _ClockSigner(TimestampSigner):
    """A timestamp signer that reads the time from ``clock`` (tests move it; expiry follows)."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


def token_serializer(
    key: bytes, purpose: str, *, clock: Clock = _utc_now
) -> URLSafeTimedSerializer:
    """The serializer of ``purpose`` tokens: salt ``marketbrief.<purpose>``, time from ``clock``."""
    return URLSafeTimedSerializer(
        key,
        salt=f"marketbrief.{purpose}",
        signer=_ClockSigner,
        signer_kwargs={"clock": clock},
    )


def make_token(key: bytes, purpose: str, value: Any, *, clock: Clock = _utc_now) -> str:
    """A signed token carrying ``value`` (JSON) for ``purpose``, stamped with ``clock()``."""
    return str(token_serializer(key, purpose, clock=clock).dumps(value))


def site_url(settings: Settings, path: str) -> str:
    """``path`` ("/manage") on the web app as readers reach it (``settings.public_url``)."""
    return settings.public_url.rstrip("/") + path


def unsubscribe_url(
    settings: Settings, reader_id: int, *, key: bytes | None = None, clock: Clock = _utc_now
) -> str:
    """The one-click unsubscribe link of a reader's briefings (RFC 8058: the web app answers a
    POST to it without a cookie, and a GET with a page and a button)."""
    token = make_token(key or load_secret_key(settings), "unsubscribe", reader_id, clock=clock)
    return site_url(settings, f"/unsubscribe?token={quote(token, safe='')}")


def manage_url(settings: Settings) -> str:
    """Where a reader changes their watchlist and schedule (signed in by a link in email)."""
    return site_url(settings, "/manage")
