"""The JSON API's models (``/api/v1``): a versioned contract, separate from the internal records.

The records of ``marketbrief.model`` may change as the pipeline grows; these do not, within a
version. A field is added to a version only when old clients can ignore it; a change that
breaks one makes ``/api/v2``. ``from_*`` functions are the one place records become API models.
Every string is data: JSON escapes what needs escaping and the responses are
``application/json``, so a hostile title cannot run in a browser that opens one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from marketbrief.model import (
    Analysis,
    Article,
    Comment,
    CommentStatus,
    CompanyLink,
    Event,
    KeyDate,
    SectorLink,
    Story,
    event_label,
)
from marketbrief.web.comments import clean_html

API_VERSION = "v1"


class ApiModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ── errors ────────────────────────────────────────────────────────────────────────────────────


class ErrorDetail(ApiModel):
    status: int = Field(description="The HTTP status, repeated")
    code: str = Field(description="not_found, invalid, bad_request, method_not_allowed, …")
    message: str = Field(description="What went wrong, for a person")


class ErrorResponse(ApiModel):
    """The one error shape of the API."""

    error: ErrorDetail


# ── articles ──────────────────────────────────────────────────────────────────────────────────


class CompanyMention(ApiModel):
    ticker: str
    name: str
    exchange: str | None
    role: Literal["primary", "mentioned", "indirect"]
    relevance: float
    sentiment: float | None
    why: str


class SectorMention(ApiModel):
    name: str
    relevance: float
    why: str


class EventOut(ApiModel):
    type: str
    label: str
    confidence: float
    direction: str | None
    evidence: str


class SentimentOut(ApiModel):
    label: Literal["positive", "negative", "neutral"]
    score: float


class ArticleKeyDate(ApiModel):
    text: str
    type: str
    value: str = Field(description="TimeML TIMEX3 value")
    first_day: date | None
    last_day: date | None
    event: str | None
    relation: str


class ArticleSummary(ApiModel):
    id: str
    title: str | None
    url: str | None
    source: str | None
    published_at: datetime | None
    page_url: str = Field(description="The article's page on this web reader")
    story_id: str | None
    tickers: list[str]
    sectors: list[str]
    events: list[str]
    sentiment: SentimentOut
    importance: float


class ArticleDetail(ArticleSummary):
    text: str
    summary: str
    language: str | None
    authors: list[str]
    companies: list[CompanyMention]
    sector_links: list[SectorMention]
    event_links: list[EventOut]
    key_dates: list[ArticleKeyDate]


class ArticleList(ApiModel):
    items: list[ArticleSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")


# ── stories ───────────────────────────────────────────────────────────────────────────────────


class StoryMemberOut(ApiModel):
    article_id: str
    seen_at: datetime | None
    source: str | None
    novelty: float | None = Field(description="0..1: share of new facts; 0 a repeat")
    added: list[str] = Field(description="Numbers and names the story had not stated before")


class StorySummary(ApiModel):
    id: str
    title: str
    first_seen_at: datetime
    last_seen_at: datetime
    articles: int
    sources: list[str]
    independent_sources: int
    page_url: str


class StoryDetail(StorySummary):
    members: list[StoryMemberOut]


class StoryList(ApiModel):
    items: list[StorySummary]
    next_cursor: str | None


# ── companies and key dates ───────────────────────────────────────────────────────────────────


class CompanyOut(ApiModel):
    ticker: str
    name: str
    legal_name: str
    exchange: str | None
    sector: str | None
    industry: str | None
    is_etf: bool
    aliases: list[str]
    latest_articles: list[ArticleSummary]
    page_url: str


class KeyDateEntry(ApiModel):
    day: date
    last_day: date
    kind: str = Field(description="market_holiday, early_close, fomc_meeting, company_event")
    key: str = Field(description="Identity without the date: stable when the date moves")
    title: str
    detail: str | None
    tickers: list[str]
    article_id: str | None
    url: str | None


class KeyDateList(ApiModel):
    first_day: date
    last_day: date
    items: list[KeyDateEntry]


# ── comments ──────────────────────────────────────────────────────────────────────────────────


class CommentOut(ApiModel):
    id: int
    parent_id: int | None = Field(description="The comment this one answers; null on the article")
    depth: int = Field(description="0 for a comment on the article, 1 for an answer to one, …")
    removed: bool = Field(
        description="Taken down by its author or a moderator, but answered: kept in its place "
        "(author, text and edit time null)"
    )
    author: str | None
    body_html: str | None = Field(
        description="Sanitised HTML: p, br, em, strong, code, pre, blockquote, ul, ol, li, and "
        'a with an absolute http(s) or mailto href and rel="nofollow ugc noopener"'
    )
    body_markdown: str | None = Field(
        description="The Markdown as its author wrote it: untrusted text; show it as text, or "
        "render it only through a sanitiser (body_html is that, done)"
    )
    created_at: datetime
    edited_at: datetime | None
    page_url: str = Field(description="The comment on the article's page")


class CommentList(ApiModel):
    article_id: str
    items: list[CommentOut] = Field(
        description="Whole threads, oldest first, each in reading order (an answer after the "
        "comment it answers, answers oldest first)"
    )
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next threads")


# ── records → models ──────────────────────────────────────────────────────────────────────────


def _company(link: CompanyLink) -> CompanyMention:
    return CompanyMention(
        ticker=link.ticker,
        name=link.name,
        exchange=link.exchange,
        role=link.role.value,
        relevance=link.relevance,
        sentiment=link.sentiment,
        why=link.why,
    )


def _sector(link: SectorLink) -> SectorMention:
    return SectorMention(name=link.name, relevance=link.relevance, why=link.why)


def _event(event: Event) -> EventOut:
    return EventOut(
        type=event.type,
        label=event_label(event.type),
        confidence=event.confidence,
        direction=event.direction,
        evidence=event.evidence.text,
    )


def _key_date(key_date: KeyDate) -> ArticleKeyDate:
    return ArticleKeyDate(
        text=key_date.span.text,
        type=key_date.type,
        value=key_date.value,
        first_day=None if key_date.range is None else key_date.range[0],
        last_day=None if key_date.range is None else key_date.range[1],
        event=key_date.event,
        relation=key_date.relation,
    )


def _sentiment(analysis: Analysis) -> SentimentOut:
    label = analysis.sentiment.label
    return SentimentOut(
        label=label if label in ("positive", "negative") else "neutral",
        score=analysis.sentiment.score,
    )


def article_summary(analysis: Analysis, *, site: str) -> ArticleSummary:
    article = analysis.article
    return ArticleSummary(**_summary_fields(article, analysis, site=site))


def _summary_fields(article: Article, analysis: Analysis, *, site: str) -> dict[str, object]:
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "source": article.source,
        "published_at": article.published_at,
        "page_url": f"{site}/articles/{article.id}",
        "story_id": analysis.story_id,
        "tickers": list(dict.fromkeys(c.ticker for c in analysis.companies)),
        "sectors": list(dict.fromkeys(s.name for s in analysis.sectors)),
        "events": list(dict.fromkeys(e.type for e in analysis.events)),
        "sentiment": _sentiment(analysis),
        "importance": analysis.importance,
    }


def article_detail(analysis: Analysis, *, site: str) -> ArticleDetail:
    article = analysis.article
    return ArticleDetail(
        **_summary_fields(article, analysis, site=site),
        text=article.text,
        summary=analysis.summary,
        language=article.language,
        authors=list(article.authors),
        companies=[_company(c) for c in analysis.companies],
        sector_links=[_sector(s) for s in analysis.sectors],
        event_links=[_event(e) for e in analysis.events],
        key_dates=[_key_date(k) for k in analysis.key_dates],
    )


def _story_fields(story: Story, *, site: str) -> dict[str, object]:
    return {
        "id": story.id,
        "title": story.title,
        "first_seen_at": story.first_seen_at,
        "last_seen_at": story.last_seen_at,
        "articles": len(story.article_ids),
        "sources": list(story.sources),
        "independent_sources": story.independent_sources,
        "page_url": f"{site}/stories/{story.id}",
    }


def story_summary(story: Story, *, site: str) -> StorySummary:
    return StorySummary(**_story_fields(story, site=site))


def story_detail(story: Story, *, site: str) -> StoryDetail:
    members = {m.article_id: m for m in story.members}
    out = []
    for article_id in story.article_ids:
        member = members.get(article_id)
        out.append(
            StoryMemberOut(
                article_id=article_id,
                seen_at=None if member is None else member.seen_at,
                source=None if member is None else member.source,
                novelty=None if member is None else member.novelty,
                added=[] if member is None else list(member.added),
            )
        )
    return StoryDetail(**_story_fields(story, site=site), members=out)


def comment_threads(threads: Sequence[Comment], *, site: str) -> list[tuple[int, list[CommentOut]]]:
    """An article's threads (``SqlStore.list_comments`` without held ones) as the public sees
    them, each as its first comment's id and its comments in reading order, as on the article
    page: a held comment (and what answers it) is left out, a removed one stays as a blank
    placeholder only above a comment that is shown, and HTML is sanitised again on the way out.
    """
    out: list[tuple[int, list[CommentOut]]] = []
    for root in threads:
        rows: list[tuple[Comment, int]] = []
        stack = [(root, 0)]
        while stack:  # no recursion: a thread may be deeper than Python's stack
            comment, depth = stack.pop()
            if comment.status is CommentStatus.HELD:
                continue
            rows.append((comment, depth))
            stack.extend((reply, depth + 1) for reply in reversed(comment.replies))
        # answers come after what they answer: walking back, a placeholder is needed when a
        # comment below it was kept
        needed: set[int | None] = set()
        kept: list[CommentOut] = []
        for comment, depth in reversed(rows):
            shown = comment.status is CommentStatus.VISIBLE
            if not shown and comment.id not in needed:
                continue
            needed.add(comment.parent_id)
            kept.append(_comment(comment, depth, shown=shown, site=site))
        if kept:
            out.append((root.id, kept[::-1]))
    return out


def _comment(comment: Comment, depth: int, *, shown: bool, site: str) -> CommentOut:
    return CommentOut(
        id=comment.id,
        parent_id=comment.parent_id,
        depth=depth,
        removed=not shown,
        author=comment.author_name if shown else None,
        body_html=clean_html(comment.body_html) if shown else None,
        body_markdown=comment.body_markdown if shown else None,
        created_at=comment.created_at,
        edited_at=comment.edited_at if shown else None,
        page_url=f"{site}/articles/{comment.article_id}#comment-{comment.id}",
    )
