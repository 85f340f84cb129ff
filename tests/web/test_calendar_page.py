"""The key-dates calendar page as a visitor and a reader read it: dates ahead grouped by day in
order, filters by ticker, sector and window, pages without gaps, a reader's own feed links
(and nobody else's), hostile news inert."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from news_support import HOSTILE, NOW, XSS, make_analysis, seed_news
from session_support import session_cookie
from test_reader import Page, check_page

from marketbrief.core import MarketBrief, make_marketbrief
from marketbrief.model import Analysis, KeyDate, ReaderStatus, Span, Watchlist
from marketbrief.settings import load_settings
from marketbrief.web import calendar_page, create_app
from marketbrief.web.security import SESSION_COOKIE

TODAY = date(2026, 3, 2)  # NOW's day in New York
GOOD_FRIDAY = date(2026, 4, 3)  # the NYSE is closed (exchange rule, not ours)
FOMC_MARCH = date(2026, 3, 17)  # the March 2026 meeting starts (Federal Reserve schedule)


def stated_event(
    article_id: str, ticker: str, name: str, day: date, *, when: str, title: str | None = None
) -> Analysis:
    """An article about ``ticker`` (named ``name``) that says it will report results on
    ``when`` (which is ``day``), published a day before NOW."""
    text = f"{name} will report results on {when}."
    base = make_analysis(
        article_id, published_at=NOW - timedelta(days=1), ticker=ticker, title=title, text=text
    )
    start = text.index(when)
    link = base.companies[0]
    return replace(
        base,
        companies=(replace(link, mentions=(Span(0, len(name), name),)),),
        key_dates=(
            KeyDate(
                Span(start, start + len(when), when),
                "DATE",
                day.isoformat(),
                (day, day),
                f"{name} will report results",
                "future",
            ),
        ),
    )


@pytest.fixture
def news() -> Iterator[MarketBrief]:
    """Seeded news on a brief whose clock stands at NOW, plus two stated results dates."""
    with make_marketbrief(load_settings(), clock=lambda: NOW) as brief:
        seed_news(brief)
        brief.store.save_analysis(
            stated_event("e-lmt", "LMT", "Lockheed Martin", date(2026, 3, 10), when="March 10")
        )
        brief.store.save_analysis(
            stated_event("e-rtx", "RTX", "RTX", date(2026, 3, 24), when="March 24")
        )
        yield brief


@pytest.fixture
def web(news: MarketBrief) -> Iterator[TestClient]:
    with TestClient(create_app(news.settings, brief=news, clock=lambda: NOW)) as client:
        yield client


def entries(html: str) -> list[tuple[date, str, list[str]]]:
    """(day heading, entry title, entry links) of each date on a calendar page, in order."""
    found = []
    for section in re.findall(r'<section class="calendar-day".*?</section>', html, re.S):
        day = date.fromisoformat(re.findall(r'<h2 id="d-([0-9-]+)"', section)[0])
        for item in re.findall(r"<li>(.*?)</li>", section, re.S):
            title = re.findall(r"<strong>(.*?)</strong>", item, re.S)[0]
            found.append((day, title, re.findall(r'href="([^"]+)"', item)))
    return found


def test_dates_ahead_grouped_by_day_in_order(web: TestClient) -> None:
    response = web.get("/calendar?days=120")
    assert response.status_code == 200
    page = check_page(response.text)
    found = entries(response.text)
    days = [d for d, _, _ in found]
    assert days == sorted(days) and days[0] >= TODAY and days[-1] <= TODAY + timedelta(119)
    headings = re.findall(r'<h2 id="d-([0-9-]+)"><time datetime="([0-9-]+)">', response.text)
    assert headings and all(a == b for a, b in headings)
    assert len({a for a, _ in headings}) == len(headings)  # one heading a day
    by_title = {title: (day, links) for day, title, links in found}
    assert by_title["LMT earnings"][0] == date(2026, 3, 10)
    assert {"/tickers/LMT", "/articles/e-lmt"} <= set(by_title["LMT earnings"][1])
    assert by_title["RTX earnings"][0] == date(2026, 3, 24)
    assert any(d == GOOD_FRIDAY and "closed" in t for d, t, _ in found)
    assert any(d == FOMC_MARCH and "FOMC" in t for d, t, _ in found)
    # a date the news names beside an event: from the newest article that names it
    assert by_title["RTX guidance change"][0] == date(2026, 6, 15)
    assert "/articles/n0" in by_title["RTX guidance change"][1]
    assert "LMT M&amp;A" in by_title
    # the calendar is in the site's navigation, every date a <time datetime>
    assert "/calendar" in page.links()
    assert "Key dates ahead" in page.all_text()


def test_the_window_and_the_next_page(web: TestClient) -> None:
    response = web.get("/calendar?days=10")
    found = entries(response.text)
    assert found and all(TODAY <= d <= TODAY + timedelta(9) for d, _, _ in found)
    assert ("LMT earnings" in [t for _, t, _ in found]) and not any(
        "FOMC" in t for _, t, _ in found
    )
    later = next(h for h in Page(response.text).links() if "from=" in h)
    assert parse_qs(urlsplit(later).query) == {"from": ["2026-03-12"], "days": ["10"]}
    following = entries(web.get(later).text)
    assert following[0][0] >= date(2026, 3, 12)
    assert any(d == FOMC_MARCH and "FOMC" in t for d, t, _ in following)


def test_pages_cut_at_a_day_end_follow_on_without_gaps(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = entries(web.get("/calendar?days=120").text)
    assert len(whole) > 6
    monkeypatch.setattr(calendar_page, "MAX_ENTRIES", 3)
    seen: list[tuple[date, str, list[str]]] = []
    url = "/calendar?days=120"
    end = TODAY + timedelta(119)
    pages = 0
    while True:
        html = web.get(url).text
        found = entries(html)
        assert len(found) <= 3
        seen += found
        pages += 1
        url = next(h for h in Page(html).links() if "from=" in h).replace("&amp;", "&")
        start = date.fromisoformat(parse_qs(urlsplit(url).query)["from"][0])
        if start > end or pages > 100:
            break
        # the window moves with the page: keep to the first page's end
        url = f"/calendar?from={start}&days={(end - start).days + 1}"
    assert seen == whole


def test_filter_by_ticker_keeps_market_dates_and_links_its_feeds(web: TestClient) -> None:
    response = web.get("/calendar", params={"ticker": "lmt", "days": "120", "sector": ""})
    page = check_page(response.text)
    titles = [t for _, t, _ in entries(response.text)]
    assert "LMT earnings" in titles and "LMT M&amp;A" in titles
    assert "RTX earnings" not in titles and "RTX guidance change" not in titles
    assert any("FOMC" in t for t in titles)  # market-wide dates stay
    assert 'value="LMT"' in response.text
    links = page.links()
    ics = web.get("/calendar/tickers/LMT.ics")
    assert "/calendar/tickers/LMT.ics" in links and ics.status_code == 200
    assert "/feeds/tickers/LMT.atom" in links and "/feeds/tickers/LMT.xml" in links
    assert '<link rel="alternate" type="application/atom+xml"' in response.text
    assert not any("/readers/" in link for link in links)  # a visitor has no feed of their own


def test_filter_by_sector(web: TestClient) -> None:
    # the seed puts LMT's articles in Energy; RTX is an Industrials company
    response = web.get("/calendar?sector=Energy&days=120")
    check_page(response.text)
    titles = [t for _, t, _ in entries(response.text)]
    assert "LMT M&amp;A" in titles and "RTX guidance change" not in titles
    assert "RTX earnings" not in titles
    assert any("FOMC" in t for t in titles)
    assert '<option value="Energy" selected>' in response.text


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/calendar?ticker=NOPEX", 404),
        ("/calendar?sector=Nothing", 404),
        ("/calendar?days=0", 400),
        ("/calendar?days=abc", 400),
        ("/calendar?days=%C2%B2", 400),  # "²" is a digit to str.isdigit, not to int()
        ("/calendar?days=367", 400),
        ("/calendar?from=2026-02-30", 400),
        ("/calendar?from=%3Cscript%3E", 400),
        ("/calendar?from=2300-01-01", 400),
    ],
)
def test_bad_filters_are_error_pages(web: TestClient, url: str, status: int) -> None:
    response = web.get(url)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<main" in response.text and "<script>" not in response.text


def test_a_signed_in_reader_sees_their_own_feed_links(news: MarketBrief) -> None:
    ann = news.store.add_reader("ann@example.com", "Ann", Watchlist(tickers=("LMT",)), now=NOW)
    bob = news.store.add_reader("bob@example.com", "Bob", Watchlist(tickers=("RTX",)), now=NOW)
    app = create_app(news.settings, brief=news, clock=lambda: NOW)
    pages = {}
    for reader in (ann, bob):
        with TestClient(app) as browser:
            browser.cookies.set(SESSION_COOKIE, session_cookie(app, reader.id))
            response = browser.get("/calendar")
            assert response.headers["cache-control"] == "no-store"
            pages[reader.id] = check_page(response.text)
    own = {rid: [h for h in p.links() if "/readers/" in h] for rid, p in pages.items()}
    assert len(own[ann.id]) == 3 and len(own[bob.id]) == 3
    assert not set(own[ann.id]) & set(own[bob.id])
    with TestClient(app) as anyone:  # the links work without a cookie, as feed apps use them
        ics, rss, atom = (
            next(anyone.get(h) for h in own[ann.id] if h.endswith(ext))
            for ext in (".ics", ".xml", ".atom")
        )
        assert ics.status_code == rss.status_code == atom.status_code == 200
        Calendar.from_ical(ics.content)
        rss_links = [i.findtext("link") for i in ET.fromstring(rss.content).iter("item")]
        parsed = feedparser.parse(atom.content)
        assert not parsed.bozo and parsed.version == "atom10"
        assert rss_links and [e.link for e in parsed.entries] == rss_links
        assert all("LMT" in {t.term for t in e.tags} for e in parsed.entries)  # Ann's watchlist
        assert "/feeds/readers/" not in anyone.get("/calendar").text
    # an unsubscribed reader's page offers no feeds (they would answer 404)
    news.store.update_reader(replace(ann, status=ReaderStatus.UNSUBSCRIBED))
    with TestClient(app) as browser:
        browser.cookies.set(SESSION_COOKIE, session_cookie(app, ann.id))
        assert "/readers/" not in browser.get("/calendar").text


def test_hostile_news_renders_inert_on_the_calendar(news: MarketBrief, web: TestClient) -> None:
    hostile = stated_event(
        "evil-date", "LMT", "Lockheed Martin", date(2026, 3, 12), when="March 12", title=HOSTILE
    )
    hostile = replace(
        hostile,
        key_dates=(replace(hostile.key_dates[0], event=f"Lockheed Martin {XSS[0]} results"),),
    )
    news.store.save_analysis(hostile)
    response = web.get("/calendar", params={"ticker": "LMT"})
    assert response.status_code == 200
    page = check_page(response.text)
    text = page.all_text()
    assert XSS[0] in text  # shown as text, not dropped
    assert "javascript:" not in " ".join(page.links())
