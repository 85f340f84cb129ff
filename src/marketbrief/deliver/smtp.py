"""Sending email: one ``Mailer`` protocol, an SMTP implementation and an outbox of ``.eml`` files.

:func:`make_mailer` picks from the settings: with ``smtp_url`` set an :class:`SmtpMailer`
(``smtp://`` with STARTTLS when offered, ``smtps://`` with TLS from the start, AUTH when the URL
has credentials, a :class:`RateLimiter` at ``send_rate``), else an :class:`OutboxMailer` writing
``<home>/outbox/<message-id>.eml``. Both are context managers that send many messages::

    with make_mailer(settings) as mailer:
        for message in messages:
            mailer.send(message)

What can go wrong is sorted for the sender:

- ``TemporaryDeliveryError`` — a 4xx reply, a connection refused, reset, dropped or timed out:
  try again later. ``maybe_sent`` is true only when the connection was lost after the whole
  message had gone out and before the server's answer.
- ``PermanentDeliveryError`` — a 5xx reply. At ``stage`` ``rcpt`` or ``data`` the recipient
  bounced (:func:`is_bounce`); at ``connect`` or ``mail`` the server refuses *us*.
- ``ConfigError`` (key ``smtp_url``) — settings that cannot work with this server: a malformed
  URL, credentials refused, STARTTLS required but not offered, a certificate not trusted.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from marketbrief.deliver.outbox import MAIL_POLICY, write_outbox
from marketbrief.errors import (
    ConfigError,
    DeliveryError,
    MarketBriefError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from marketbrief.settings import Settings

log = logging.getLogger("marketbrief.deliver")

SMTP_PORT = 25
SMTPS_PORT = 465
DEFAULT_TIMEOUT = 30.0
_SECURITY = {"auto": "starttls", "require": "starttls-require", "never": "none"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_QUERY_KEYS = {"starttls", "verify", "cafile", "timeout", "helo"}


def _log(level: int, event: str, **fields: object) -> None:
    log.log(level, "%s %s", event, " ".join(f"{k}={v!r}" for k, v in fields.items()))


# ── what a send returns, and the protocol ───────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Sent:
    """A message handed on: accepted by the SMTP server, or written to the outbox."""

    message_id: str
    recipients: tuple[str, ...]  # the envelope recipients that were accepted
    detail: str  # the server's final reply, or the path of the .eml file
    refused: Mapping[str, str] = field(default_factory=dict)  # recipient → reply, when others took


class Mailer(Protocol):
    """Sends email messages; a context manager that may hold one connection for many sends."""

    def send(self, message: EmailMessage) -> Sent:
        """Send ``message`` to its To/Cc/Bcc addresses, or raise a ``DeliveryError``."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def is_bounce(error: MarketBriefError) -> bool:
    """True when ``error`` is the recipient's permanent refusal (counts towards suppression)."""
    return isinstance(error, PermanentDeliveryError) and error.stage in ("rcpt", "data")


def _ascii_domain(address: str) -> str:
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def envelope_recipients(message: EmailMessage) -> tuple[str, ...]:
    """The addresses of To, Cc and Bcc, each once, in order; a non-ASCII domain IDNA-encoded
    (only a non-ASCII local part needs the server's SMTPUTF8)."""
    fields = [str(v) for name in ("to", "cc", "bcc") for v in message.get_all(name, [])]
    seen: dict[str, None] = {}
    for _, address in getaddresses(fields):
        if address and "@" in address:
            seen.setdefault(_ascii_domain(address), None)
    return tuple(seen)


def envelope_sender(message: EmailMessage) -> str:
    """The address of the From header (the envelope sender when none is set)."""
    found = [a for _, a in getaddresses([str(v) for v in message.get_all("from", [])]) if a]
    if not found:
        raise DeliveryError("the message has no From address", key=str(message["Message-ID"]))
    return _ascii_domain(found[0])


