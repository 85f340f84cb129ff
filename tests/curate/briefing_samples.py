"""Hand-made analyses for the briefing tests: a text, and spans found in it by their words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from marketbrief.model import (
    Analysis,
    Article,
    ArticleId,
    CompanyLink,
    CompanyRole,
    Event,
    KeyDate,
    Reader,
    ReaderId,
    SectorLink,
    Sentiment,
    Span,
    Story,
    StoryId,
    StoryMember,
    Watchlist,
)

NOW = datetime(2025, 6, 27, 21, tzinfo=UTC)  # a Friday, 5 p.m. in New York
TODAY = date(2025, 6, 27)
READER = Reader(
    ReaderId(1),
    "reader@example.com",
    "Sample Reader",
    Watchlist(tickers=("RTX", "LMT"), sectors=("Semiconductors",), event_types=("mna",)),
)


def span(text: str, words: str, after: int = 0) -> Span:
    start = text.index(words, after)
    return Span(start, start + len(words), words)


def company(
    text: str,
    ticker: str,
    name: str,
    *,
    role: CompanyRole = CompanyRole.PRIMARY,
    said: str | None = None,
    why: str | None = None,
    sentiment: float | None = None,
    relevance: float = 0.9,
) -> CompanyLink:
    mentions = (span(text, said),) if said else ()
    return CompanyLink(
        ticker,
        name,
        "NYSE",
        role,
        relevance,
        why or f"{name} ({ticker}): named as “{said or name}”",
        mentions,
        sentiment,
    )


def event(text: str, kind: str, words: str, confidence: float = 0.9) -> Event:
    return Event(kind, confidence, span(text, words))


def key_date(
    text: str,
    words: str,
    first: date,
    last: date | None = None,
    *,
    value: str | None = None,
    relation: str = "future",
    phrase: str | None = None,
) -> KeyDate:
    return KeyDate(
        span(text, words),
        "DATE",
        value or first.isoformat(),
        (first, last or first),
        phrase,
        relation,
    )


def make_analysis(
    article_id: str,
    *,
    title: str | None = None,
    text: str = "Sample text.",
    importance: float = 0.5,
    hours_ago: float = 1,
    companies: Sequence[CompanyLink] = (),
    events: Sequence[Event] = (),
    key_dates: Sequence[KeyDate] = (),
    sectors: Sequence[str] = (),
    sentiment: str = "neutral",
    source: str | None = "Sample Wire",
) -> Analysis:
    at = NOW - timedelta(hours=hours_ago)
    article = Article(
        ArticleId(article_id),
        f"https://news.example/{article_id}",
        title or f"Title {article_id}",
        text,
        "en",
        at,
        first_seen_at=at,
        source=source,
    )
    score = {"positive": 0.5, "negative": -0.5}.get(sentiment, 0.0)
    return Analysis(
        article,
        f"Summary {article_id}.",
        companies=tuple(companies),
        sectors=tuple(SectorLink(s, 0.8, "sample") for s in sectors),
        events=tuple(events),
        sentiment=Sentiment(sentiment, score),
        key_dates=tuple(key_dates),
        importance=importance,
    )


def make_story(
    story_id: str,
    analyses: Sequence[Analysis],
    *,
    independent: int | None = None,
    added: dict[str, tuple[str, ...]] | None = None,
    novelty: dict[str, float] | None = None,
) -> Story:
    """A story of ``analyses`` (earliest first by publication), with member details."""
    ordered = sorted(analyses, key=lambda a: a.article.published_at or NOW)
    members = tuple(
        StoryMember(
            a.article.id,
            a.article.published_at or NOW,
            a.article.source,
            (novelty or {}).get(a.article.id, 1.0 if i == 0 else 0.5),
            (added or {}).get(a.article.id, ()),
        )
        for i, a in enumerate(ordered)
    )
    sources = tuple(dict.fromkeys(m.source for m in members if m.source))
    return Story(
        StoryId(story_id),
        tuple(a.article.id for a in ordered),
        ordered[0].article.title or "",
        members[0].seen_at,
        members[-1].seen_at,
        members,
        sources,
        independent if independent is not None else len(sources),
    )
