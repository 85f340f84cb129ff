"""The mailers' settings side: smtp_url parsed, the outbox mailer, the choice between them, and
the send-rate token bucket on a fake clock."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loopback_smtp import SmtpServer

from marketbrief.deliver import (
    OutboxMailer,
    RateLimiter,
    SmtpConfig,
    SmtpMailer,
    briefing_message_id,
    build_briefing_email,
    make_mailer,
    render_briefing_html,
    render_briefing_text,
)
from marketbrief.errors import ConfigError, DeliveryError
from marketbrief.model import Briefing
from marketbrief.settings import Settings

# ── smtp_url ──


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, "starttls", None, None)),
        (
            "smtp://mail.example.com:587?starttls=require",
            ("mail.example.com", 587, "starttls-require", None, None),
        ),
        ("smtp://127.0.0.1:2525?starttls=never", ("127.0.0.1", 2525, "none", None, None)),
        (
            "smtps://u%40x:p%3Aw%2Fd@mail.example.com",
            ("mail.example.com", 465, "tls", "u@x", "p:w/d"),
        ),
        ("SMTPS://u:@[::1]:4650", ("::1", 4650, "tls", "u", "")),
    ],
)
def test_smtp_url(url: str, expected: tuple[object, ...]) -> None:
    config = SmtpConfig.from_url(url)
    assert (config.host, config.port, config.security, config.username, config.password) == expected
    assert config.verify and config.timeout == 30.0


def test_smtp_url_options(tmp_path: Path) -> None:
    config = SmtpConfig.from_url(
        f"smtp://h?verify=false&cafile={tmp_path}/ca.pem&timeout=2.5&helo=mx.example.com"
    )
    assert not config.verify and config.cafile == tmp_path / "ca.pem"
    assert config.timeout == 2.5 and config.helo == "mx.example.com"
    with pytest.raises(ConfigError, match="CA file"):
        config.ssl_context()


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.com",
        "smtp://",
        "smtp://h:notaport",
        "smtp://h?starttls=maybe",
        "smtps://h?starttls=require",
        "smtp://h?verify=perhaps",
        "smtp://h?timeout=0",
        "smtp://h?tls=on",
    ],
)
def test_bad_smtp_urls(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SmtpConfig.from_url(url)
    assert caught.value.key == "smtp_url"


def test_the_password_is_never_shown() -> None:
    config = SmtpConfig.from_url("smtps://user:hunter2@mail.example.com")
    assert "hunter2" not in repr(config)
    with pytest.raises(ConfigError) as caught:
        SmtpConfig.from_url("smtps://user:hunter2@mail.example.com?starttls=require")
    assert "hunter2" not in str(caught.value)


# ── the outbox and the choice of mailer ──


def briefing_message(briefing: Briefing, period: str) -> EmailMessage:
    return build_briefing_email(
        briefing,
        sender="marketbrief <mb@localhost>",
        subject="Your briefing",
        html=render_briefing_html(briefing),
        text=render_briefing_text(briefing),
        ics=None,
        message_id=briefing_message_id(briefing.reader, period, domain="localhost"),
    )


def test_outbox_mailer_writes_one_file_per_message_id(
    tmp_path: Path, sample_briefing: Briefing
) -> None:
    outbox = tmp_path / "outbox"
    with OutboxMailer(outbox) as mailer:
        first = mailer.send(briefing_message(sample_briefing, "2025-06-27"))
        again = mailer.send(briefing_message(sample_briefing, "2025-06-27"))
        mailer.send(briefing_message(sample_briefing, "2025-06-28"))
    assert first.detail == again.detail and first.recipients == ("reader@example.com",)
    files = sorted(p.name for p in outbox.iterdir())
    assert len(files) == 2 and all(f.startswith("briefing.7.2025-06-2") for f in files)
    parsed = email.message_from_bytes(Path(first.detail).read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == first.message_id


def test_outbox_mailer_refuses_a_message_without_recipients(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "a@example.com"
    with pytest.raises(DeliveryError, match="no recipient"):
        OutboxMailer(tmp_path).send(message)


def test_make_mailer_follows_the_settings(
    tmp_path: Path, smtp_server: SmtpServer, sample_briefing: Briefing
) -> None:
    outbox = make_mailer(Settings(home=tmp_path))
    assert isinstance(outbox, OutboxMailer) and outbox.outbox == tmp_path / "outbox"
    settings = Settings(home=tmp_path, smtp_url=smtp_server.url(), send_rate=50)
    with make_mailer(settings) as mailer:
        assert isinstance(mailer, SmtpMailer)
        assert mailer.limiter is not None and mailer.limiter.rate == 50
        mailer.send(briefing_message(sample_briefing, "2025-06-27"))
    assert len(smtp_server.wait_for(1)) == 1
    assert not (tmp_path / "outbox").exists()


# ── the rate limiter ──


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(rate: float, burst: float = 1.0) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(rate, burst=burst, clock=clock, sleep=clock.sleep), clock


def test_rate_limiter_spaces_sends() -> None:
    bucket, clock = limiter(5)
    times = []
    for _ in range(6):
        bucket.acquire()
        times.append(clock.now - 1000.0)
    assert times == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert not bucket.try_acquire()
    clock.now += 0.2
    assert bucket.try_acquire()


def test_rate_limiter_burst_then_rate() -> None:
    bucket, clock = limiter(2, burst=3)
    for _ in range(3):
        assert bucket.acquire() == 0
    assert bucket.delay() == pytest.approx(0.5)
    assert bucket.acquire() == pytest.approx(0.5)
    clock.now += 100  # a long pause refills no more than the burst
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]


def test_rate_limiter_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="rate must be"):
        RateLimiter(0)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(1, burst=0.5)


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(0.05, 500),
    burst=st.integers(1, 5),
    gaps=st.lists(st.floats(0, 3), min_size=1, max_size=60),
)
def test_rate_limiter_never_exceeds_the_rate(rate: float, burst: int, gaps: list[float]) -> None:
    """In every window of T seconds at most burst + rate·T sends go, and no send waits longer
    than needed for one token."""
    bucket, clock = limiter(rate, burst)
    times: list[float] = []
    for gap in gaps:
        clock.now += gap
        waited = bucket.acquire()
        assert waited <= 1 / rate + 1e-6
        times.append(clock.now)
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            window = times[j] - start
            assert j - i + 1 <= burst + rate * window + 1e-6


def test_smtp_mailer_waits_for_the_limiter(
    smtp_server: SmtpServer, briefing_factory: Callable[..., Briefing]
) -> None:
    bucket, clock = limiter(4)
    with SmtpMailer(SmtpConfig.from_url(smtp_server.url()), limiter=bucket) as mailer:
        for n in range(3):
            mailer.send(briefing_message(briefing_factory(email_address=f"r{n}@x.example"), "p"))
    assert clock.sleeps == pytest.approx([0.25, 0.25])
    assert len(smtp_server.wait_for(3)) == 3
