"""News for the web reader's tests: analyses, a story and a source saved through the store,
and the hostile strings (an XSS corpus) that must come out inert in pages, feeds and JSON."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from marketbrief.core import MarketBrief
from marketbrief.model import (
    Analysis,
    Article,
    ArticleId,
    CompanyLink,
    CompanyRole,
    Event,
    KeyDate,
    SectorLink,
    Sentiment,
    SourceKind,
    SourceStatus,
    Span,
    Story,
    StoryId,
    StoryMember,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
XSS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "</title><script>alert(2)</script>",
    '<a href="javascript:alert(3)">x</a>',
    "]]><script>alert(4)</script>",
    "{{ 7*7 }}{% raw %}",
    "\u202e<b>mixed</b>\r\nX-Injected: 1",
)
HOSTILE = " ".join(XSS)
# What must never appear in a response that carries the corpus: live markup from it.
LIVE = ("<script", "<svg/onload", "<img", 'href="javascript:', "<b>mixed")
TEXT = (
    "RTX said on Tuesday its Patriot orders rose 12%, and Lockheed Martin raised guidance.\n"
    "NATO leaders meet in June."
)


def span(words: str, text: str = TEXT) -> Span:
    start = text.index(words)
    return Span(start, start + len(words), words)


def make_analysis(
    article_id: str,
    *,
    published_at: datetime,
    title: str | None = None,
    ticker: str = "RTX",
    sector: str = "Aerospace & Defense",
    event: str = "guidance_change",
    sentiment: float = 0.5,
    url: str | None = None,
    text: str = TEXT,
    why: str = "named in the text",
) -> Analysis:
    article = Article(
        id=ArticleId(article_id),
        url=url if url is not None else f"https://news.example.com/{article_id}",
        title=title if title is not None else f"Patriot orders rise ({article_id})",
        text=text,
        language="en",
        published_at=published_at,
        source="Example News",
    )
    return Analysis(
        article=article,
        summary=text.split("\n")[0],
        companies=(
            CompanyLink(
                ticker, f"{ticker} Corp", "NYSE", CompanyRole.PRIMARY, 0.9, why, (), sentiment
            ),
        ),
        sectors=(SectorLink(sector, 0.7, "air defense"),),
        events=(Event(event, 0.8, Span(0, min(len(text), 10), text[:10]), direction="up"),),
        sentiment=Sentiment("positive" if sentiment > 0 else "negative", sentiment),
        key_dates=(
            KeyDate(
                Span(0, 4, text[:4]),
                "DATE",
                "2026-06-15",
                (date(2026, 6, 15), date(2026, 6, 15)),
                "NATO leaders meet",
                "future",
            ),
        ),
        importance=0.5,
    )


def seed_news(brief: MarketBrief, *, count: int = 31) -> list[Analysis]:
    """``count`` analyses an hour apart (newest first: n0); n0-n2 in story s1; every third
    about LMT in Energy with an mna event, the rest about RTX; one hostile article (evil) and
    a failing source whose error is hostile."""
    store = brief.store
    saved: list[Analysis] = []
    for i in range(count):
        lmt = i % 3 == 2
        analysis = make_analysis(
            f"n{i}",
            published_at=NOW - timedelta(hours=i),
            ticker="LMT" if lmt else "RTX",
            sector="Energy" if lmt else "Aerospace & Defense",
            event="mna" if lmt else "guidance_change",
            sentiment=-0.4 if i % 2 else 0.6,
        )
        store.save_analysis(analysis)
        saved.append(analysis)
    evil = make_analysis(
        "evil",
        published_at=NOW - timedelta(days=3),
        title=HOSTILE,
        url="javascript:alert(5)",
        text=HOSTILE + "\nPatriot " + HOSTILE,
        why=HOSTILE,
        sector=XSS[1],
    )
    store.save_analysis(evil)
    members = tuple(
        StoryMember(
            ArticleId(f"n{i}"),
            NOW - timedelta(hours=i),
            f"Source {i}",
            novelty=1.0 if i == 2 else 0.5 if i == 1 else 0.0,
            added=("12%",) if i == 1 else (),
        )
        for i in (2, 1, 0)
    )
    store.save_stories(
        [
            Story(
                StoryId("s1"),
                tuple(m.article_id for m in members),
                "Patriot orders rise",
                NOW - timedelta(hours=2),
                NOW,
                members=members,
                sources=tuple(m.source or "" for m in members),
                independent_sources=3,
            ),
            Story(
                StoryId("evil-story"),
                (ArticleId("evil"),),
                HOSTILE,
                NOW - timedelta(days=3),
                NOW - timedelta(days=3),
            ),
        ]
    )
    source = store.add_source(
        "https://feeds.example.com/rss", SourceKind.FEED, title=XSS[0], now=NOW
    )
    store.save_source_state(
        replace(
            source,
            status=SourceStatus.FAILING,
            error_count=3,
            last_error=HOSTILE,
            last_polled_at=NOW - timedelta(minutes=5),
            next_poll_at=NOW + timedelta(minutes=25),
        )
    )
    return [*saved, evil]
