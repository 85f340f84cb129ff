"""Readers' schedules: periods and due instants, across time zones and daylight saving."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketbrief.curate.schedule import (
    current_period,
    due_period,
    local_instant,
    next_period,
    week_key,
)
from marketbrief.model import Reader, ReaderId

NEW_YORK = ZoneInfo("America/New_York")
ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


def reader(
    cadence: str = "daily", at: time = time(7, 0), zone: str = "America/New_York", **kw: int
) -> Reader:
    return Reader(
        ReaderId(1), "ada@example.com", "Ada", cadence=cadence, send_time=at, timezone=zone, **kw
    )  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_a_daily_period_is_the_local_date_due_at_the_local_time() -> None:
    ada = reader(at=time(7, 0))
    # 2026-11-28 03:00 UTC is still the 27th in New York (22:00 EST)
    assert current_period(ada, utc(2026, 11, 28, 3)) == due_period(ada, utc(2026, 11, 28, 3))
    period = due_period(ada, utc(2026, 11, 28, 3))
    assert period is not None
    assert (period.key, period.due_at) == ("2026-11-27", utc(2026, 11, 27, 12))
    # at 07:00 EST (12:00 UTC) the 28th is due
    period = due_period(ada, utc(2026, 11, 28, 12))
    assert period is not None and (period.key, period.due_at) == (
        "2026-11-28",
        utc(2026, 11, 28, 12),
    )
    # before it, the 28th is current but not due, and the 27th is the one due
    current = current_period(ada, utc(2026, 11, 28, 11, 59))
    assert (
        current is not None
        and current.key == "2026-11-28"
        and current.due_at > utc(2026, 11, 28, 11, 59)
    )
    earlier = due_period(ada, utc(2026, 11, 28, 11, 59))
    assert earlier is not None and earlier.key == "2026-11-27"


def test_a_weekly_period_is_the_iso_week_due_on_the_weekday() -> None:
    ada = reader("weekly", time(18, 30), "Europe/Paris", weekday=4)  # Fridays 18:30 Paris
    friday = utc(2026, 11, 27, 17, 30)  # 18:30 CET
    period = due_period(ada, friday)
    assert period is not None and (period.key, period.due_at) == ("2026-W48", friday)
    before = due_period(ada, friday - timedelta(seconds=1))
    assert before is not None and (before.key, before.due_at) == (
        "2026-W47",
        friday - timedelta(days=7),
    )
    assert week_key(date(2027, 1, 1)) == "2026-W53"  # ISO weeks cross the new year


def test_alerts_have_no_scheduled_period() -> None:
    assert current_period(reader("alerts"), utc(2026, 11, 28, 12)) is None
    assert due_period(reader("alerts"), utc(2026, 11, 28, 12)) is None


def test_a_time_in_the_spring_gap_is_due_when_the_clocks_jump() -> None:
    # 2026-03-08: New York goes from 02:00 EST to 03:00 EDT; 02:30 never happens
    assert local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK) == utc(2026, 3, 8, 7)
    assert local_instant(date(2026, 3, 8), time(3, 0), NEW_YORK) == utc(2026, 3, 8, 7)
    assert local_instant(date(2026, 3, 8), time(1, 59), NEW_YORK) == utc(2026, 3, 8, 6, 59)


def test_an_ambiguous_time_in_the_autumn_is_due_the_first_time() -> None:
    # 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST)
    assert local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)


def test_a_skipped_date_is_no_period() -> None:
    # Samoa moved across the date line: 2011-12-29 23:59:59 was followed by 2011-12-31 00:00
    ada = reader(at=time(7, 0), zone="Pacific/Apia")
    period = due_period(ada, datetime(2011, 12, 31, 5, tzinfo=ZoneInfo("Pacific/Apia")))
    assert period is not None and period.key == "2011-12-29"
    after = next_period(ada, period)
    assert after is not None and after.key == "2011-12-31"


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("America/New_York", date(2026, 3, 8)),  # spring forward at 02:00
        ("America/New_York", date(2026, 11, 1)),  # fall back at 02:00
        ("Europe/London", date(2026, 3, 29)),
        ("Europe/London", date(2026, 10, 25)),
        ("Australia/Lord_Howe", date(2026, 4, 5)),  # a half-hour shift
        ("America/Santiago", date(2026, 9, 6)),  # midnight does not exist
        ("Pacific/Apia", date(2011, 12, 30)),  # a whole date skipped
    ],
)
@pytest.mark.parametrize(
    "at", [time(0, 0), time(0, 30), time(1, 30), time(2, 0), time(2, 30), time(23, 30)]
)
def test_one_daily_briefing_per_local_date_across_a_transition(
    zone: str, day: date, at: time
) -> None:
    """A sender that looks every ten minutes over four days sees each local date's period due
    exactly once, at one instant, in order."""
    ada = reader(at=at, zone=zone)
    tz = ZoneInfo(zone)
    start = datetime.combine(day - timedelta(days=2), time(0, 0), tzinfo=tz).astimezone(UTC)
    seen: dict[str, datetime] = {}
    now = start
    while now < start + timedelta(days=4):
        period = due_period(ada, now)
        assert period is not None and period.due_at <= now
        assert seen.setdefault(period.key, period.due_at) == period.due_at
        now += timedelta(minutes=10)
    dues = list(seen.values())
    assert dues == sorted(dues) and len(set(dues)) == len(dues)
    # every local date that exists in the window (after the first period) has its one period
    dates = {(start + timedelta(minutes=m)).astimezone(tz).date() for m in range(0, 4 * 1440, 10)}
    first, *keys = (date.fromisoformat(k) for k in seen)  # the first was due before the window
    assert first < min(dates) or first == min(dates)
    assert set(keys) <= dates and dates - set(keys) <= {min(dates), max(dates)}


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    now=st.datetimes(datetime(1990, 1, 1), datetime(2037, 12, 31), timezones=st.just(UTC)),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    cadence=st.sampled_from(["daily", "weekly"]),
    weekday=st.integers(0, 6),
)
def test_the_due_period_is_the_latest_one_due(
    zone: str, now: datetime, at: time, cadence: str, weekday: int
) -> None:
    ada = reader(cadence, at, zone, weekday=weekday)
    period = due_period(ada, now)
    assert period is not None and period.due_at <= now
    following = next_period(ada, period)
    assert following is not None
    assert following.key > period.key  # ISO dates and weeks sort as they come
    assert following.due_at > now  # nothing due in between: this is the latest
    assert due_period(ada, following.due_at) == following  # due from its instant on


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(date(1990, 1, 1), date(2037, 12, 31)),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_local_instant_is_the_first_at_or_after_the_wall_time(
    zone: str, day: date, at: time
) -> None:
    tz = ZoneInfo(zone)
    instant = local_instant(day, at, tz)
    wall = datetime.combine(day, at)
    assert instant.astimezone(tz).replace(tzinfo=None) >= wall
    one_second_before = (instant - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None)
    assert one_second_before < wall
