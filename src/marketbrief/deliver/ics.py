"""Calendars as iCalendar files (RFC 5545): a briefing's key dates, and the market calendar.

Every entry is an all-day event (``DTSTART``/``DTEND`` as dates, the end exclusive). UIDs are
stable — a hash of what the entry *is*, never of when — so importing or subscribing again
updates an event rather than duplicating it. ``DTSTAMP`` is the time the calendar was made;
``SEQUENCE`` counts the changes of an event's date, and ``LAST-MODIFIED`` is when the source
that set it was published, so that a calendar app takes the newer version of a moved event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Protocol

from icalendar import Calendar
from icalendar import Event as IcsEvent

from marketbrief.model import CalendarEntry

PRODID = "-//marketbrief//key dates//EN"
MARKET_PRODID = "-//marketbrief//market calendar//EN"


class MarketCalendarDate(Protocol):
    """What an entry of the market calendar (``curate.calendar.MarketDate``) offers."""

    @property
    def kind(self) -> str: ...
    @property
    def day(self) -> date: ...
    @property
    def last_day(self) -> date: ...
    @property
    def title(self) -> str: ...
    @property
    def key(self) -> str: ...  # identity without the date
    @property
    def detail(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def tickers(self) -> tuple[str, ...]: ...
    @property
    def stated_at(self) -> datetime | None: ...
    @property
    def revision(self) -> int: ...


def stable_uid(identity: str) -> str:
    """The UID of the event that ``identity`` names: the same identity, the same UID."""
    return f"{hashlib.sha1(identity.encode()).hexdigest()[:20]}@marketbrief"


def _calendar(name: str, prodid: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", prodid)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _all_day_event(
    *,
    uid: str,
    first: date,
    last: date,
    summary: str,
    description: str | None,
    url: str | None,
    now: datetime,
    sequence: int = 0,
    modified_at: datetime | None = None,
    categories: Sequence[str] = (),
) -> IcsEvent:
    event = IcsEvent()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", first)
    event.add("dtend", last + timedelta(days=1))  # DTEND of a DATE is exclusive
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    if sequence:
        event.add("sequence", sequence)
    if modified_at is not None:
        event.add("last-modified", modified_at)
    if categories:
        event.add("categories", list(categories))
    event.add("transp", "TRANSPARENT")
    return event


def build_calendar(entries: Sequence[CalendarEntry], *, name: str, now: datetime) -> bytes:
    """An ICS calendar of a briefing's key dates, one all-day event each. A date of the market
    calendar keeps the UID it has in the market calendar's ICS (from its key), so the two
    files update one event; an article's date is identified by its value and title."""
    calendar = _calendar(name, PRODID)
    for entry in entries:
        identity = f"market|{entry.key}" if entry.key else f"{entry.value}|{entry.title}"
        notes = [entry.detail] if entry.detail else []
        if entry.url:
            notes.append(f"Source: {entry.url}")
        calendar.add_component(
            _all_day_event(
                uid=stable_uid(identity),
                first=entry.day,
                last=entry.last_day,
                summary=entry.title,
                description="\n".join(notes) or f"TIMEX3 value {entry.value}",
                url=entry.url,
                now=now,
                categories=(entry.kind, *entry.tickers),
            )
        )
    data: bytes = calendar.to_ical()
    return data


def build_market_ics(
    dates: Sequence[MarketCalendarDate], *, name: str = "marketbrief market calendar", now: datetime
) -> bytes:
    """An ICS calendar of market dates; each UID comes from the entry's ``key`` alone."""
    calendar = _calendar(name, MARKET_PRODID)
    for entry in dates:
        notes = [entry.detail] if entry.detail else []
        if entry.url:
            notes.append(f"Source: {entry.url}")
        calendar.add_component(
            _all_day_event(
                uid=stable_uid(f"market|{entry.key}"),
                first=entry.day,
                last=entry.last_day,
                summary=entry.title,
                description="\n".join(notes) or None,
                url=entry.url,
                now=now,
                sequence=entry.revision,
                modified_at=entry.stated_at,
                categories=(str(entry.kind), *entry.tickers),
            )
        )
    data: bytes = calendar.to_ical()
    return data
