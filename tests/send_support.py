"""What the sending tests share: an SMTP server on loopback that notes when each message came,
a clock the test moves, and a facade wired to both."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.smtp import SMTP, Envelope, Session

from deliver.loopback_smtp import RecordingHandler, SmtpServer, start_server
from marketbrief.core import MarketBrief
from marketbrief.settings import Settings

SECRET = "a-test-secret-key-of-enough-length"


@dataclass
class TimedHandler(RecordingHandler):
    """Records each DATA command's arrival (monotonic seconds), taken or not."""

    arrivals: list[float] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.arrivals.append(time.monotonic())
        return await super().handle_DATA(server, session, envelope)


def start_timed_server(tmp_path: Path) -> SmtpServer:
    """A plain SMTP server on 127.0.0.1 (``stop()`` it after)."""
    return start_server(ca=trustme.CA(), cafile=tmp_path / "unused-ca.pem", handler=TimedHandler())


def recipients(server: SmtpServer) -> Counter[str]:
    """How many messages each address got."""
    return Counter(r for received in server.received for r in received.rcpt_tos)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_facade(home: Path, clock: Clock, **settings: Any) -> MarketBrief:
    values: dict[str, Any] = {
        "home": home,
        "secret_key": SECRET,
        "send_rate": 1000.0,
        "public_url": "https://news.example.org",
        "mail_from": "marketbrief <briefings@news.example.org>",
    }
    return MarketBrief(Settings(**(values | settings)), clock=clock)
