"""Delivery: the email parses back with text, HTML and the calendar; the ICS is valid."""

import email
import email.policy
from datetime import date
from pathlib import Path

from icalendar import Calendar

from marketbrief.deliver import (
    build_briefing_email,
    build_calendar,
    render_briefing_html,
    render_briefing_text,
    write_outbox,
)
from marketbrief.model import Briefing


def test_html_is_escaped_and_text_is_plain(sample_briefing: Briefing) -> None:
    html = render_briefing_html(sample_briefing)
    assert "&lt;Northwind&gt;" in html and "<Northwind>" not in html
    assert "On your watchlist: RTX" in html
    text = render_briefing_text(sample_briefing)
    assert "Sample: <Northwind> wins a radar order" in text
    assert "Key dates ahead" in text and "2025-SU" in text


def test_calendar_has_all_day_events_with_exclusive_end(sample_briefing: Briefing) -> None:
    b = sample_briefing
    calendar = Calendar.from_ical(build_calendar(b.key_dates, name="n", now=b.generated_at))
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["results due", "funds run out"]
    assert events[0].decoded("dtstart") == date(2025, 7, 30)
    assert events[0].decoded("dtend") == date(2025, 7, 31)
    assert events[1].decoded("dtend") == date(2025, 9, 23)


def test_email_in_the_outbox_parses_back(tmp_path: Path, sample_briefing: Briefing) -> None:
    b = sample_briefing
    message = build_briefing_email(
        b,
        sender="marketbrief <mb@localhost>",
        subject="Your briefing",
        html=render_briefing_html(b),
        text=render_briefing_text(b),
        ics=build_calendar(b.key_dates, name="n", now=b.generated_at),
    )
    path = write_outbox(message, tmp_path / "outbox", stem="2025 06 27/reader 7")
    assert path.parent == tmp_path / "outbox" and path.suffix == ".eml"
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "Sample Reader <reader@example.com>"
    types = [part.get_content_type() for part in parsed.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)
    assert not list(tmp_path.glob("outbox/.tmp-*"))
