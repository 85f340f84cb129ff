"""When a reader's briefing is due (pure): the period it belongs to and the instant it is due.

A *period* is what the send log counts once per reader: at most one briefing per reader and
period, whoever sends it and however often the sender restarts.

- **daily**: one period per date of the reader's own calendar (their IANA time zone), key
  ``"2026-11-28"``, due at ``send_time`` local time on that date.
- **weekly**: one period per ISO week of that calendar, key ``"2026-W48"``, due on ``weekday``
  (0 = Monday) at ``send_time``.
- **alerts**: no scheduled period and no briefing (``current_period`` and ``due_period``
  return ``None``): one period per *story*, key ``"alert/<story id>"`` (:func:`alert_period`),
  due the moment the sender finds that the story matters to the reader (``curate.alerts``).
  A reader gets at most one alert per story, ever, by the same send log as briefings.

Daylight saving: a local time that does not exist (02:30 on a spring-forward night) is due at
the first instant after the gap (03:00); one that happens twice (01:30 on a fall-back night) is
due the first time. So every local date has exactly one due instant, due instants increase from
one period to the next, and a date that a time zone skipped altogether (Samoa's 30 December
2011) is no period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from marketbrief.model import Reader

_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Period:
    """One period of a reader's schedule: its send-log key and when its briefing is due."""

    key: str
    due_at: datetime  # aware, UTC


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``zone``.

    An ambiguous wall time (it happens twice) gives the first instant; one in a gap (it never
    happens) gives the first instant after the gap, the moment the clocks jumped.
    """
    wall = datetime.combine(day, at.replace(tzinfo=None))
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap, fold=1 reads the wall time with the offset after the jump and fold=0 with the
    # offset before it, so the jump lies between the two: find the first second at or after
    # the wall time (local time is monotonic across a gap; transitions fall on whole seconds).
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())  # local time before ``wall``
    high = int(first.timestamp())  # local time after ``wall``
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _zone(reader: Reader) -> ZoneInfo:
    return ZoneInfo(reader.timezone)


def _previous_date(day: date, zone: ZoneInfo) -> date:
    """The local date before ``day`` that exists in ``zone`` (a skipped date is passed over)."""
    start = local_instant(day, time(0, 0), zone)
    return (start - _SECOND).astimezone(zone).date()


def week_key(day: date) -> str:
    """The ISO week of ``day``: ``"2026-W48"``."""
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _daily(day: date, reader: Reader, zone: ZoneInfo) -> Period:
    return Period(day.isoformat(), local_instant(day, reader.send_time, zone))


def _weekly(day: date, reader: Reader, zone: ZoneInfo) -> Period:
    """The weekly period of the ISO week that holds ``day``."""
    send_day = day - timedelta(days=day.weekday()) + timedelta(days=reader.weekday)
    return Period(week_key(send_day), local_instant(send_day, reader.send_time, zone))


def current_period(reader: Reader, now: datetime) -> Period | None:
    """The period ``now`` falls in (the reader's local date or ISO week), whether its briefing
    is due yet or not; None for a cadence without scheduled periods."""
    zone = _zone(reader)
    today = now.astimezone(zone).date()
    if reader.cadence == "daily":
        return _daily(today, reader, zone)
    if reader.cadence == "weekly":
        return _weekly(today, reader, zone)
    return None


def due_period(reader: Reader, now: datetime) -> Period | None:
    """The latest period whose briefing is due at ``now`` (``due_at <= now``).

    Before today's (this week's) send time that is yesterday's (last week's) period: a sender
    that was down at 23:00 still finds the 23:00 briefing after midnight, and the lateness
    limit decides whether it is still worth sending.
    """
    period = current_period(reader, now)
    if period is None or period.due_at <= now:
        return period
    zone = _zone(reader)
    today = now.astimezone(zone).date()
    if reader.cadence == "daily":
        return _daily(_previous_date(today, zone), reader, zone)
    return _weekly(today - timedelta(days=7), reader, zone)


def next_period(reader: Reader, period: Period) -> Period | None:
    """The period after ``period`` (its due instant is later)."""
    zone = _zone(reader)
    if reader.cadence == "daily":
        # The first date after the period's own that exists in the zone: the local date of
        # the first instant of the day after (a skipped date jumps to the one after it).
        day = date.fromisoformat(period.key) + timedelta(days=1)
        return _daily(local_instant(day, time(0, 0), zone).astimezone(zone).date(), reader, zone)
    if reader.cadence == "weekly":
        year, week = period.key.split("-W")
        return _weekly(date.fromisocalendar(int(year), int(week), 1) + timedelta(7), reader, zone)
    return None


ALERT_PREFIX = "alert/"


def alert_period(story_id: str) -> str:
    """The send-log period of an alert about a story: ``"alert/s-0123456789abcdef"``."""
    return f"{ALERT_PREFIX}{story_id}"


def is_alert_period(period: str) -> bool:
    return period.startswith(ALERT_PREFIX)


__all__ = [
    "ALERT_PREFIX",
    "Period",
    "alert_period",
    "current_period",
    "due_period",
    "is_alert_period",
    "local_instant",
    "next_period",
    "week_key",
]
