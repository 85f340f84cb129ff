"""The briefing email: headers (Message-ID, List-Unsubscribe), no header injection from titles or
names (Hypothesis, parsed back and through a real SMTP server), the HTML fit for mail clients."""

from __future__ import annotations

import email
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback_smtp import SmtpServer

from marketbrief.deliver import (
    MAIL_POLICY,
    SmtpConfig,
    SmtpMailer,
    briefing_message_id,
    build_briefing_email,
    header_text,
    mail_domain,
    render_briefing_html,
    render_briefing_text,
)
from marketbrief.deliver.render import date_label
from marketbrief.errors import InvalidInputError
from marketbrief.model import Briefing, CalendarEntry, ReaderId, event_label

SENDER = "marketbrief <briefings@news.example.com>"
HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
]


def build(briefing: Briefing, *, subject: str | None = None, **options: str | None) -> EmailMessage:
    options.setdefault("unsubscribe_url", "https://news.example.com/unsubscribe?token=abc")
    return build_briefing_email(
        briefing,
        sender=SENDER,
        subject=subject if subject is not None else briefing.items[0].title,
        html=render_briefing_html(briefing),
        text=render_briefing_text(briefing),
        ics=None,
        **options,
    )


def parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# ── Message-ID ──


def test_message_id_is_stable_per_reader_and_period(sample_briefing: Briefing) -> None:
    reader = sample_briefing.reader
    first = briefing_message_id(reader, "2025-06-27", domain="news.example.com")
    assert first == briefing_message_id(reader, "2025-06-27", domain="news.example.com")
    assert re.fullmatch(r"<briefing\.7\.2025-06-27\.[0-9a-f]{16}@news\.example\.com>", first)
    assert first != briefing_message_id(reader, "2025-06-28", domain="news.example.com")
    other = replace(reader, email="someone.else@example.com")
    assert first != briefing_message_id(other, "2025-06-27", domain="news.example.com")
    assert first != briefing_message_id(
        replace(reader, id=ReaderId(8)), "2025-06-27", domain="news.example.com"
    )
    # A period with odd characters still gives a valid id.
    odd = briefing_message_id(reader, "week of 2025/06/23 <x>", domain="news.example.com")
    assert re.fullmatch(
        r"<briefing\.7\.week-of-2025-06-23-x\.[0-9a-f]{16}@news\.example\.com>", odd
    )
    with pytest.raises(InvalidInputError):
        briefing_message_id(reader, "2025-06-27", domain="bad domain>")


def test_the_given_message_id_is_used_else_a_random_one(sample_briefing: Briefing) -> None:
    mid = briefing_message_id(sample_briefing.reader, "2025-W26", domain="news.example.com")
    assert build(sample_briefing, message_id=mid)["Message-ID"] == mid
    one, two = build(sample_briefing)["Message-ID"], build(sample_briefing)["Message-ID"]
    assert one != two and one.endswith("@news.example.com>")
    with pytest.raises(InvalidInputError):
        build(sample_briefing, message_id="<a@b>\r\nBcc: x@evil.example")


def test_mail_domain() -> None:
    assert mail_domain(SENDER) == "news.example.com"
    assert mail_domain("marketbrief <marketbrief@localhost>") == "localhost"
    assert mail_domain("Börse <b@börse.example>") == "xn--brse-5qa.example"
    assert mail_domain("not an address") == "localhost"


# ── List-Unsubscribe ──