# ── the rate limiter ────────────────────────────────────────────────────────────────────────


class RateLimiter:
    """A token bucket: ``rate`` sends per second on average, at most ``burst`` at once.

    ``clock`` (monotonic seconds) and ``sleep`` are injectable so that tests run on a fake
    clock. Not thread-safe: one per sending loop.
    """

    _EPSILON = 1e-9  # float slack: a token that is 0.9999999999 full is full

    def __init__(
        self,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._updated) * self.rate)
        self._updated = now

    def delay(self) -> float:
        """Seconds until a send may go (0 when one may go now); takes nothing."""
        self._refill()
        return max(0.0, (1 - self._EPSILON - self._tokens) / self.rate)

    def try_acquire(self) -> bool:
        """Take a token when one is there."""
        self._refill()
        if self._tokens >= 1 - self._EPSILON:
            self._tokens = max(0.0, self._tokens - 1)
            return True
        return False

    def acquire(self) -> float:
        """Wait for a token and take it; returns the seconds waited."""
        waited = 0.0
        while not self.try_acquire():
            pause = max(self.delay(), self._EPSILON)
            self._sleep(pause)
            waited += pause
        return waited


# ── the outbox ──────────────────────────────────────────────────────────────────────────────


class _Closing:
    """``with mailer:`` closes it at the end."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class OutboxMailer(_Closing):
    """The embedded default: each message becomes ``<outbox>/<Message-ID>.eml``.

    A message sent again with the same Message-ID replaces its file, so a resent briefing is
    never there twice.
    """

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    def send(self, message: EmailMessage) -> Sent:
        message_id = str(message["Message-ID"] or "").strip() or make_msgid(domain="localhost")
        recipients = envelope_recipients(message)
        if not recipients:
            raise DeliveryError("the message has no recipient", key=message_id)
        path = write_outbox(message, self.outbox, stem=message_id.strip("<>"))
        _log(logging.INFO, "outbox.written", message_id=message_id, path=str(path))
        return Sent(message_id=message_id, recipients=recipients, detail=str(path))

    def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"OutboxMailer({str(self.outbox)!r})"


# ── SMTP ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to reach the SMTP server: what ``smtp_url`` says.

    ``security`` is ``tls`` (smtps://, TLS from the start), ``starttls`` (upgrade when the
    server offers it), ``starttls-require`` (fail when it does not) or ``none``.
    """

    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    verify: bool = True
    cafile: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    helo: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Read ``smtp://[user:password@]host[:port][?starttls=auto|require|never]`` or
        ``smtps://…``; more options: ``verify=false`` (do not check the certificate: tests
        only), ``cafile=PATH`` (trust this CA), ``timeout=SECONDS``, ``helo=NAME``. The
        user and password are percent-decoded. Raises ``ConfigError`` (key ``smtp_url``),
        whose message never repeats the password."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
            query = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False))
        except ValueError:
            raise ConfigError(
                "not a URL: smtp://host[:port] or smtps://…", key="smtp_url"
            ) from None
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(
                "want smtp://[user:password@]host[:port] or smtps://…", key="smtp_url"
            )
        unknown = sorted(set(query) - _QUERY_KEYS)
        if unknown:
            raise ConfigError(
                f"unknown option {', '.join(unknown)} (known: {', '.join(sorted(_QUERY_KEYS))})",
                key="smtp_url",
            )
        if scheme == "smtps":
            if "starttls" in query:
                raise ConfigError(
                    "smtps:// is TLS from the start; starttls= is for smtp://", key="smtp_url"
                )
            security = "tls"
        else:
            choice = query.get("starttls", "auto").lower()
            if choice not in _SECURITY:
                raise ConfigError("starttls= is auto, require or never", key="smtp_url")
            security = _SECURITY[choice]
        verify_text = query.get("verify", "true").lower()
        if verify_text not in _TRUE | _FALSE:
            raise ConfigError("verify= is true or false", key="smtp_url")
        try:
            timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise ConfigError("timeout= is a number of seconds > 0", key="smtp_url")
        return cls(
            host=parts.hostname,
            port=port or (SMTPS_PORT if security == "tls" else SMTP_PORT),
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            verify=verify_text in _TRUE,
            cafile=Path(query["cafile"]) if query.get("cafile") else None,
            timeout=timeout,
            helo=query.get("helo") or None,
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context: the system's CAs (or ``cafile``), hostname checked, unless
        ``verify`` is off."""
        try:
            context = ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)
        except (OSError, ssl.SSLError) as error:
            raise ConfigError(
                f"cannot read the CA file {self.cafile}: {error}", key="smtp_url"
            ) from None
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def _classify(
    code: int, reply: bytes | str, *, stage: str, key: str, maybe_sent: bool = False
) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    text = " ".join(text.split())
    message = f"{stage}: the server answered {code} {text}".rstrip()
    if 500 <= code < 600:
        return PermanentDeliveryError(message, key=key, stage=stage, code=code)
    return TemporaryDeliveryError(message, key=key, stage=stage, code=code, maybe_sent=maybe_sent)


def _lost(error: BaseException, *, stage: str, key: str, maybe_sent: bool = False) -> DeliveryError:
    detail = str(error) or type(error).__name__
    what = "the connection was lost" if stage != "connect" else "cannot connect"
    return TemporaryDeliveryError(
        f"{stage}: {what} ({detail})", key=key, stage=stage, maybe_sent=maybe_sent
    )


def _connect_error(error: smtplib.SMTPException | OSError, key: str) -> MarketBriefError:
    """What a failure to connect, greet, upgrade to TLS or log in means for the sender."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return ConfigError(
            f"{key}: the server's certificate is not trusted ({error.verify_message}); "
            "add ?cafile=PATH to smtp_url",
            key="smtp_url",
        )
    if isinstance(error, ssl.SSLError) and not isinstance(
        error, ssl.SSLEOFError | ssl.SSLZeroReturnError
    ):
        return ConfigError(
            f"{key}: TLS failed ({error.reason or error}); is it smtps:// (TLS from the "
            "start, port 465) or smtp:// (STARTTLS, port 25 or 587)?",
            key="smtp_url",
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return _classify(error.smtp_code, error.smtp_error, stage="connect", key=key)
    return _lost(error, stage="connect", key=key)  # refused, reset, timed out, DNS


def dot_stuff(data: bytes) -> bytes:
    """``data`` as the DATA command sends it: CRLF line ends, a leading dot doubled, ended by
    ``CRLF.CRLF`` (RFC 5321 §4.5.2)."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class SmtpMailer(_Closing):
    """Sends through one SMTP connection, opened on the first send and kept for the next ones.

    A connection the server closed while idle is opened again before anything was sent (once
    per message); any other lost connection is a ``TemporaryDeliveryError``. ``limiter``
    paces the sends; ``envelope_from`` (the bounce address) defaults to each message's From.
    """

    def __init__(
        self,
        config: SmtpConfig,
        *,
        limiter: RateLimiter | None = None,
        ssl_context: ssl.SSLContext | None = None,
        envelope_from: str | None = None,
    ) -> None:
        self.config = config
        self.limiter = limiter
        self.envelope_from = envelope_from
        self._ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        envelope_from: str | None = None,
    ) -> SmtpMailer:
        """The mailer of ``smtp_url``, paced at ``send_rate``."""
        if settings.smtp_url is None:
            raise ConfigError("no SMTP server is set", key="smtp_url")
        return cls(
            SmtpConfig.from_url(settings.smtp_url.get_secret_value()),
            limiter=RateLimiter(settings.send_rate),
            ssl_context=ssl_context,
            envelope_from=envelope_from,
        )

    # ── the connection ──

    @property
    def connected(self) -> bool:
        return self._connection is not None

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = self.config.ssl_context()
        return self._ssl_context

    def connect(self) -> None:
        """Open the connection (EHLO, STARTTLS, AUTH) unless it is open."""
        if self._connection is not None:
            return
        config, key = self.config, self.config.address
        helo = config.helo or "localhost"
        connection: smtplib.SMTP | None = None
        tls = config.security == "tls"
        try:
            if tls:
                connection = smtplib.SMTP_SSL(
                    config.host,
                    config.port,
                    local_hostname=helo,
                    timeout=config.timeout,
                    context=self._context(),
                )
            else:
                connection = smtplib.SMTP(
                    config.host, config.port, local_hostname=helo, timeout=config.timeout
                )
            connection.ehlo_or_helo_if_needed()
            if config.security.startswith("starttls"):
                if connection.has_extn("starttls"):
                    connection.starttls(context=self._context())
                    connection.ehlo()
                    tls = True
                elif config.security == "starttls-require":
                    raise ConfigError(
                        f"{key} does not offer STARTTLS and smtp_url says starttls=require",
                        key="smtp_url",
                    )
            if config.username is not None:
                self._login(connection, tls=tls)
        except (MarketBriefError, smtplib.SMTPException, OSError) as error:
            self._abandon(connection)
            if isinstance(error, MarketBriefError):
                raise
            raise _connect_error(error, key) from None
        self._connection = connection
        _log(logging.INFO, "smtp.connected", server=key, tls=tls, auth=config.username is not None)

    def _login(self, connection: smtplib.SMTP, *, tls: bool) -> None:
        config = self.config
        if not tls:
            raise ConfigError(
                f"{config.address} offers no TLS: the password would go in clear text; use "
                "smtps:// or a server with STARTTLS",
                key="smtp_url",
            )
        user, password = config.username or "", config.password or ""
        try:
            if (user + password).isascii():
                connection.login(user, password)
            else:  # smtplib encodes credentials as ASCII; PLAIN is UTF-8 (RFC 4616)
                self._login_plain_utf8(connection, user, password)
        except smtplib.SMTPAuthenticationError as error:
            if 400 <= error.smtp_code < 500:
                raise _classify(
                    error.smtp_code, error.smtp_error, stage="connect", key=config.address
                ) from None
            raise ConfigError(
                f"{config.address} refused the user and password of smtp_url ({error.smtp_code})",
                key="smtp_url",
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise ConfigError(
                f"{config.address} does not offer AUTH; remove the user from smtp_url",
                key="smtp_url",
            ) from None
        except smtplib.SMTPException as error:
            if isinstance(error, smtplib.SMTPServerDisconnected):
                raise
            raise ConfigError(
                f"{config.address}: no AUTH method in common ({error})", key="smtp_url"
            ) from None

    def _login_plain_utf8(self, connection: smtplib.SMTP, user: str, password: str) -> None:
        offered = connection.esmtp_features.get("auth", "").upper().split()
        if "PLAIN" not in offered:
            raise ConfigError(
                f"{self.config.address} does not offer AUTH PLAIN, which a user or password "
                "that is not ASCII needs",
                key="smtp_url",
            )
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
        code, reply = connection.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)

    @staticmethod
    def _abandon(connection: smtplib.SMTP | None) -> None:
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()

    def _drop(self) -> None:
        self._abandon(self._connection)
        self._connection = None

    def close(self) -> None:
        """Say QUIT and close; never raises."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            self._abandon(connection)

    def __repr__(self) -> str:
        return f"SmtpMailer({self.config.address}, {self.config.security})"

    # ── sending ──

    def _reset(self, connection: smtplib.SMTP, code: int) -> None:
        """End a failed transaction; a 421 (or a failing RSET) closes the connection."""
        if code == 421:
            self._drop()
            return
        try:
            connection.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def send(self, message: EmailMessage) -> Sent:
        """Send ``message``; see the module docstring for what it raises."""
        sender = self.envelope_from or envelope_sender(message)
        recipients = envelope_recipients(message)
        message_id = str(message["Message-ID"] or "")
        if not recipients:
            raise DeliveryError("the message has no recipient", key=message_id or None)
        if message["Bcc"] is not None:
            message = copy.copy(message)
            del message["Bcc"]
        international = not all(a.isascii() for a in (sender, *recipients))
        data = message.as_bytes(
            policy=MAIL_POLICY.clone(utf8=True) if international else MAIL_POLICY
        )
        if self.limiter is not None:
            self.limiter.acquire()

        reused = self._connection is not None
        self.connect()
        connection = self._connection
        assert connection is not None
        mail_options = [f"SIZE={len(data)}"] if connection.has_extn("size") else []
        if international:
            if not connection.has_extn("smtputf8"):
                if not sender.isascii():
                    raise ConfigError(
                        "the server does not take a non-ASCII sender (no SMTPUTF8)",
                        key="mail_from",
                    )
                raise PermanentDeliveryError(  # never deliverable through this server: a bounce
                    "the server does not take non-ASCII addresses (no SMTPUTF8)",
                    key=next(r for r in recipients if not r.isascii()),
                    stage="rcpt",
                )
            mail_options += ["SMTPUTF8", "BODY=8BITMIME"]
        try:
            code, reply = connection.mail(sender, mail_options)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            if not reused:
                raise _lost(error, stage="mail", key=sender) from None
            # The server closed the idle connection; nothing was sent: open it again, once.
            _log(logging.INFO, "smtp.reconnect", server=self.config.address)
            self.connect()
            connection = self._connection
            assert connection is not None
            try:
                code, reply = connection.mail(sender, mail_options)
            except (smtplib.SMTPServerDisconnected, OSError) as again:
                self._drop()
                raise _lost(again, stage="mail", key=sender) from None
        if code != 250:
            self._reset(connection, code)
            raise _classify(code, reply, stage="mail", key=sender)

        accepted: list[str] = []
        refused: dict[str, tuple[int, bytes]] = {}
        try:
            for recipient in recipients:
                code, reply = connection.rcpt(recipient)
                if code in (250, 251):
                    accepted.append(recipient)
                else:
                    refused[recipient] = (code, reply)
                    if code == 421:
                        break
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise _lost(error, stage="rcpt", key=recipients[0]) from None
        if not accepted:
            first, (code, reply) = next(iter(refused.items()))
            temporary = [r for r, (c, _) in refused.items() if not 500 <= c < 600]
            if temporary:  # any 4xx: the whole message is worth another try
                first = temporary[0]
                code, reply = refused[first]
            self._reset(connection, code)
            raise _classify(code, reply, stage="rcpt", key=first)

        sent_body = False
        try:
            code, reply = connection.docmd("DATA")
            if code != 354:
                self._reset(connection, code)
                raise _classify(code, reply, stage="data", key=accepted[0])
            connection.send(dot_stuff(data))
            sent_body = True
            code, reply = connection.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise _lost(error, stage="data", key=accepted[0], maybe_sent=sent_body) from None
        if code != 250:
            self._reset(connection, code)
            raise _classify(code, reply, stage="data", key=accepted[0])

        detail = f"{code} {reply.decode('utf-8', 'replace')}"
        _log(logging.INFO, "smtp.sent", message_id=message_id, recipients=len(accepted))
        return Sent(
            message_id=message_id,
            recipients=tuple(accepted),
            detail=detail,
            refused={r: f"{c} {t.decode('utf-8', 'replace')}" for r, (c, t) in refused.items()},
        )


def make_mailer(settings: Settings) -> Mailer:
    """The mailer the settings ask for: SMTP when ``smtp_url`` is set, else the outbox."""
    if settings.smtp_url is None:
        return OutboxMailer(settings.outbox_dir)
    return SmtpMailer.from_settings(settings)
