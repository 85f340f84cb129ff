"""The key-dates calendar page, ``/calendar``: what lies ahead, grouped by day.

Market closures and early closes, FOMC meetings, company events and the other dates the
articles name (``MarketBrief.key_dates``), each with what it is, its companies and the article
it comes from. Filters (a GET form): a ticker (unknown: the 404 page), a sector, the first day
and how many days. A page holds at most ``MAX_ENTRIES`` dates, cut at a day's end; "Later
dates" goes on from the next day. It links the ticker's calendar feed when filtered by one,
and a signed-in reader's own calendar and news feeds (their URLs carry the reader's feed token,
so the page is never cached: ``render`` sends ``no-store`` with a session).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from marketbrief.enrich.kb import Company
from marketbrief.errors import InvalidInputError, NotFoundError
from marketbrief.model import Analysis, ArticleId, CalendarEntry, ReaderStatus
from marketbrief.web.app import brief_of, render, signed_in_reader
from marketbrief.web.feeds import feed_token
from marketbrief.web.reader import blank_none

router = APIRouter(include_in_schema=False)

DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_ENTRIES = 200  # dates on one page; a busier window goes on on the next
KIND_LABELS = {
    "market_holiday": "Market closed",
    "early_close": "Early close",
    "fomc_meeting": "Federal Reserve",
    "company_event": "Company event",
    "article": "In the news",
}
Text = Annotated[str | None, Query(max_length=200)]


@dataclass(frozen=True, slots=True)
class DateRow:
    """One key date as the page shows it."""

    entry: CalendarEntry
    kind: str  # the kind as a reader reads it
    source: Analysis | None  # the article it comes from, when stored


@dataclass(frozen=True, slots=True)
class DayGroup:
    day: date
    rows: tuple[DateRow, ...]


@dataclass(frozen=True, slots=True)
class ReaderFeeds:
    """A signed-in reader's own feed paths."""

    calendar: str
    rss: str
    atom: str


def _days(value: str | None) -> int:
    text = blank_none(value)
    if text is None:
        return DEFAULT_DAYS
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_DAYS:
        raise InvalidInputError(f"days: a whole number from 1 to {MAX_DAYS}", key="days")
    return int(text)


def _first_day(value: str | None) -> date | None:
    text = blank_none(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError("from: a date written as YYYY-MM-DD", key="from") from None


def group_by_day(
    entries: tuple[CalendarEntry, ...],
    sources: dict[ArticleId, Analysis],
    *,
    first_day: date,
    limit: int,
) -> tuple[list[DayGroup], date | None]:
    """The entries by day (in their order; one under way since before ``first_day``, such as
    a two-day meeting, under ``first_day``), at most ``limit`` of them, cut at a day's end
    unless one day alone holds more; with the day the next page starts on (None: no more)."""
    shown = entries
    next_day: date | None = None
    if len(entries) > limit:
        cut = entries[limit].day
        shown = tuple(e for e in entries[:limit] if e.day < cut) or entries[:limit]
        next_day = cut if shown[-1].day < cut else cut + timedelta(days=1)
    groups: dict[date, list[DateRow]] = {}
    for entry in shown:
        source = sources.get(entry.article_id) if entry.article_id is not None else None
        row = DateRow(entry, KIND_LABELS.get(entry.kind, entry.kind), source)
        groups.setdefault(max(entry.day, first_day), []).append(row)
    return [DayGroup(day, tuple(rows)) for day, rows in groups.items()], next_day


def _reader_feeds(request: Request) -> ReaderFeeds | None:
    reader_id = signed_in_reader(request)
    if reader_id is None:
        return None
    try:
        reader = brief_of(request).store.get_reader(reader_id)
    except NotFoundError:  # deleted since the cookie was set
        return None
    if reader.status is not ReaderStatus.CONFIRMED:
        return None
    token = quote(feed_token(request, reader.id), safe="")
    return ReaderFeeds(
        calendar=f"/calendar/readers/{token}.ics",
        rss=f"/feeds/readers/{token}.xml",
        atom=f"/feeds/readers/{token}.atom",
    )


@router.get("/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request,
    ticker: Text = None,
    sector: Text = None,
    days: Text = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
) -> HTMLResponse:
    brief = brief_of(request)
    window = _days(days)
    first = _first_day(start)
    company: Company | None = None
    symbol = blank_none(ticker)
    if symbol is not None:
        company, _ = brief.kb_company(symbol)  # unknown: NotFoundError, the 404 page
        symbol = company.ticker
    sectors = brief.store.list_sectors()
    chosen_sector = blank_none(sector)
    if chosen_sector is not None and chosen_sector not in sectors:
        raise NotFoundError("no articles in this sector", key=chosen_sector[:80])
    found = brief.key_dates(
        as_of=first,
        days=window - 1,  # "30 days" is today and the 29 after it
        watch=(symbol,) if symbol else (),
        sector=chosen_sector,
    )
    groups, next_day = group_by_day(
        found.entries, found.sources, first_day=found.first_day, limit=MAX_ENTRIES
    )

    def query(**values: str | None) -> str:
        base = {"ticker": symbol, "sector": chosen_sector, "days": str(window)}
        return urlencode({k: v for k, v in (base | values).items() if v})

    later = next_day or found.last_day + timedelta(days=1)
    return render(
        request,
        "calendar.html",
        {
            "groups": groups,
            "first_day": found.first_day,
            "last_day": found.last_day if next_day is None else next_day - timedelta(days=1),
            "company": company,
            "symbol": symbol,
            "sector": chosen_sector,
            "sectors": sectors,
            "days": window,
            "from_value": first.isoformat() if first is not None else "",
            "later_url": "/calendar?" + query(**{"from": later.isoformat()}),
            "today_url": "/calendar?" + query() if first is not None else None,
            "cut": next_day is not None,
            "feeds": _reader_feeds(request),
            "kind_labels": KIND_LABELS,
        },
    )


def install_calendar_page(app: FastAPI) -> None:
    """Add ``/calendar`` (called by ``create_app``)."""
    app.include_router(router)
