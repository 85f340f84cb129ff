"""Feeds as a feed reader and a calendar app read them: RSS and Atom per ticker, sector and
reader (by a signed URL), ICS per ticker and reader; Atom is valid RFC 4287 with the RSS
feed's items; hostile titles stay text, any text makes valid XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import feedparser
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from news_support import HOSTILE, NOW, make_analysis, seed_news
from session_support import session_cookie

from marketbrief.core import MarketBrief
from marketbrief.model import ReaderStatus, Watchlist
from marketbrief.web import create_app
from marketbrief.web.feeds import build_atom, build_rss
from marketbrief.web.security import SESSION_COOKIE, Tokens


@pytest.fixture
def news(brief: MarketBrief) -> MarketBrief:
    seed_news(brief)
    return brief


def items(body: bytes) -> list[ET.Element]:
    root = ET.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.findall("./channel/item")


A = "{http://www.w3.org/2005/Atom}"


def entries(body: bytes) -> list[ET.Element]:
    """The entries of an Atom document, after checking what RFC 4287 requires of it."""
    root = ET.fromstring(body)
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{A}{name}")) == 1, name
    assert [ln.get("rel") for ln in root.findall(f"{A}link")].count("self") == 1
    assert root.find(f"{A}author/{A}name") is not None  # so entries need no author of their own
    found = root.findall(f"{A}entry")
    for entry in found:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{name}")) == 1, name
        datetime.fromisoformat(entry.findtext(f"{A}updated", ""))  # RFC 3339
        assert entry.find(f"{A}link[@rel='alternate']") is not None
    ids = [e.findtext(f"{A}id") for e in found]
    assert len(set(ids)) == len(ids)
    return found


def feed_url(client: TestClient, reader_id: int, kind: str, ext: str | None = None) -> str:
    app: FastAPI = client.app  # type: ignore[assignment]
    tokens: Tokens = app.state.tokens
    return f"/{kind}/readers/{tokens.make('feed', reader_id)}." + (
        ext or ("xml" if kind == "feeds" else "ics")
    )


def test_ticker_feed(client: TestClient, news: MarketBrief) -> None:
    response = client.get("/feeds/tickers/lmt.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    found = items(response.content)
    assert [i.findtext("link", "").rsplit("/", 1)[1] for i in found] == [
        f"n{i}" for i in range(31) if i % 3 == 2
    ]
    first = found[0]
    assert first.findtext("pubDate") == "Mon, 02 Mar 2026 10:00:00 +0000"
    assert {c.text for c in first.findall("category")} == {"LMT", "M&A"}
    assert client.get("/feeds/tickers/NOPEX.xml").status_code == 404


def test_sector_feed(client: TestClient, news: MarketBrief) -> None:
    found = items(client.get("/feeds/sectors/Aerospace%20%26%20Defense.xml").content)
    assert len(found) == 21
    assert client.get("/feeds/sectors/Nothing.xml").status_code == 404


def test_hostile_titles_stay_text(client: TestClient, news: MarketBrief) -> None:
    body = client.get("/feeds/tickers/RTX.xml").content
    assert b"<script" not in body and b"<img" not in body
    evil = next(i for i in items(body) if i.findtext("link", "").endswith("/evil"))
    assert evil.findtext("title") == HOSTILE.replace("\r\n", "\n").replace("\r", "\n")


def test_reader_feed_and_calendar_by_signed_url(client: TestClient, news: MarketBrief) -> None:
    reader = news.store.add_reader(
        "ann@example.com", "Ann", Watchlist(tickers=("LMT",), sectors=()), now=NOW
    )
    found = items(client.get(feed_url(client, reader.id, "feeds")).content)
    assert found and all("LMT" in {c.text for c in i.findall("category")} for i in found)
    response = client.get(feed_url(client, reader.id, "calendar"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    Calendar.from_ical(response.content)
    # forged, other purpose, unsubscribed: no feed
    app: FastAPI = client.app  # type: ignore[assignment]
    tokens: Tokens = app.state.tokens
    assert client.get(f"/feeds/readers/{tokens.make('session', reader.id)}.xml").status_code == 404
    assert client.get("/feeds/readers/forged.xml").status_code == 404
    news.store.update_reader(replace(reader, status=ReaderStatus.UNSUBSCRIBED))
    assert client.get(feed_url(client, reader.id, "feeds")).status_code == 404


def test_ticker_calendar(client: TestClient, news: MarketBrief) -> None:
    response = client.get("/calendar/tickers/RTX.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    summaries = [str(e.get("summary")) for e in calendar.walk("VEVENT")]
    assert summaries  # market dates ahead at least (closures, FOMC)
    assert client.get("/calendar/tickers/NOPEX.ics").status_code == 404


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(max_size=80), summary=st.text(max_size=120))
def test_any_text_makes_a_well_formed_feed(title: str, summary: str) -> None:
    analysis = make_analysis("x", published_at=NOW - timedelta(days=1), title=title or "t")
    analysis = replace(analysis, summary=summary)
    body = build_rss(
        [analysis], title=title, link="https://s", description=summary, site="https://s"
    )
    (item,) = items(body)
    assert item.findtext("link") == "https://s/articles/x"


def test_the_manage_page_gives_a_reader_their_working_feed_links(brief: MarketBrief) -> None:
    reader = brief.store.add_reader(
        "ada@example.com", "Ada", Watchlist(tickers=("RTX",)), now=datetime.now(UTC)
    )
    app = create_app(brief.settings, brief=brief)
    with TestClient(app) as browser:
        browser.cookies.set(SESSION_COOKIE, session_cookie(app, reader.id))
        page = browser.get("/manage").text
        links = re.findall(r'href="(/(?:feeds|calendar)/readers/[^"]+)"', page)
        assert len(links) == 3
        atom, rss, ics = (browser.get(link.replace("&amp;", "&")) for link in links)
        assert atom.status_code == 200 and "<feed" in atom.text
        assert rss.status_code == 200 and "<rss" in rss.text
        assert ics.status_code == 200 and "BEGIN:VCALENDAR" in ics.text


@pytest.mark.parametrize(
    "path", ["/feeds/tickers/LMT", "/feeds/tickers/rtx", "/feeds/sectors/Aerospace%20%26%20Defense"]
)
def test_atom_beside_each_rss_feed_has_the_same_items(
    client: TestClient, news: MarketBrief, path: str
) -> None:
    rss = client.get(f"{path}.xml")
    atom = client.get(f"{path}.atom")
    assert atom.status_code == 200
    assert atom.headers["content-type"].startswith("application/atom+xml")
    rss_items, atom_entries = items(rss.content), entries(atom.content)
    assert len(atom_entries) == len(rss_items) > 0
    for item, entry in zip(rss_items, atom_entries, strict=True):
        assert entry.findtext(f"{A}id") == item.findtext("guid") == item.findtext("link")
        alternate = entry.find(f"{A}link[@rel='alternate']")
        assert alternate is not None and alternate.get("href") == item.findtext("link")
        assert entry.findtext(f"{A}title") == item.findtext("title")
        assert entry.findtext(f"{A}summary") == item.findtext("description")
        published = datetime.fromisoformat(entry.findtext(f"{A}published", ""))
        assert published == parsedate_to_datetime(item.findtext("pubDate", ""))
        labels = {c.get("label") for c in entry.findall(f"{A}category")}
        assert labels == {c.text for c in item.findall("category")}
        assert entry.findtext(f"{A}author/{A}name") == item.findtext("source")
    # a feed reader reads it as Atom 1.0 and finds the feed's own address
    parsed = feedparser.parse(atom.content)
    assert not parsed.bozo and parsed.version == "atom10"
    self_link = next(ln.href for ln in parsed.feed.links if ln.rel == "self")
    # the canonical address (the ticker as listed) of the same feed
    assert self_link.lower().endswith(f"{path}.atom".lower()) and self_link.startswith("http")
    assert client.get(urlsplit(self_link).path).content == atom.content
    newest = max(datetime.fromisoformat(e.findtext(f"{A}updated", "")) for e in atom_entries)
    assert datetime.fromisoformat(parsed.feed.updated) == newest


def test_atom_feeds_refuse_what_rss_refuses(client: TestClient, news: MarketBrief) -> None:
    assert client.get("/feeds/tickers/NOPEX.atom").status_code == 404
    assert client.get("/feeds/sectors/Nothing.atom").status_code == 404
    assert client.get("/feeds/readers/forged.atom").status_code == 404


def test_hostile_titles_stay_text_in_atom(client: TestClient, news: MarketBrief) -> None:
    body = client.get("/feeds/tickers/RTX.atom").content
    assert b"<script" not in body and b"<img" not in body and b"<svg" not in body
    evil = next(e for e in entries(body) if e.findtext(f"{A}id", "").endswith("/evil"))
    assert evil.findtext(f"{A}title") == HOSTILE.replace("\r\n", "\n").replace("\r", "\n")
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    title = next(e.title_detail for e in parsed.entries if e.id.endswith("/evil"))
    assert title.type == "text/plain"  # a reader shows it as text, not markup


def test_reader_atom_by_signed_url(client: TestClient, news: MarketBrief) -> None:
    reader = news.store.add_reader(
        "ann@example.com", "Ann", Watchlist(tickers=("LMT",), sectors=()), now=NOW
    )
    response = client.get(feed_url(client, reader.id, "feeds", "atom"))
    assert response.headers["cache-control"] == "private"
    rss = items(client.get(feed_url(client, reader.id, "feeds")).content)
    found = entries(response.content)
    assert [e.findtext(f"{A}id") for e in found] == [i.findtext("guid") for i in rss]
    assert found and all("LMT" in {c.get("term") for c in e.findall(f"{A}category")} for e in found)
    news.store.update_reader(replace(reader, status=ReaderStatus.UNSUBSCRIBED))
    assert client.get(feed_url(client, reader.id, "feeds", "atom")).status_code == 404


def test_an_empty_atom_feed_is_still_valid(client: TestClient, brief: MarketBrief) -> None:
    body = client.get("/feeds/tickers/AAPL.atom").content
    assert entries(body) == []
    assert not feedparser.parse(body).bozo


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(max_size=80), summary=st.text(max_size=120), source=st.text(max_size=40))
def test_any_text_makes_a_well_formed_atom_feed(title: str, summary: str, source: str) -> None:
    analysis = make_analysis("x", published_at=NOW - timedelta(days=1), title=title or "t")
    analysis = replace(
        analysis, summary=summary, article=replace(analysis.article, source=source or None)
    )
    body = build_atom(
        [analysis],
        title=title,
        link="https://s/t",
        self_link="https://s/f.atom",
        site="https://s",
        now=NOW,
    )
    (entry,) = entries(body)
    assert entry.findtext(f"{A}id") == "https://s/articles/x"
