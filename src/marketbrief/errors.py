"""One exception tree for marketbrief.

    MarketBriefError                      every error marketbrief raises on purpose
    ├── InvalidInputError (ValueError)    what the user or an input got wrong
    │   ├── NotFoundError                 no such article, story, reader or source
    │   │   └── SourceNotFoundError       no source with that id / url
    │   ├── SourceExistsError             a source with that url is already there
    │   ├── SpentLinkError                a one-time link (sign-in, confirm) used already
    │   └── ParseError                    a feed, page or record that cannot be read
    ├── FetchError                        the network or a server failed us
    │   ├── BlockedAddressError           the SSRF guard refused the address
    │   ├── RobotsDisallowedError         robots.txt forbids the page
    │   ├── TooLargeError                 the body passed the size cap (gzip bombs too)
    │   └── HTTPStatusError               the server answered with an error status
    ├── StorageError                      the database failed (driver errors are wrapped)
    ├── ConfigError                       settings that cannot work
    └── DeliveryError                     a briefing could not be written or sent
        ├── TemporaryDeliveryError        4xx, a refused, reset or timed-out connection: retry
        └── PermanentDeliveryError        5xx, a refused recipient: retrying will not help

Every error carries ``key``: the thing that failed (a URL, a path, a record id, a setting name),
and a message a person can act on.
"""

from __future__ import annotations


class MarketBriefError(Exception):
    """Root of every error marketbrief raises on purpose."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


class InvalidInputError(MarketBriefError, ValueError):
    """Something the user or an input got wrong."""


class NotFoundError(InvalidInputError):
    """No such article, story, reader or source (the web layer answers 404)."""


class SourceNotFoundError(NotFoundError):
    """No source with that id or url."""


class SourceExistsError(InvalidInputError):
    """A source with that url is already there."""


class SpentLinkError(InvalidInputError):
    """A one-time link (sign-in, confirmation) whose reader has signed in since it was made."""


class ParseError(InvalidInputError):
    """A feed, page or record that cannot be read."""


class FetchError(MarketBriefError):
    """The network or a server failed us; the source is retried later."""

    def __init__(
        self, message: str, *, key: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, key=key)
        self.retry_after = retry_after  # seconds, when the server said so


class BlockedAddressError(FetchError):
    """The SSRF guard refused to connect: loopback, private, link-local or metadata address."""


class RobotsDisallowedError(FetchError):
    """robots.txt forbids fetching the page."""


class TooLargeError(FetchError):
    """The response body went past the size cap (compressed or decompressed)."""


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        status_code: int,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, key=key, retry_after=retry_after)
        self.status_code = status_code


class StorageError(MarketBriefError):
    """The database failed; the driver's error is the ``__cause__``."""


class ConfigError(MarketBriefError):
    """Settings that cannot work."""


class DeliveryError(MarketBriefError):
    """A briefing could not be written or sent."""


class TemporaryDeliveryError(DeliveryError):
    """A failure that may pass: a 4xx reply, a connection refused, reset, dropped or timed out.

    ``stage`` is where it happened (``connect``, ``mail``, ``rcpt``, ``data``); ``code`` the
    SMTP reply code when there was one. ``maybe_sent`` is true when the connection was lost after
    the whole message had gone out and before the server's answer: the one case in which SMTP
    cannot tell whether the message was delivered.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        stage: str = "connect",
        code: int | None = None,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(message, key=key)
        self.stage = stage
        self.code = code
        self.maybe_sent = maybe_sent


class PermanentDeliveryError(DeliveryError):
    """A 5xx reply: the server refused the sender, the recipient or the message for good.

    ``stage`` is where (``mail``, ``rcpt``, ``data``); a refusal at ``rcpt`` or ``data`` is a
    bounce of the recipient (``key``), one at ``mail`` a problem of the sender's address.
    """

    def __init__(
        self, message: str, *, key: str | None = None, stage: str = "rcpt", code: int | None = None
    ) -> None:
        super().__init__(message, key=key)
        self.stage = stage
        self.code = code
