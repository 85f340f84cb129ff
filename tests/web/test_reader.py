"""The web reader's pages as a visitor reads them: latest articles with filters and pages, an
article, a story, a ticker with its chart, search, source health; hostile news stays inert."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from news_support import LIVE, NOW, XSS, make_analysis, seed_news
from session_support import session_cookie

from marketbrief.core import MarketBrief
from marketbrief.model import Watchlist
from marketbrief.web import create_app
from marketbrief.web.security import SESSION_COOKIE


class Page(HTMLParser):
    """What a test reads of a page: landmarks, headings, links, labels and fields."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[int] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def links(self) -> list[str]:
        return [a.get("href") or "" for t, a in self.tags if t == "a"]

    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture
def news(brief: MarketBrief) -> MarketBrief:
    seed_news(brief)
    return brief


def check_page(html: str) -> Page:
    """Landmarks, one h1, headings without skipped levels, every field labelled, no inline
    style or script (the CSP forbids them), no live markup from the news."""
    page = Page(html)
    names = [t for t, _ in page.tags]
    assert "main" in names and "header" in names and "nav" in names
    assert page.headings.count(1) == 1 and page.headings[0] == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, page.headings
    labelled = {a.get("for") for t, a in page.tags if t == "label"}
    for tag, attrs in page.tags:
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            assert attrs.get("id") in labelled, attrs
        assert "style" not in attrs, (tag, attrs)
        assert tag != "script" and tag != "style"
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
    lowered = html.lower()
    for live in LIVE:
        assert live not in lowered, live
    return page


def test_latest_articles_are_paged_without_gaps(client: TestClient, news: MarketBrief) -> None:
    seen: list[str] = []
    url: str | None = "/articles"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = check_page(response.text)
        seen += [h.rsplit("/", 1)[1] for h in page.links() if h.startswith("/articles/")]
        older = [h for h in page.links() if "cursor=" in h]
        url = older[0] if older else None
    assert seen == [f"n{i}" for i in range(31)] + ["evil"]


def test_filters_keep_the_pages_narrow(client: TestClient, news: MarketBrief) -> None:
    response = client.get("/articles", params={"ticker": "lmt", "sector": "", "event": "mna"})
    page = check_page(response.text)
    ids = [h.rsplit("/", 1)[1] for h in page.links() if h.startswith("/articles/")]
    assert ids == [f"n{i}" for i in range(31) if i % 3 == 2]
    assert 'value="LMT"' in response.text
    assert '<option value="mna" selected>' in response.text
    energy = Page(client.get("/articles?sector=Energy&event=guidance_change").text)
    assert not [h for h in energy.links() if h.startswith("/articles/")]
    assert "No articles match." in energy.all_text()


def test_the_next_page_keeps_the_filters(client: TestClient, news: MarketBrief) -> None:
    page = Page(client.get("/articles?ticker=RTX").text)
    older = next(h for h in page.links() if "cursor=" in h)
    query = parse_qs(urlsplit(older).query)
    assert query["ticker"] == ["RTX"] and "sector" not in query


def test_a_forged_cursor_is_a_400_page(client: TestClient, news: MarketBrief) -> None:
    response = client.get("/articles?cursor=<script>")
    assert response.status_code == 400
    assert "<script>" not in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_article_page_says_what_the_analysis_says(client: TestClient, news: MarketBrief) -> None:
    response = client.get("/articles/n1")
    assert response.status_code == 200
    page = check_page(response.text)
    text = page.all_text()
    assert "Patriot orders rise (n1)" in text
    assert "Why: named in the text" in text
    assert "Aerospace & Defense" in text
    assert "guidance change (up)" in text
    assert "Sentiment: negative" in text
    assert "Jun 15, 2026" in text and "NATO leaders meet" in text
    assert "Comments" in text
    links = page.links()
    assert "https://news.example.com/n1" in links
    assert "/stories/s1" in links and "/tickers/RTX" in links
    assert "RTX said on Tuesday" in text and "NATO leaders meet in June." in text


