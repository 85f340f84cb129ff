"""A real SMTP server on loopback (aiosmtpd) for the delivery tests; fixtures in conftest.py.

:func:`start_server` starts one (the fixtures ``smtp_server``, a plain one, and ``start_smtp``,
which stops them after the test, call it). It may have STARTTLS or implicit TLS with a trustme
CA, AUTH, and scripted failures; it records what it accepted::
    def test_x(smtp_server):
        ... send to smtp_server.url ...
        [received] = smtp_server.wait_for(1)
        assert received.message()["Subject"] == "…"

Failures are scripted on the handler: ``rcpt_replies`` refuse an address (``"550 5.1.1 …"``)
or ``DROP`` the connection at RCPT; ``script_data(...)`` decides the next DATA commands (a
reply such as ``"451 4.3.0 later"``, or ``DROP`` — lose the connection without taking the
message — or ``TAKE_AND_DROP`` — take it and lose the connection before answering); and
``close_connections()`` closes every open connection from the server's side (an idle timeout).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from marketbrief.model import (
    ArticleId,
    Briefing,
    BriefingItem,
    CalendarEntry,
    CompanyLink,
    CompanyRole,
    Reader,
    ReaderId,
    Sentiment,
    StoryId,
    Watchlist,
)

NOW = datetime(2025, 6, 27, 21, tzinfo=UTC)

DROP = "drop"  # lose the connection after the message's data, without taking it
TAKE_AND_DROP = "take-and-drop"  # take the message, lose the connection before answering


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    authenticated_as: str | None = None
    tls: bool = False

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class RecordingHandler:
    """Takes every message, unless told otherwise; thread-safe records."""

    rcpt_replies: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    data_commands: int = 0  # DATA commands seen, taken or not
    _script: list[str] = field(default_factory=list)
    _transports: list[asyncio.BaseTransport] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def script_data(self, *actions: str) -> None:
        """What the next DATA commands get: a reply ("451 …", "550 …"), DROP or
        TAKE_AND_DROP; after these, messages are taken again."""
        with self._changed:
            self._script.extend(actions)

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if server.transport is not None:
            with self._changed:
                self._transports.append(server.transport)
        return responses

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self.rcpt_replies.get(address)
        if reply == DROP:
            assert server.transport is not None
            server.transport.abort()
            return "250 OK"  # never reaches the client
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._changed:
            self.data_commands += 1
            action = self._script.pop(0) if self._script else None
        if action == DROP:
            assert server.transport is not None
            server.transport.abort()
            return "250 OK"  # never reaches the client
        if action is not None and action != TAKE_AND_DROP:
            return action
        auth = session.auth_data
        received = Received(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=bytes(envelope.original_content or b""),
            authenticated_as=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            tls=server.transport is not None
            and server.transport.get_extra_info("ssl_object") is not None,
        )
        with self._changed:
            self.received.append(received)
            self._changed.notify_all()
        if action == TAKE_AND_DROP:
            assert server.transport is not None
            server.transport.abort()
        return "250 OK: queued"


@dataclass
class SmtpServer:
    """A running aiosmtpd server on 127.0.0.1 and what it received."""

    controller: Controller
    handler: RecordingHandler
    port: int
    security: str  # none | starttls | tls
    cafile: Path | None = None
    host: str = "127.0.0.1"

    def url(self, user: str | None = None, password: str | None = None, **query: str) -> str:
        """The ``smtp_url`` that reaches this server (trusting its CA when it has TLS)."""
        scheme = "smtps" if self.security == "tls" else "smtp"
        auth = ""
        if user is not None:
            auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "") + "@"
        if self.cafile is not None:
            query.setdefault("cafile", str(self.cafile))
        if self.security == "starttls":
            query.setdefault("starttls", "require")
        query.setdefault("timeout", "5")
        tail = "&".join(f"{k}={quote(v, safe='/')}" for k, v in query.items())
        return f"{scheme}://{auth}{self.host}:{self.port}" + (f"?{tail}" if tail else "")

    @property
    def received(self) -> list[Received]:
        with self.handler._changed:
            return list(self.handler.received)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The received messages once there are ``count`` (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self.handler._changed:
            while len(self.handler.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"{len(self.handler.received)} messages received, want {count}")
                self.handler._changed.wait(left)
            return list(self.handler.received)

    def stop(self) -> None:
        self.controller.stop()

    def close_connections(self) -> None:
        """Close every open connection from the server's side, as an idle timeout would."""
        with self.handler._changed:
            transports, self.handler._transports[:] = list(self.handler._transports), []
        done = threading.Event()

        def close_all() -> None:
            for transport in transports:
                transport.close()
            done.set()

        self.controller.loop.call_soon_threadsafe(close_all)
        assert done.wait(5)
        time.sleep(0.05)  # let the FINs go out


