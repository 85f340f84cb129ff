"""The web reader's pages: latest articles, an article, a story, a ticker, search, sources.

Every page is a GET that reads and never writes; each is rendered on the server (``render``)
and needs no JavaScript. Text from the news (titles, article text, sources' errors) reaches
templates as data only, so Jinja's autoescaping keeps it inert; a link taken from the news is
shown as a link only when it is http(s) (``safe_href``). Filters that come from query strings
are empty when blank, so a GET form can send every field.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from marketbrief.errors import NotFoundError
from marketbrief.model import EVENT_TYPES, Analysis, Article, Story, event_label
from marketbrief.web.app import brief_of, render
from marketbrief.web.comments import comments_context, require_operator

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
SEARCH_LIMIT = 50
TICKER_DAYS_AHEAD = 90
CHART_ARTICLES = 200  # the newest analyses a ticker's sentiment chart is drawn from
Text = Annotated[str, Query(max_length=200)]


def blank_none(value: str | None) -> str | None:
    """A query-string value, None when blank (GET forms send empty fields)."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def safe_href(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL, else None: a feed's ``javascript:`` link stays text."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


@dataclass(frozen=True, slots=True)
class Filters:
    """The article filters of a page's query string."""

    ticker: str | None = None
    sector: str | None = None
    event: str | None = None

    @classmethod
    def of(cls, ticker: str | None, sector: str | None, event: str | None) -> Filters:
        ticker = blank_none(ticker)
        return cls(
            ticker=None if ticker is None else ticker.lstrip("$").upper(),
            sector=blank_none(sector),
            event=blank_none(event),
        )

    def query(self, **extra: str | None) -> str:
        values = {"ticker": self.ticker, "sector": self.sector, "event": self.event} | extra
        return urlencode({k: v for k, v in values.items() if v})

    def keep(self, analysis: Analysis) -> bool:
        return (
            (self.ticker is None or any(c.ticker == self.ticker for c in analysis.companies))
            and (self.sector is None or any(s.name == self.sector for s in analysis.sectors))
            and (self.event is None or any(e.type == self.event for e in analysis.events))
        )


# The event types' choices do not change between requests. The sectors come from the store,
# read at most once a minute per app: a read of its own on every list page took 18 % of a
# worker's busy time at saturation, for a dozen names that change when an article names a
# sector no stored article named before (that sector's choice may then appear a minute late).
_EVENT_CHOICES = tuple((t, event_label(t)) for t in EVENT_TYPES)
SECTORS_TTL = 60.0  # seconds
_monotonic = time.monotonic  # (a test moves it)


@dataclass(frozen=True, slots=True)
class _SectorChoices:
    names: tuple[str, ...]
    read_at: float  # _monotonic()


def _sector_choices(request: Request) -> tuple[str, ...]:
    state = request.app.state
    cached: _SectorChoices | None = getattr(state, "sector_choices", None)
    now = _monotonic()
    if cached is None or now - cached.read_at >= SECTORS_TTL:
        cached = _SectorChoices(tuple(brief_of(request).store.list_sectors()), now)
        state.sector_choices = cached  # a race reads twice and keeps either: both are right
    return cached.names


def _filter_choices(request: Request) -> dict[str, object]:
    return {"sectors": _sector_choices(request), "event_types": _EVENT_CHOICES}


# ── the sentiment chart ───────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class ChartPoint:
    x: float
    y: float
    day: date
    score: float
    articles: int


@dataclass(frozen=True, slots=True)
class SentimentChart:
    """A ticker's sentiment by day, laid out for an inline SVG (attributes only, no styles)."""

    width: int
    height: int
    pad: int
    points: tuple[ChartPoint, ...]

    @property
    def zero_y(self) -> float:
        return self.pad + (self.height - 2 * self.pad) / 2

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def sentiment_chart(
    ticker: str, analyses: Sequence[Analysis], *, width: int = 600, height: int = 160
) -> SentimentChart | None:
    """The daily mean sentiment toward ``ticker`` in ``analyses`` (None with no scored day)."""
    by_day: dict[date, list[float]] = {}
    for analysis in analyses:
        at = analysis.article.published_at or analysis.article.first_seen_at
        scores = [c.sentiment for c in analysis.companies if c.ticker == ticker]
        score = next((s for s in scores if s is not None), None)
        if at is None or score is None:
            continue
        by_day.setdefault(at.date(), []).append(score)
    if not by_day:
        return None
    days = sorted(by_day)
    pad = 16
    span = max((days[-1] - days[0]).days, 1)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    points = []
    for day in days:
        mean = sum(by_day[day]) / len(by_day[day])
        mean = max(-1.0, min(1.0, mean))
        x = pad + inner_w * ((day - days[0]).days / span if len(days) > 1 else 0.5)
        y = pad + inner_h * (1 - (mean + 1) / 2)
        points.append(ChartPoint(x, y, day, round(mean, 2), len(by_day[day])))
    return SentimentChart(width, height, pad, tuple(points))


# ── pages ─────────────────────────────────────────────────────────────────────────────────────


