"""Feeds: RSS 2.0 per ticker, per sector and per reader; iCalendar per ticker and per reader.

RSS is written with ``xml.etree`` (text escaped by the serializer; characters XML 1.0 cannot
hold are dropped first, so any title makes a well-formed feed). Calendars come from the market
calendar (``MarketBrief.calendar``, ``calendar_ics``). A reader's feeds are reached by a
signed token of purpose "feed" in the URL (feed readers and calendar apps send no cookies);
the token names the reader and nothing else, and a reader who unsubscribed gets 404.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from email.utils import format_datetime
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from marketbrief.core import MarketBrief
from marketbrief.errors import NotFoundError
from marketbrief.model import Analysis, Reader, ReaderStatus, event_label
from marketbrief.web.app import brief_of, site_of, tokens_of
from marketbrief.web.security import InvalidToken

router = APIRouter(include_in_schema=False)

FEED_ITEMS = 50
CALENDAR_DAYS = 90
FEED_TOKEN_MAX_AGE = 10 * 365 * 24 * 3600  # a feed URL is pasted once into a reader app
RSS_TYPE = "application/rss+xml; charset=utf-8"
ICS_TYPE = "text/calendar; charset=utf-8"
# What XML 1.0 cannot hold (C0 controls but tab, LF, CR; surrogates; U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


def feed_token(request: Request, reader_id: int) -> str:
    """The token of a reader's feed URLs."""
    return tokens_of(request).make("feed", reader_id)


def build_rss(
    analyses: Sequence[Analysis], *, title: str, link: str, description: str, site: str
) -> bytes:
    """An RSS 2.0 document of ``analyses`` (newest first), linking to the reader's pages."""
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = xml_text(title)
    ET.SubElement(channel, "link").text = link
    ET.SubElement(channel, "description").text = xml_text(description)
    for analysis in analyses:
        article = analysis.article
        page = f"{site}/articles/{quote(article.id, safe='')}"
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = xml_text(article.title or "(untitled)")
        ET.SubElement(item, "link").text = page
        ET.SubElement(item, "guid", isPermaLink="true").text = page
        if article.published_at is not None:
            ET.SubElement(item, "pubDate").text = format_datetime(article.published_at)
        ET.SubElement(item, "description").text = xml_text(analysis.summary)
        if article.source:
            ET.SubElement(item, "source", url=page).text = xml_text(article.source)
        for company in analysis.companies:
            ET.SubElement(item, "category", domain="ticker").text = xml_text(company.ticker)
        for event in analysis.events:
            ET.SubElement(item, "category", domain="event").text = xml_text(event_label(event.type))
    return bytes(ET.tostring(rss, encoding="utf-8", xml_declaration=True))


def _reader(request: Request, token: str) -> Reader:
    try:
        reader_id = tokens_of(request).read("feed", token, max_age=FEED_TOKEN_MAX_AGE)
    except InvalidToken:
        raise NotFoundError("no feed at this address", key="feed") from None
    if not isinstance(reader_id, int):
        raise NotFoundError("no feed at this address", key="feed")
    reader = brief_of(request).store.get_reader(reader_id)
    if reader.status is not ReaderStatus.CONFIRMED:
        raise NotFoundError("no feed at this address", key="feed")
    return reader


def reader_analyses(brief: MarketBrief, reader: Reader) -> list[Analysis]:
    """The newest analyses about what the reader follows (tickers, sectors, event types)."""
    store = brief.store
    found: dict[str, Analysis] = {}
    watch = reader.watchlist
    for ticker in watch.tickers:
        found.update((a.article.id, a) for a in store.page_analyses(ticker=ticker).analyses)
    for sector in watch.sectors:
        found.update((a.article.id, a) for a in store.page_analyses(sector=sector).analyses)
    for event in watch.event_types:
        found.update((a.article.id, a) for a in store.page_analyses(event_type=event).analyses)

    def newest(analysis: Analysis) -> float:
        at = analysis.article.published_at or analysis.article.first_seen_at
        return 0.0 if at is None else at.timestamp()

    return sorted(found.values(), key=newest, reverse=True)[:FEED_ITEMS]


@router.get("/feeds/tickers/{ticker}.xml")
def ticker_feed(request: Request, ticker: str) -> Response:
    brief = brief_of(request)
    company, _ = brief.kb_company(ticker)
    site = site_of(request)
    analyses = brief.store.page_analyses(ticker=company.ticker, limit=FEED_ITEMS).analyses
    body = build_rss(
        analyses,
        title=f"{company.name} ({company.ticker}) · marketbrief",
        link=f"{site}/tickers/{quote(company.ticker, safe='')}",
        description=f"News about {company.legal_name}",
        site=site,
    )
    return Response(body, media_type=RSS_TYPE)


@router.get("/feeds/sectors/{sector}.xml")
def sector_feed(request: Request, sector: str) -> Response:
    store = brief_of(request).store
    if sector not in store.list_sectors():
        raise NotFoundError("no articles in this sector", key=sector[:80])
    site = site_of(request)
    body = build_rss(
        store.page_analyses(sector=sector, limit=FEED_ITEMS).analyses,
        title=f"{sector} · marketbrief",
        link=f"{site}/articles?sector={quote(sector, safe='')}",
        description=f"News in {sector}",
        site=site,
    )
    return Response(body, media_type=RSS_TYPE)


@router.get("/feeds/readers/{token}.xml")
def reader_feed(request: Request, token: str) -> Response:
    brief = brief_of(request)
    reader = _reader(request, token)
    site = site_of(request)
    body = build_rss(
        reader_analyses(brief, reader),
        title="Your watchlist · marketbrief",
        link=f"{site}/manage",
        description="News about what you follow",
        site=site,
    )
    return Response(body, media_type=RSS_TYPE, headers={"cache-control": "private"})


@router.get("/calendar/tickers/{ticker}.ics")
def ticker_calendar(request: Request, ticker: str) -> Response:
    brief = brief_of(request)
    company, _ = brief.kb_company(ticker)
    calendar = brief.calendar(days=CALENDAR_DAYS, watch=(company.ticker,))
    return Response(brief.calendar_ics(calendar), media_type=ICS_TYPE)


@router.get("/calendar/readers/{token}.ics")
def reader_calendar(request: Request, token: str) -> Response:
    brief = brief_of(request)
    reader = _reader(request, token)
    calendar = brief.calendar(days=CALENDAR_DAYS, watch=reader.watchlist.tickers)
    return Response(
        brief.calendar_ics(calendar), media_type=ICS_TYPE, headers={"cache-control": "private"}
    )


def install_feeds(app: FastAPI) -> None:
    """Add the feeds to ``app`` (called by ``create_app``)."""
    app.include_router(router)