class LoopbackController(Controller):
    """A Controller on port 0: the kernel picks a free port, read back before the first
    connection (aiosmtpd itself connects to the configured port to start the server)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def make_briefing(
    *,
    title: str = "Sample: <Northwind> wins a radar order",
    name: str = "Sample Reader",
    email_address: str = "reader@example.com",
) -> Briefing:
    """A small briefing: one story on the reader's watchlist, two key dates."""
    item = BriefingItem(
        story_id=StoryId("s-1"),
        title=title,
        summary="Northwind & partners won a sample radar order.",
        url="https://x.example/a",
        source="Sample Wire",
        published_at=NOW,
        companies=(CompanyLink("RTX", "RTX", "NYSE", CompanyRole.INDIRECT, 0.7, "Patriot"),),
        events=("contract_award",),
        sentiment=Sentiment("positive", 0.5),
        importance=0.6,
        sources_count=2,
        matched=("RTX",),
    )
    dates = (
        CalendarEntry(
            date(2025, 7, 30),
            date(2025, 7, 30),
            "results due",
            "2025-07-30",
            ArticleId("a"),
            "https://x.example/a",
        ),
        CalendarEntry(
            date(2025, 6, 21), date(2025, 9, 22), "funds run out", "2025-SU", ArticleId("a"), None
        ),
    )
    reader = Reader(ReaderId(7), email_address, name, Watchlist(("RTX",)))
    return Briefing(reader, NOW, None, (item,), dates)


StartSmtp = Callable[..., SmtpServer]


def start_server(
    *,
    ca: trustme.CA,
    cafile: Path,
    security: str = "none",
    users: dict[str, str] | None = None,
    auth_require_tls: bool = True,
    handler: RecordingHandler | None = None,
) -> SmtpServer:
    """Start an aiosmtpd server on 127.0.0.1 (a free port) in a thread; ``stop()`` it after.

    ``security``: ``none``, ``starttls`` (required before MAIL) or ``tls`` (implicit), with a
    certificate from ``ca`` (whose PEM is ``cafile``). ``users`` (name → password) turns AUTH
    on: with STARTTLS it is required after the upgrade; with implicit TLS it is offered, not
    required; without TLS it is refused unless ``auth_require_tls`` is false (then offered in
    clear text, not required).
    """
    handler = handler or RecordingHandler()
    kwargs: dict[str, Any] = {}
    context = None
    if security != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    if security == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    if users is not None:
        known = dict(users)

        def authenticate(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
        ) -> AuthResult:
            ok = (
                isinstance(auth_data, LoginPassword)
                and known.get(auth_data.login.decode()) == auth_data.password.decode()
            )
            # handled=False: aiosmtpd answers 535 itself (handled=True would answer nothing).
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        # aiosmtpd does not see implicit TLS (it would hide AUTH there), and warns when AUTH is
        # required without TLS: required only where it knows the connection is encrypted.
        required = auth_require_tls and security != "tls"
        kwargs.update(authenticator=authenticate, auth_require_tls=required, auth_required=required)
    controller = LoopbackController(
        handler,
        hostname="127.0.0.1",
        port=0,
        ssl_context=context if security == "tls" else None,
        server_hostname="mx.test",
        **kwargs,
    )
    controller.start()
    return SmtpServer(
        controller=controller,
        handler=handler,
        port=controller.port,
        security=security,
        cafile=cafile if security != "none" else None,
    )
