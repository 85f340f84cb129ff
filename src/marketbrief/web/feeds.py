"""Feeds: RSS 2.0 and Atom per ticker, per sector and per reader; iCalendar per ticker and per
reader.

A feed is chosen once (``Feed``: its analyses, newest first, and what it is about) and written
as RSS (``build_rss``) or Atom (``build_atom``, RFC 4287) from the same items (``feed_items``),
so the two formats of a feed never disagree. Both are written with ``xml.etree`` (text escaped
by the serializer; characters XML 1.0 cannot hold are dropped first, so any title makes a
well-formed feed). Calendars come from the market calendar (``MarketBrief.calendar``,
``calendar_ics``). A reader's feeds are reached by a signed token of purpose "feed" in the URL
(feed readers and calendar apps send no cookies); the token names the reader and nothing else,
and a reader who unsubscribed gets 404.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from marketbrief.core import MarketBrief
from marketbrief.errors import NotFoundError
from marketbrief.model import Analysis, Reader, ReaderStatus, event_label
from marketbrief.web.app import brief_of, now_of, site_of, tokens_of
from marketbrief.web.security import InvalidToken

router = APIRouter(include_in_schema=False)

FEED_ITEMS = 50
CALENDAR_DAYS = 90
FEED_TOKEN_MAX_AGE = 10 * 365 * 24 * 3600  # a feed URL is pasted once into a reader app
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
ICS_TYPE = "text/calendar; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
# What XML 1.0 cannot hold (C0 controls but tab, LF, CR; surrogates; U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


def feed_token(request: Request, reader_id: int) -> str:
    """The token of a reader's feed URLs."""
    return tokens_of(request).make("feed", reader_id)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One article as both feed formats show it (text already safe for XML)."""

    page: str  # our article page: the item's link and its permanent id
    title: str
    summary: str
    published_at: datetime | None
    updated_at: datetime | None  # published, else first seen
    source: str | None
    authors: tuple[str, ...]
    tickers: tuple[str, ...]
    events: tuple[tuple[str, str], ...]  # (type, label)


def feed_items(analyses: Sequence[Analysis], *, site: str) -> list[FeedItem]:
    """The items of a feed of ``analyses``, in their order."""
    found = []
    for analysis in analyses:
        article = analysis.article
        found.append(
            FeedItem(
                page=f"{site}/articles/{quote(article.id, safe='')}",
                title=xml_text(article.title or "(untitled)"),
                summary=xml_text(analysis.summary),
                published_at=article.published_at,
                updated_at=article.published_at or article.first_seen_at,
                source=xml_text(article.source) or None,
                authors=tuple(a for a in (xml_text(a) for a in article.authors) if a),
                tickers=tuple(xml_text(c.ticker) for c in analysis.companies),
                events=tuple(
                    (xml_text(e.type), xml_text(event_label(e.type))) for e in analysis.events
                ),
            )
        )
    return found


def build_rss(
    analyses: Sequence[Analysis], *, title: str, link: str, description: str, site: str
) -> bytes:
    """An RSS 2.0 document of ``analyses`` (newest first), linking to the reader's pages."""
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = xml_text(title)
    ET.SubElement(channel, "link").text = link
    ET.SubElement(channel, "description").text = xml_text(description)
    for entry in feed_items(analyses, site=site):
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = entry.title
        ET.SubElement(item, "link").text = entry.page
        ET.SubElement(item, "guid", isPermaLink="true").text = entry.page
        if entry.published_at is not None:
            ET.SubElement(item, "pubDate").text = format_datetime(entry.published_at)
        ET.SubElement(item, "description").text = entry.summary
        if entry.source:
            ET.SubElement(item, "source", url=entry.page).text = entry.source
        for ticker in entry.tickers:
            ET.SubElement(item, "category", domain="ticker").text = ticker
        for _, label in entry.events:
            ET.SubElement(item, "category", domain="event").text = label
    return bytes(ET.tostring(rss, encoding="utf-8", xml_declaration=True))


