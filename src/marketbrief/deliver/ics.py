"""Key dates as an iCalendar file (RFC 5545): one all-day event per key date."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Calendar
from icalendar import Event as IcsEvent

from marketbrief.model import CalendarEntry

PRODID = "-//marketbrief//key dates//EN"


def build_calendar(entries: Sequence[CalendarEntry], *, name: str, now: datetime) -> bytes:
    """An ICS calendar of ``entries``; UIDs are stable so a re-import updates, not duplicates."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        event = IcsEvent()
        digest = hashlib.sha1(f"{entry.value}|{entry.title}".encode()).hexdigest()[:20]
        event.add("uid", f"{digest}@marketbrief")
        event.add("dtstamp", now)
        event.add("dtstart", entry.day)
        event.add("dtend", entry.last_day + timedelta(days=1))  # DTEND of a DATE is exclusive
        event.add("summary", entry.title)
        event.add("description", f"TIMEX3 value {entry.value}")
        if entry.url:
            event.add("url", entry.url)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