def test_unknown_article_and_story_are_404_pages(client: TestClient, news: MarketBrief) -> None:
    for url in ("/articles/nope", "/stories/nope", "/tickers/NOPEX"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/html")


def test_story_page_tells_what_each_article_added(client: TestClient, news: MarketBrief) -> None:
    page = check_page(client.get("/stories/s1").text)
    ids = [h.rsplit("/", 1)[1] for h in page.links() if h.startswith("/articles/")]
    assert ids == ["n2", "n1", "n0"]
    text = page.all_text()
    assert "3 articles from 3 independent sources" in text
    assert "First report." in text
    assert "New: 50% of its facts — 12%." in text
    assert "Repeats what was known." in text


def test_ticker_page(client: TestClient, news: MarketBrief) -> None:
    response = client.get("/tickers/rtx")
    assert response.status_code == 200
    page = check_page(response.text)
    text = page.all_text()
    assert "RTX" in text and "Sentiment over time" in text
    assert "Also known through" in text and "Patriot" in text
    assert "/stories/s1" in page.links()
    assert "/calendar/tickers/RTX.ics" in page.links()
    circles = [a for t, a in page.tags if t == "circle"]
    assert circles  # one a day with a sentiment
    svg = next(a for t, a in page.tags if t == "svg")
    assert svg.get("role") == "img" and svg.get("aria-labelledby")
    ys = [float(a["cy"] or 0) for a in circles]
    assert all(0 <= y <= 160 for y in ys)


def test_search_with_filters(client: TestClient, news: MarketBrief) -> None:
    everything = Page(client.get("/search?q=patriot+orders").text)
    found = [h for h in everything.links() if h.startswith("/articles/")]
    assert "/articles/n0" in found and "/articles/n2" in found
    lmt = check_page(client.get("/search?q=patriot+orders&ticker=LMT").text)
    found = [h for h in lmt.links() if h.startswith("/articles/")]
    assert found and all(int(h.rsplit("n", 1)[1]) % 3 == 2 for h in found)
    check_page(client.get("/search").text)
    check_page(client.get("/search?q=%22%29%28*%3Cscript%3E").text)


@pytest.fixture
def operator(news: MarketBrief) -> Iterator[TestClient]:
    """A browser signed in as an operator (``operator_emails``)."""
    settings = news.settings.model_copy(update={"operator_emails": ["op@example.com"]})
    reader = news.store.add_reader("op@example.com", "Op", Watchlist(), now=datetime.now(UTC))
    app = create_app(settings, brief=news)
    with TestClient(app) as browser:
        browser.cookies.set(SESSION_COOKIE, session_cookie(app, reader.id))
        yield browser


def test_sources_show_health_to_operators_only(
    client: TestClient, operator: TestClient, news: MarketBrief
) -> None:
    page = check_page(operator.get("/sources").text)
    text = page.all_text()
    assert "failing" in text and "https://feeds.example.com/rss" in text
    assert client.get("/sources").status_code == 404


@pytest.mark.parametrize(
    "url", ["/articles", "/articles/evil", "/stories/evil-story", "/search?q=alert", "/sources"]
)
def test_hostile_news_renders_inert(operator: TestClient, news: MarketBrief, url: str) -> None:
    response = operator.get(url)
    assert response.status_code == 200
    page = check_page(response.text)
    assert "javascript:" not in " ".join(page.links())
    assert any(x in page.all_text() for x in XSS)  # shown as text, not dropped


def test_pages_are_never_cached_with_a_session_and_carry_the_csp(
    client: TestClient, news: MarketBrief
) -> None:
    response = client.get("/articles/n0")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "style-src 'self'" in response.headers["content-security-policy"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(title=st.text(min_size=1, max_size=80), text=st.text(min_size=1, max_size=200))
def test_any_title_and_text_render_inert(
    client: TestClient, brief: MarketBrief, title: str, text: str
) -> None:
    title = title + "<script>x</script>"
    analysis = make_analysis("h", published_at=NOW, title=title, text=text + "<img src=x>")
    brief.store.save_analysis(analysis)
    response = client.get("/articles/h")
    assert response.status_code == 200
    lowered = response.text.lower()
    assert "<script>x" not in lowered and "<img src=x>" not in lowered


def sector_options(html: str) -> list[str]:
    select = html.split('id="f-sector"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"', select)[1:]


def test_sector_choices_are_read_once_a_minute(
    news: MarketBrief, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sector filter's choices come from the store at most once a minute: a sector first
    named after a list page was shown appears in the choices once the minute is over."""
    clock = [1000.0]
    monkeypatch.setattr("marketbrief.web.reader._monotonic", lambda: clock[0])
    reads: list[int] = []
    list_sectors = news.store.list_sectors

    def counted() -> list[str]:
        reads.append(1)
        return list_sectors()

    monkeypatch.setattr(news.store, "list_sectors", counted)
    first = sector_options(client.get("/articles").text)
    assert "Energy" in first and "Utilities" not in first
    news.store.save_analysis(
        make_analysis("u1", published_at=NOW, ticker="NEE", sector="Utilities")
    )
    clock[0] += 59.0
    assert sector_options(client.get("/articles?ticker=RTX").text) == first
    assert sector_options(client.get("/search?q=Patriot").text) == first
    assert len(reads) == 1
    clock[0] += 1.0
    assert sector_options(client.get("/articles").text) == sorted([*first, "Utilities"])
    assert len(reads) == 2
