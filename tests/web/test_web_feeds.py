"""Feeds as a feed reader and a calendar app read them: RSS per ticker, sector and reader (by a
signed URL), ICS per ticker and reader; hostile titles stay text, any text makes valid XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from news_support import HOSTILE, NOW, make_analysis, seed_news

from marketbrief.core import MarketBrief
from marketbrief.model import ReaderStatus, Watchlist
from marketbrief.web import create_app
from marketbrief.web.feeds import build_rss
from marketbrief.web.security import SESSION_COOKIE, Tokens


@pytest.fixture
def news(brief: MarketBrief) -> MarketBrief:
    seed_news(brief)
    return brief


def items(body: bytes) -> list[ET.Element]:
    root = ET.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.findall("./channel/item")


def feed_url(client: TestClient, reader_id: int, kind: str) -> str:
    app: FastAPI = client.app  # type: ignore[assignment]
    tokens: Tokens = app.state.tokens
    return f"/{kind}/readers/{tokens.make('feed', reader_id)}." + (
        "xml" if kind == "feeds" else "ics"
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
        browser.cookies.set(SESSION_COOKIE, app.state.tokens.make("session", reader.id))
        page = browser.get("/manage").text
        links = re.findall(r'href="(/(?:feeds|calendar)/readers/[^"]+)"', page)
        assert len(links) == 2
        rss, ics = (browser.get(link.replace("&amp;", "&")) for link in links)
        assert rss.status_code == 200 and "<rss" in rss.text
        assert ics.status_code == 200 and "BEGIN:VCALENDAR" in ics.text