def _atom_time(at: datetime) -> str:
    """An RFC 3339 instant in UTC."""
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_atom(
    analyses: Sequence[Analysis],
    *,
    title: str,
    link: str,
    self_link: str,
    site: str,
    now: datetime,
) -> bytes:
    """An Atom (RFC 4287) document of ``analyses`` (newest first), linking to the reader's
    pages. The feed's id is its own address, an entry's its article page (as the RSS guid);
    ``updated`` is the newest entry's instant, else ``now`` (an empty feed)."""
    items = feed_items(analyses, site=site)
    instants = [i.updated_at for i in items if i.updated_at is not None]
    updated = max(instants) if instants else now
    # The default namespace on the root: every element below is an Atom element.
    feed = ET.Element("feed", xmlns=ATOM_NS)
    ET.SubElement(feed, "id").text = self_link
    ET.SubElement(feed, "title").text = xml_text(title)
    ET.SubElement(feed, "updated").text = _atom_time(updated)
    ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=self_link)
    ET.SubElement(feed, "link", rel="alternate", type="text/html", href=link)
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = "marketbrief"
    ET.SubElement(feed, "generator").text = "marketbrief"
    for item in items:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = item.page
        ET.SubElement(entry, "title", type="text").text = item.title
        ET.SubElement(entry, "updated").text = _atom_time(item.updated_at or updated)
        if item.published_at is not None:
            ET.SubElement(entry, "published").text = _atom_time(item.published_at)
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=item.page)
        ET.SubElement(entry, "summary", type="text").text = item.summary
        # Who wrote it, else who published it; without either the feed's author stands.
        for name in item.authors or ((item.source,) if item.source else ()):
            ET.SubElement(ET.SubElement(entry, "author"), "name").text = name
        for ticker in item.tickers:
            ET.SubElement(entry, "category", term=ticker, scheme=f"{site}/tickers/", label=ticker)
        for event, label in item.events:
            ET.SubElement(entry, "category", term=event, scheme=f"{site}/events", label=label)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed, whatever its format: its analyses (newest first) and what it is about."""

    analyses: Sequence[Analysis]
    title: str
    link: str  # the page the feed follows
    description: str
    path: str  # the feed's own path, without its format's extension
    private: bool = False  # a reader's own: not kept by shared caches


def _respond(request: Request, feed: Feed, atom: bool) -> Response:
    site = site_of(request)
    headers = {"cache-control": "private"} if feed.private else None
    if atom:
        body = build_atom(
            feed.analyses,
            title=feed.title,
            link=feed.link,
            self_link=f"{site}{feed.path}.atom",
            site=site,
            now=now_of(request),
        )
        return Response(body, media_type=ATOM_TYPE, headers=headers)
    body = build_rss(
        feed.analyses, title=feed.title, link=feed.link, description=feed.description, site=site
    )
    return Response(body, media_type=RSS_TYPE, headers=headers)


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


def ticker_feed(request: Request, ticker: str) -> Feed:
    brief = brief_of(request)
    company, _ = brief.kb_company(ticker)
    symbol = quote(company.ticker, safe="")
    return Feed(
        brief.store.page_analyses(ticker=company.ticker, limit=FEED_ITEMS).analyses,
        title=f"{company.name} ({company.ticker}) · marketbrief",
        link=f"{site_of(request)}/tickers/{symbol}",
        description=f"News about {company.legal_name}",
        path=f"/feeds/tickers/{symbol}",
    )


def sector_feed(request: Request, sector: str) -> Feed:
    store = brief_of(request).store
    if sector not in store.list_sectors():
        raise NotFoundError("no articles in this sector", key=sector[:80])
    return Feed(
        store.page_analyses(sector=sector, limit=FEED_ITEMS).analyses,
        title=f"{sector} · marketbrief",
        link=f"{site_of(request)}/articles?sector={quote(sector, safe='')}",
        description=f"News in {sector}",
        path=f"/feeds/sectors/{quote(sector, safe='')}",
    )


def reader_feed(request: Request, token: str) -> Feed:
    return Feed(
        reader_analyses(brief_of(request), _reader(request, token)),
        title="Your watchlist · marketbrief",
        link=f"{site_of(request)}/manage",
        description="News about what you follow",
        path=f"/feeds/readers/{quote(token, safe='')}",
        private=True,
    )


@router.get("/feeds/tickers/{ticker}.xml")
def ticker_rss(request: Request, ticker: str) -> Response:
    return _respond(request, ticker_feed(request, ticker), atom=False)


@router.get("/feeds/tickers/{ticker}.atom")
def ticker_atom(request: Request, ticker: str) -> Response:
    return _respond(request, ticker_feed(request, ticker), atom=True)


@router.get("/feeds/sectors/{sector}.xml")
def sector_rss(request: Request, sector: str) -> Response:
    return _respond(request, sector_feed(request, sector), atom=False)


@router.get("/feeds/sectors/{sector}.atom")
def sector_atom(request: Request, sector: str) -> Response:
    return _respond(request, sector_feed(request, sector), atom=True)


@router.get("/feeds/readers/{token}.xml")
def reader_rss(request: Request, token: str) -> Response:
    return _respond(request, reader_feed(request, token), atom=False)


@router.get("/feeds/readers/{token}.atom")
def reader_atom(request: Request, token: str) -> Response:
    return _respond(request, reader_feed(request, token), atom=True)


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