def test_list_unsubscribe_one_click(sample_briefing: Briefing) -> None:
    url = "https://news.example.com/unsubscribe?token=" + "x" * 200
    message = build(
        sample_briefing, unsubscribe_url=url, unsubscribe_mailto="unsub@news.example.com"
    )
    raw = message.as_bytes(policy=MAIL_POLICY)
    assert b"=?utf-8?" not in raw.split(b"\r\n\r\n")[0]  # no encoded word in any header
    parsed = parse(raw)
    assert parsed["List-Unsubscribe"] == (
        f"<{url}>, <mailto:unsub@news.example.com?subject=unsubscribe>"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = render_briefing_html(sample_briefing, unsubscribe_url=url)
    assert f'href="{url}"' in html
    assert f"Unsubscribe: {url}" in render_briefing_text(sample_briefing, unsubscribe_url=url)


def test_no_unsubscribe_url_no_list_unsubscribe(sample_briefing: Briefing) -> None:
    message = build(sample_briefing, unsubscribe_url=None)
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    mailto_only = build(sample_briefing, unsubscribe_url=None, unsubscribe_mailto="u@example.com")
    assert mailto_only["List-Unsubscribe"] == "<mailto:u@example.com?subject=unsubscribe>"
    assert mailto_only["List-Unsubscribe-Post"] is None  # one-click needs an https link


@pytest.mark.parametrize(
    "url",
    [
        "https://x.example/u?t=1>, <https://evil.example",
        "https://x.example/u\r\nBcc: x@evil.example",
        "javascript:alert(1)",
        "https://x.example/a b",
        "https://x.example/ü",
    ],
)
def test_bad_unsubscribe_urls_are_refused(sample_briefing: Briefing, url: str) -> None:
    with pytest.raises(InvalidInputError):
        build(sample_briefing, unsubscribe_url=url)


# ── header injection ──


def test_hostile_title_and_name_gain_no_header(
    briefing_factory: Callable[..., Briefing],
) -> None:
    b = briefing_factory(
        title="Hi\r\nBcc: x@evil.example\r\n\r\nbody", name="Zoë\nBcc: y@evil.example"
    )
    message = build(b)
    parsed = parse(message.as_bytes(policy=MAIL_POLICY))
    assert list(parsed.keys()) == HEADERS
    assert parsed["Subject"] == "Hi Bcc: x@evil.example body"
    encoded = build(b, subject="=?utf-8?q?=0D=0ABcc:_x@evil.example?= and x=?utf-8?q?=0A?=y")
    parsed = parse(encoded.as_bytes(policy=MAIL_POLICY))
    assert list(parsed.keys()) == HEADERS
    assert parsed["Subject"] == "= ?utf-8?q?=0D=0ABcc:_x@evil.example?= and x= ?utf-8?q?=0A?=y"
    assert parsed["To"].addresses[0].addr_spec == "reader@example.com"
    assert parsed["To"].addresses[0].display_name == "Zoë Bcc: y@evil.example"


@pytest.mark.parametrize(
    "address", ["reader@example.com\r\nBcc: x@evil.example", "a@b.example, c@d.example", "nobody"]
)
def test_a_bad_reader_address_is_refused(
    briefing_factory: Callable[..., Briefing], address: str
) -> None:
    with pytest.raises(InvalidInputError):
        build(briefing_factory(email_address=address))


HOSTILE = st.sampled_from(
    [
        "\r\n",
        "\n",
        "\r",
        "\x00",
        "\x0b",
        "\x0c",
        "\x85",
        "\u2028",
        "\u2029",
        "\r\nBcc: x@evil.example",
        "\nX-Injected: yes",
        "\r\n\r\n",
        "=?utf-8?q?=0D=0ABcc:_x@evil.example?=",
        "<script>",
        '"',
        ",",
        ";",
        ":",
        "Ünïcödé 株式 🚀",
    ]
)
LINE = st.lists(st.one_of(st.text(max_size=20), HOSTILE), max_size=8).map("".join)


def _received_headers(parsed: EmailMessage) -> None:
    assert list(parsed.keys()) == HEADERS
    for name in parsed:
        assert "\n" not in parsed[name] and "\r" not in parsed[name]


@settings(max_examples=150, deadline=None)
@given(title=LINE, name=LINE)
def test_no_header_injection_property(title: str, name: str) -> None:
    from loopback_smtp import make_briefing

    message = build(make_briefing(title=title, name=name), subject=f"Briefing: {title}")
    parsed = parse(message.as_bytes(policy=MAIL_POLICY))
    _received_headers(parsed)
    # Python's folder may put a space between two encoded words, or drop one: compare without.
    assert parsed["Subject"].replace(" ", "") == header_text(f"Briefing: {title}").replace(" ", "")
    [to] = parsed["To"].addresses
    assert to.addr_spec == "reader@example.com"
    assert to.display_name.replace(" ", "") == header_text(name).replace(" ", "")


@pytest.fixture
def one_mailer(smtp_server: SmtpServer) -> Iterator[SmtpMailer]:
    with SmtpMailer(SmtpConfig.from_url(smtp_server.url())) as mailer:
        yield mailer


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=LINE, name=LINE)
def test_no_header_injection_through_smtp(
    smtp_server: SmtpServer, one_mailer: SmtpMailer, title: str, name: str
) -> None:
    from loopback_smtp import make_briefing

    before = len(smtp_server.received)
    one_mailer.send(build(make_briefing(title=title, name=name), subject=title))
    received = smtp_server.wait_for(before + 1)[before]
    assert received.rcpt_tos == ("reader@example.com",)
    parsed = received.message()
    _received_headers(parsed)
    assert parsed["Subject"].replace(" ", "") == header_text(title).replace(" ", "")


