"""An alert as HTML, text and email: the headline (company and event), the story as the
briefing shows it, the briefing's footer and unsubscribe headers, hostile text kept in its
place, and a Message-ID per reader and story."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes

import pytest

from marketbrief.deliver import (
    MAIL_POLICY,
    alert_headline,
    alert_title,
    briefing_message_id,
    build_reader_email,
    render_alert_parts,
    render_briefing_html,
    render_briefing_text,
)
from marketbrief.model import (
    ArticleId,
    Briefing,
    BriefingItem,
    CompanyLink,
    CompanyRole,
    Reader,
    ReaderId,
    Sentiment,
    StoryId,
    Watchlist,
)

NOW = datetime(2025, 6, 27, 14, 5, tzinfo=UTC)
WEB = "https://mb.example"
UNSUBSCRIBE = f"{WEB}/unsubscribe?token=abc.def"
MANAGE = f"{WEB}/manage"
READER = Reader(
    ReaderId(7),
    "ada@example.com",
    "Ada",
    Watchlist(("RTX", "LMT"), ("Energy",), ("mna",)),
    cadence="alerts",
)
RTX = CompanyLink("RTX", "RTX Corporation", "NYSE", CompanyRole.PRIMARY, 0.9, "named as RTX")


def item(**changes: object) -> BriefingItem:
    base = BriefingItem(
        story_id=StoryId("s-0123456789abcdef"),
        title="Raytheon wins a sample Patriot order",
        summary="RTX said the sample order runs for five years.",
        url="https://wire.example/1",
        source="Sample Wire",
        published_at=NOW,
        companies=(RTX,),
        events=("contract_award", "mna"),
        sentiment=Sentiment("positive", 0.5),
        importance=0.6,
        sources_count=2,
        matched=("RTX",),
        insight="About your RTX · contract award · positive",
        article_id=ArticleId("a1"),
        page_url=f"{WEB}/articles/a1",
        story_url=f"{WEB}/stories/s-0123456789abcdef",
        articles_count=3,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def render(shown: BriefingItem, company: CompanyLink | None = RTX) -> tuple[str, str]:
    return render_alert_parts(
        READER, shown, company=company, sent_at=NOW, unsubscribe_url=UNSUBSCRIBE, manage_url=MANAGE
    )


@pytest.mark.parametrize(
    ("shown", "company", "headline"),
    [
        (item(), RTX, "RTX Corporation (RTX): contract award"),
        (item(events=()), RTX, "RTX Corporation (RTX)"),
        (item(matched=("sector: Energy",)), None, "Energy: contract award"),
        (item(matched=()), None, "contract award"),
        (item(matched=(), events=()), None, ""),
        (item(), replace(RTX, name="RTX"), "RTX: contract award"),
    ],
)
def test_the_headline_names_the_company_and_what_happened(
    shown: BriefingItem, company: CompanyLink | None, headline: str
) -> None:
    assert alert_headline(shown, company) == headline
    title = alert_title(shown, company)
    assert title == (f"{headline} — {shown.title}" if headline else shown.title)


def test_the_alert_shows_the_story_and_its_links_in_both_parts() -> None:
    html, text = render(item())
    for part in (html.replace("&amp;", "&"), text):
        assert "RTX Corporation (RTX): contract award" in part
        assert "Raytheon wins a sample Patriot order" in part
        assert "About your RTX · contract award · positive" in part
        assert "RTX said the sample order runs for five years." in part
        assert "https://wire.example/1" in part
        assert f"{WEB}/stories/s-0123456789abcdef" in part
        assert MANAGE in part and UNSUBSCRIBE in part
        assert "what you follow: RTX, LMT, Energy, M&A." in " ".join(part.split())
    assert "Story:  https://mb.example/stories/s-0123456789abcdef (3 articles)" in text
    assert "<title>RTX Corporation (RTX): contract award — Raytheon wins" in html


def test_the_footer_is_the_briefing_s() -> None:
    briefing = Briefing(READER, NOW, None, (), ())
    links = {"unsubscribe_url": UNSUBSCRIBE, "manage_url": MANAGE}
    html, text = render(item())
    briefing_text = render_briefing_text(briefing, **links)
    footer = briefing_text[briefing_text.index("-- \n") :]
    assert text.endswith(footer) and UNSUBSCRIBE in footer
    briefing_html = render_briefing_html(briefing, **links)
    last = re.findall(r"<p class=\"mb-muted\"[^>]*>marketbrief: .*?</p>", briefing_html)
    assert len(last) == 1 and last[0] in html


def test_hostile_text_stays_text() -> None:
    hostile = '<script>alert(1)</script> "x" & =?utf-8?q?=0D=0ABcc:_x@evil.example?=\r\nBcc: y'
    company = replace(RTX, name=hostile)
    shown = item(
        title=hostile, summary=hostile, insight=hostile, source=hostile, url="javascript:x"
    )
    html, text = render(shown, company)
    assert "<script>" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html
    assert "\r" not in text.replace("\r\n", "")
    message = build_reader_email(
        READER,
        sender="marketbrief <alerts@mb.example>",
        subject=alert_title(shown, company),
        html=html,
        text=text,
        sent_at=NOW,
        list_id="alerts",
    )
    parsed = message_from_bytes(message.as_bytes(policy=MAIL_POLICY), policy=MAIL_POLICY)
    assert parsed["Bcc"] is None and "\n" not in str(parsed["Subject"])


def test_text_lines_fit_but_for_links() -> None:
    long = "A very long sample headline that goes on " * 4
    _, text = render(item(title=long, summary=long * 2, insight=long))
    for line in text.splitlines():
        assert len(line) <= 78 or "https://" in line, line


def test_an_alert_has_a_message_id_per_reader_and_story_on_one_header_line() -> None:
    first = briefing_message_id(READER, "alert/s-0123456789abcdef", domain="news.example.org")
    assert first.startswith("<alert.7.s-0123456789abcdef.")
    assert len(f"Message-ID: {first}") <= 78
    assert first != briefing_message_id(
        READER, "alert/s-fedcba9876543210", domain="news.example.org"
    )
    other = replace(READER, email="bob@example.com")
    assert first != briefing_message_id(
        other, "alert/s-0123456789abcdef", domain="news.example.org"
    )
    assert briefing_message_id(READER, "2025-06-27", domain="x.example").startswith(
        "<briefing.7.2025-06-27."
    )


def test_a_reader_without_a_name_is_not_addressed_by_one() -> None:
    html, _ = render(item())
    assert "News alert for Ada · " in html
    html, _ = render_alert_parts(
        replace(READER, name=""),
        item(),
        company=RTX,
        sent_at=NOW,
        unsubscribe_url=UNSUBSCRIBE,
        manage_url=MANAGE,
    )
    assert "News alert · " in html and "alert for" not in html
