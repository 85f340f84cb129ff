"""The market calendar as iCalendar: parses back, all-day events, UIDs that survive a move."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar

from marketbrief.curate.calendar import (
    MarketDate,
    MarketDateKind,
    exchange_dates,
    fomc_dates,
)
from marketbrief.deliver import build_market_ics, stable_uid
from marketbrief.model import ArticleId

NOW = datetime(2025, 6, 27, 22, tzinfo=UTC)
STATED = datetime(2025, 6, 25, 14, tzinfo=UTC)


def results(day: date, *, ticker: str = "AAPL", revision: int = 0) -> MarketDate:
    return MarketDate(
        MarketDateKind.COMPANY,
        day,
        day,
        f"{ticker} earnings",
        f"company/{ticker}/earnings/2025-Q3",
        detail="will report results",
        tickers=(ticker,),
        event="earnings",
        article_id=ArticleId("a1"),
        url="https://news.example/a1",
        stated_at=STATED,
        revision=revision,
    )


def events(data: bytes) -> list[Any]:
    calendar = Calendar.from_ical(data)
    assert calendar["version"] == "2.0"
    assert "marketbrief" in str(calendar["prodid"])
    return list(calendar.walk("VEVENT"))


def test_events_parse_back_as_all_day_entries() -> None:
    dates = [*fomc_dates(date(2025, 7, 1), date(2025, 7, 31)), results(date(2025, 7, 31))]
    fomc, company = events(build_market_ics(dates, now=NOW))
    assert fomc["dtstart"].dt == date(2025, 7, 29)
    assert fomc["dtend"].dt == date(2025, 7, 31)  # exclusive: the meeting's two days
    assert str(fomc["summary"]) == "FOMC meeting — rate decision Jul 30"
    assert "2:00 p.m. ET" in str(fomc["description"])
    assert company["dtstart"].dt == date(2025, 7, 31)
    assert company["dtend"].dt == date(2025, 8, 1)
    assert str(company["url"]) == "https://news.example/a1"
    assert "Source: https://news.example/a1" in str(company["description"])
    assert company["dtstamp"].dt == NOW
    assert company["last-modified"].dt == STATED
    assert "AAPL" in company["categories"].cats
    assert "company_event" in company["categories"].cats


def test_a_moved_date_keeps_the_uid_and_raises_the_sequence() -> None:
    (before,) = events(build_market_ics([results(date(2025, 7, 31))], now=NOW))
    moved = results(date(2025, 8, 5), revision=1)
    (after,) = events(build_market_ics([moved], now=NOW + timedelta(days=1)))
    assert str(before["uid"]) == str(after["uid"]) == stable_uid("market|" + moved.key)
    assert "sequence" not in before  # 0, the default
    assert int(after["sequence"]) == 1
    assert after["dtstart"].dt == date(2025, 8, 5)


def test_different_events_never_share_a_uid() -> None:
    first, last = date(2024, 1, 1), date(2027, 12, 31)
    company = [
        results(date(2025, 7, 31)),
        results(date(2025, 7, 31), ticker="MSFT"),  # same day and event, another company
        replace(results(date(2025, 7, 31)), key="company/AAPL/annual-meeting/2025"),
    ]
    dates = [*exchange_dates(first, last), *fomc_dates(first, last), *company]
    uids = [str(e["uid"]) for e in events(build_market_ics(dates, now=NOW))]
    assert len(uids) == len(dates) > 80
    assert len(set(uids)) == len(uids)


def test_the_same_calendar_twice_is_the_same_file() -> None:
    dates = [*exchange_dates(date(2025, 11, 1), date(2025, 12, 31)), results(date(2025, 11, 3))]
    assert build_market_ics(dates, now=NOW) == build_market_ics(dates, now=NOW)