# ── the HTML email ──


def test_html_is_an_email_layout(sample_briefing: Briefing) -> None:
    html = render_briefing_html(sample_briefing, unsubscribe_url="https://x.example/u?t=1")
    assert "max-width:600px" in html and 'name="viewport"' in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert "<script" not in html.lower()
    # Inline defaults: every element that the dark palette repaints has its light colours inline.
    for tag in re.findall(r"<(?:h1|h2|p|td|span|a)\b[^>]*class=\"[^\"]*mb-[^>]*>", html):
        assert 'style="' in tag, tag
    body = html.split("<body", 1)[1]
    assert "<style" not in body  # all styles of the body are inline


def test_only_web_links_become_links(briefing_factory: Callable[..., Briefing]) -> None:
    b = briefing_factory()
    item = replace(b.items[0], url="javascript:alert(1)")
    html = render_briefing_html(replace(b, items=(item,)))
    assert "javascript:" not in html
    assert "Sample: &lt;Northwind&gt; wins a radar order" in html


def test_text_part_lines_fit(briefing_factory: Callable[..., Briefing]) -> None:
    b = briefing_factory(title="A very long headline " * 8)
    text = render_briefing_text(b, unsubscribe_url="https://x.example/u?t=1")
    for line in text.splitlines():
        assert len(line) <= 78 or line.strip().startswith(("http", "Unsubscribe:")), line


@pytest.mark.parametrize(
    ("first", "last", "value", "label"),
    [
        ((2025, 7, 30), (2025, 7, 30), "2025-07-30", "Wed Jul 30, 2025"),
        ((2025, 8, 1), (2025, 8, 31), "2025-08", "August 2025"),
        ((2025, 2, 1), (2025, 2, 28), "2025-02", "February 2025"),
        ((2026, 1, 1), (2026, 12, 31), "2026", "2026"),
        ((2025, 7, 1), (2025, 9, 30), "2025-Q3", "Jul 1 – Sep 30, 2025 (2025-Q3)"),
        ((2025, 6, 30), (2025, 7, 6), "2025-W27", "Jun 30 – Jul 6, 2025 (2025-W27)"),
    ],
)
def test_date_labels(
    first: tuple[int, int, int], last: tuple[int, int, int], value: str, label: str
) -> None:
    entry = CalendarEntry(date(*first), date(*last), "t", value, None, None)
    assert date_label(entry) == label


def test_event_labels(briefing_factory: Callable[..., Briefing]) -> None:
    assert event_label("mna") == "M&A"
    assert event_label("contract_award") == "contract award"
    b = briefing_factory()
    item = replace(b.items[0], events=("mna",), matched=("RTX", "event: policy_trade"))
    b = replace(b, items=(item,))
    assert "On your watchlist: RTX, event: trade policy" in render_briefing_text(b)
    html = render_briefing_html(b)
    assert "On your watchlist: RTX, event: trade policy" in html and ">M&amp;A</span>" in html
