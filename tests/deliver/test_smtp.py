"""SMTP sending against a real aiosmtpd server on loopback: plain, STARTTLS, implicit TLS, AUTH,
temporary and permanent refusals, lost connections, and the message as the server got it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest
from icalendar import Calendar
from loopback_smtp import DROP, TAKE_AND_DROP, SmtpServer, StartSmtp

from marketbrief.deliver import (
    SmtpConfig,
    SmtpMailer,
    briefing_message_id,
    build_briefing_email,
    build_calendar,
    is_bounce,
    render_briefing_html,
    render_briefing_text,
)
from marketbrief.deliver.smtp import dot_stuff
from marketbrief.errors import (
    ConfigError,
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from marketbrief.model import Briefing

UNSUBSCRIBE = "https://news.example.com/unsubscribe?token=" + "tok3n." * 30


def briefing_email(briefing: Briefing, period: str = "2025-06-27") -> EmailMessage:
    return build_briefing_email(
        briefing,
        sender="marketbrief <briefings@news.example.com>",
        subject="Your briefing",
        html=render_briefing_html(briefing, unsubscribe_url=UNSUBSCRIBE),
        text=render_briefing_text(briefing, unsubscribe_url=UNSUBSCRIBE),
        ics=build_calendar(briefing.key_dates, name="key dates", now=briefing.generated_at),
        message_id=briefing_message_id(briefing.reader, period, domain="news.example.com"),
        unsubscribe_url=UNSUBSCRIBE,
        unsubscribe_mailto="unsubscribe@news.example.com",
    )


@pytest.fixture
def message(sample_briefing: Briefing) -> EmailMessage:
    return briefing_email(sample_briefing)


@pytest.fixture
def mailer_for() -> Iterator[Callable[[str], SmtpMailer]]:
    made: list[SmtpMailer] = []

    def make(url: str) -> SmtpMailer:
        mailer = SmtpMailer(SmtpConfig.from_url(url))
        made.append(mailer)
        return mailer

    yield make
    for mailer in made:
        mailer.close()


# ── the message as the server received it ──


def test_round_trip_plain(
    smtp_server: SmtpServer, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    sent = mailer_for(smtp_server.url()).send(message)
    [received] = smtp_server.wait_for(1)
    assert received.mail_from == "briefings@news.example.com"
    assert received.rcpt_tos == ("reader@example.com",) == sent.recipients
    assert not received.tls
    got = received.message()
    assert got["From"] == "marketbrief <briefings@news.example.com>"
    assert got["To"] == "Sample Reader <reader@example.com>"
    assert got["Subject"] == "Your briefing"
    assert got["Message-ID"] == message["Message-ID"] == sent.message_id
    assert got["Message-ID"].startswith("<briefing.7.2025-06-27.")
    assert got["Message-ID"].endswith("@news.example.com>")
    assert got["List-Unsubscribe"] == (
        f"<{UNSUBSCRIBE}>, <mailto:unsubscribe@news.example.com?subject=unsubscribe>"
    )
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got.get_content_type() == "multipart/mixed"
    [alternative, attachment] = got.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html = alternative.iter_parts()  # type: ignore[attr-defined]
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert "Sample: <Northwind> wins a radar order" in text.get_content()
    assert f"Unsubscribe: {UNSUBSCRIBE}" in text.get_content()
    assert "Sample: &lt;Northwind&gt; wins a radar order" in html.get_content()
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "key-dates.ics"
    calendar = Calendar.from_ical(attachment.get_content())
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == ["results due", "funds run out"]
    # The raw message: 7-bit, CRLF, no line past 998 octets.
    assert received.data.isascii()
    assert max(len(line) for line in received.data.split(b"\r\n")) <= 998


def test_one_connection_carries_many_messages(
    smtp_server: SmtpServer,
    briefing_factory: Callable[..., Briefing],
    mailer_for: Callable[[str], SmtpMailer],
) -> None:
    mailer = mailer_for(smtp_server.url())
    for n in range(3):
        mailer.send(briefing_email(briefing_factory(email_address=f"r{n}@example.com")))
    received = smtp_server.wait_for(3)
    assert [r.rcpt_tos for r in received] == [(f"r{n}@example.com",) for n in range(3)]
    assert len(smtp_server.handler._transports) == 1  # one EHLO: one connection


def test_lines_starting_with_a_dot_arrive_intact(
    smtp_server: SmtpServer, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    body = "first\n.\n.hidden\n..two\nlast\n"
    message = EmailMessage()
    message["From"] = "a@example.com"
    message["To"] = "b@example.com"
    message.set_content(body, cte="7bit")
    mailer_for(smtp_server.url()).send(message)
    [received] = smtp_server.wait_for(1)
    assert received.message().get_content().replace("\r\n", "\n") == body
    assert dot_stuff(b"a\n.b") == b"a\r\n..b\r\n.\r\n"


# ── TLS and AUTH ──


def test_starttls_with_a_trusted_ca(
    start_smtp: StartSmtp, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    server = start_smtp(security="starttls")
    mailer_for(server.url()).send(message)
    [received] = server.wait_for(1)
    assert received.tls


def test_starttls_auto_upgrades_when_offered(
    start_smtp: StartSmtp, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    server = start_smtp(security="starttls")
    mailer_for(server.url(starttls="auto")).send(message)
    assert server.wait_for(1)[0].tls


def test_untrusted_certificate_is_a_config_error(
    start_smtp: StartSmtp, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    server = start_smtp(security="starttls")
    url = server.url().replace(f"cafile={server.cafile}&", "")
    assert "cafile" not in url
    with pytest.raises(ConfigError, match="not trusted") as caught:
        mailer_for(url).send(message)
    assert caught.value.key == "smtp_url"
    assert server.handler.data_commands == 0
    # verify=false is for tests only, and works.
    mailer_for(url + "&verify=false").send(message)
    assert server.wait_for(1)[0].tls


def test_starttls_required_but_not_offered(
    smtp_server: SmtpServer, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    with pytest.raises(ConfigError, match="STARTTLS"):
        mailer_for(smtp_server.url(starttls="require")).send(message)
    assert smtp_server.received == []


def test_implicit_tls_with_auth(
    start_smtp: StartSmtp, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    server = start_smtp(security="tls", users={"mb": "s3cret"})
    url = server.url("mb", "s3cret")
    assert url.startswith("smtps://")
    mailer_for(url).send(message)
    [received] = server.wait_for(1)
    assert received.tls and received.authenticated_as == "mb"


def test_auth_over_starttls(
    start_smtp: StartSmtp, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    server = start_smtp(security="starttls", users={"mb@news": "p@ss:w/rd ü"})
    mailer_for(server.url("mb@news", "p@ss:w/rd ü")).send(message)
    [received] = server.wait_for(1)
    assert received.authenticated_as == "mb@news" and received.tls


def test_wrong_password_is_a_config_error(
    start_smtp: StartSmtp, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    server = start_smtp(security="tls", users={"mb": "right"})
    with pytest.raises(ConfigError, match="refused the user and password") as caught:
        mailer_for(server.url("mb", "wrong")).send(message)
    assert "wrong" not in str(caught.value)
    assert server.received == []


def test_no_credentials_where_auth_is_required(
    start_smtp: StartSmtp, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    server = start_smtp(security="starttls", users={"mb": "right"})
    with pytest.raises(PermanentDeliveryError) as caught:
        mailer_for(server.url()).send(message)
    assert caught.value.stage == "mail" and caught.value.code == 530
    assert not is_bounce(caught.value)  # the server refuses us, not the reader


def test_no_password_in_clear_text(
    start_smtp: StartSmtp, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    server = start_smtp(users={"mb": "secret"}, auth_require_tls=False)
    with pytest.raises(ConfigError, match="clear text"):
        mailer_for(server.url("mb", "secret")).send(message)
    assert server.received == []


# ── refusals and lost connections ──


def test_451_is_temporary_and_the_connection_goes_on(
    smtp_server: SmtpServer, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    smtp_server.handler.script_data("451 4.3.0 try again later")
    mailer = mailer_for(smtp_server.url())
    with pytest.raises(TemporaryDeliveryError) as caught:
        mailer.send(message)
    error = caught.value
    assert (error.stage, error.code, error.maybe_sent) == ("data", 451, False)
    assert error.key == "reader@example.com" and "try again later" in str(error)
    assert mailer.connected  # RSET, and the same connection takes the next message
    mailer.send(message)
    assert len(smtp_server.wait_for(1)) == 1
    assert len(smtp_server.handler._transports) == 1


def test_451_at_rcpt_is_temporary(
    smtp_server: SmtpServer, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    smtp_server.handler.rcpt_replies["reader@example.com"] = "451 4.7.1 greylisted"
    with pytest.raises(TemporaryDeliveryError) as caught:
        mailer_for(smtp_server.url()).send(message)
    assert (caught.value.stage, caught.value.code) == ("rcpt", 451)


def test_550_recipient_is_permanent_a_bounce(
    smtp_server: SmtpServer,
    message: EmailMessage,
    briefing_factory: Callable[..., Briefing],
    mailer_for: Callable[[str], SmtpMailer],
) -> None:
    smtp_server.handler.rcpt_replies["reader@example.com"] = "550 5.1.1 no such user"
    mailer = mailer_for(smtp_server.url())
    with pytest.raises(PermanentDeliveryError) as caught:
        mailer.send(message)
    error = caught.value
    assert (error.stage, error.code, error.key) == ("rcpt", 550, "reader@example.com")
    assert is_bounce(error)
    mailer.send(briefing_email(briefing_factory(email_address="other@example.com")))
    assert [r.rcpt_tos for r in smtp_server.wait_for(1)] == [("other@example.com",)]


def test_554_after_data_is_permanent(
    smtp_server: SmtpServer, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    smtp_server.handler.script_data("554 5.7.1 message refused")
    with pytest.raises(PermanentDeliveryError) as caught:
        mailer_for(smtp_server.url()).send(message)
    assert (caught.value.stage, caught.value.code) == ("data", 554)
    assert is_bounce(caught.value)


def test_connection_dropped_after_the_data_may_have_been_sent(
    smtp_server: SmtpServer, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    smtp_server.handler.script_data(DROP, TAKE_AND_DROP)
    mailer = mailer_for(smtp_server.url())
    for _ in range(2):
        with pytest.raises(TemporaryDeliveryError) as caught:
            mailer.send(message)
        assert caught.value.stage == "data" and caught.value.maybe_sent
        assert not mailer.connected
    # DROP lost it, TAKE_AND_DROP delivered it without telling: SMTP cannot settle which.
    assert len(smtp_server.wait_for(1)) == 1
    mailer.send(message)  # a new connection
    assert len(smtp_server.wait_for(2)) == 2


def test_connection_dropped_before_the_data_was_not_sent(
    smtp_server: SmtpServer, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    smtp_server.handler.rcpt_replies["reader@example.com"] = DROP
    with pytest.raises(TemporaryDeliveryError) as caught:
        mailer_for(smtp_server.url()).send(message)
    assert caught.value.stage == "rcpt" and not caught.value.maybe_sent


def test_idle_connection_closed_by_the_server_is_opened_again(
    smtp_server: SmtpServer, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    mailer = mailer_for(smtp_server.url())
    mailer.send(message)
    smtp_server.close_connections()
    mailer.send(message)
    assert len(smtp_server.wait_for(2)) == 2


def test_connection_refused_is_temporary(
    closed_port: int, message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    with pytest.raises(TemporaryDeliveryError) as caught:
        mailer_for(f"smtp://127.0.0.1:{closed_port}").send(message)
    assert caught.value.stage == "connect" and caught.value.key == f"127.0.0.1:{closed_port}"


def test_silent_server_times_out_as_temporary(
    message: EmailMessage, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    with socket.socket() as listener:  # accepts connections (backlog), never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with pytest.raises(TemporaryDeliveryError) as caught:
            mailer_for(f"smtp://127.0.0.1:{port}?timeout=0.3").send(message)
    assert caught.value.stage == "connect"


def test_a_message_without_recipients_is_refused_before_connecting(
    closed_port: int, mailer_for: Callable[[str], SmtpMailer]
) -> None:
    message = EmailMessage()
    message["From"] = "a@example.com"
    message.set_content("x")
    with pytest.raises(DeliveryError, match="no recipient"):
        mailer_for(f"smtp://127.0.0.1:{closed_port}").send(message)


def test_a_domain_that_is_not_ascii_goes_as_idna(
    smtp_server: SmtpServer,
    briefing_factory: Callable[..., Briefing],
    mailer_for: Callable[[str], SmtpMailer],
) -> None:
    message = briefing_email(briefing_factory(email_address="leser@börse.example", name="Jörg"))
    mailer_for(smtp_server.url()).send(message)
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ("leser@xn--brse-5qa.example",)
    assert received.data.isascii()
    assert received.message()["To"] == "Jörg <leser@xn--brse-5qa.example>"