@router.get("/articles", response_class=HTMLResponse)
def articles_page(
    request: Request,
    ticker: Text | None = None,
    sector: Text | None = None,
    event: Text | None = None,
    cursor: Text | None = None,
) -> HTMLResponse:
    filters = Filters.of(ticker, sector, event)
    page = brief_of(request).store.page_analyses(
        ticker=filters.ticker,
        sector=filters.sector,
        event_type=filters.event,
        cursor=blank_none(cursor),
        limit=PAGE_SIZE,
    )
    older = (
        None if page.next_cursor is None else "/articles?" + filters.query(cursor=page.next_cursor)
    )
    return render(
        request,
        "articles.html",
        {
            "analyses": page.analyses,
            "filters": filters,
            "older_url": older,
            "first_page": blank_none(cursor) is None,
            **_filter_choices(request),
        },
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str) -> HTMLResponse:
    store = brief_of(request).store
    analysis = store.get_analysis(article_id)
    article = analysis.article if analysis is not None else store.get_article(article_id)
    story: Story | None = None
    if analysis is not None and analysis.story_id is not None:
        try:
            story = store.get_story(analysis.story_id)
        except NotFoundError:
            story = None
    paragraphs = [p.strip() for p in article.text.split("\n") if p.strip()]
    return render(
        request,
        "article.html",
        {
            "article": article,
            "analysis": analysis,
            "story": story,
            "paragraphs": paragraphs,
            "source_href": safe_href(article.url),
        }
        | comments_context(request, article.id),
    )


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_page(request: Request, story_id: str) -> HTMLResponse:
    store = brief_of(request).store
    story = store.get_story(story_id)
    found = store.get_analyses(story.article_ids)
    members = {m.article_id: m for m in story.members}
    rows = [
        {"id": article_id, "analysis": found.get(article_id), "member": members.get(article_id)}
        for article_id in story.article_ids
    ]
    return render(request, "story.html", {"story": story, "rows": rows})


@router.get("/tickers/{ticker}", response_class=HTMLResponse)
def ticker_page(request: Request, ticker: str) -> HTMLResponse:
    brief = brief_of(request)
    company, aliases = brief.kb_company(ticker)
    symbol = company.ticker
    stories = brief.store.page_stories(ticker=symbol, limit=10)
    recent = brief.store.page_analyses(ticker=symbol, limit=CHART_ARTICLES).analyses
    calendar = brief.calendar(days=TICKER_DAYS_AHEAD, watch=(symbol,))
    return render(
        request,
        "ticker.html",
        {
            "company": company,
            "aliases": aliases[:12],
            "stories": stories,
            "latest": recent[:10],
            "dates": calendar.dates,
            "chart": sentiment_chart(symbol, recent),
            "symbol": symbol,
        },
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: Text | None = None,
    ticker: Text | None = None,
    sector: Text | None = None,
    event: Text | None = None,
) -> HTMLResponse:
    filters = Filters.of(ticker, sector, event)
    query = blank_none(q)
    filtered = bool(filters.query())
    results: list[tuple[Article, str, Analysis | None]] = []
    if query is not None:
        store = brief_of(request).store
        # With filters, look further: the filters apply to the best matches.
        found = store.search_articles(query, limit=SEARCH_LIMIT * (4 if filtered else 1))
        analyses = store.get_analyses([a.id for a, _ in found])
        for article, snippet in found:
            analysis = analyses.get(article.id)
            if filtered and (analysis is None or not filters.keep(analysis)):
                continue
            results.append((article, snippet, analysis))
    return render(
        request,
        "search.html",
        {
            "q": query or "",
            "filters": filters,
            "results": results[:SEARCH_LIMIT],
            **_filter_choices(request),
        },
    )


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    """Source health, for operators only (others get the page-not-found answer)."""
    require_operator(request)
    brief = brief_of(request)
    now = brief.clock()
    sources = sorted(brief.list_sources(), key=lambda s: (s.status != "failing", s.id))
    return render(request, "sources.html", {"sources": sources, "now": now})


def day_label(day: date) -> str:
    return f"{day:%a %b} {day.day}, {day.year}"


def instant_label(at: datetime) -> str:
    return f"{at:%b} {at.day}, {at.year} {at:%H:%M} UTC"


def relative(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "—"
    delta = at - now
    word = "in " if delta >= timedelta(0) else ""
    seconds = abs(int(delta.total_seconds()))
    if seconds < 60:
        amount = "under a minute"
    elif seconds < 3600:
        amount = f"{seconds // 60} min"
    elif seconds < 86400:
        amount = f"{seconds // 3600} h"
    else:
        amount = f"{seconds // 86400} d"
    return f"{word}{amount}" + ("" if word else " ago")


def install_reader(app: FastAPI) -> None:
    """Add the reader's pages and the template helpers they use (called by ``create_app``)."""
    templates: Jinja2Templates = app.state.templates
    env = templates.env
    env.filters["safe_href"] = safe_href
    env.filters["day_label"] = day_label
    env.filters["instant_label"] = instant_label
    env.globals["event_label"] = event_label
    env.globals["relative"] = relative
    app.include_router(router)
