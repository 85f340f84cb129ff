"""The JSON API, ``/api/v1``: articles and their comments, stories, companies and key dates,
read-only (comments are posted on the article page's form, which has CSRF protection).

Responses are the models of ``api_models`` (the versioned contract), never internal records.
Lists are paged: ``limit`` and an opaque ``cursor`` (the ``next_cursor`` of the page before).
Every error under ``/api/`` has one shape, ``{"error": {"status", "code", "message"}}`` (made
in ``app``: not found, bad input, validation, wrong method). ``/openapi.json`` describes these
routes only; the HTML pages are not part of the contract.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.openapi.utils import get_openapi

from marketbrief.errors import InvalidInputError, NotFoundError
from marketbrief.model import ArticleId
from marketbrief.web.api_models import (
    ArticleDetail,
    ArticleList,
    CommentList,
    CompanyOut,
    ErrorResponse,
    KeyDateEntry,
    KeyDateList,
    StoryDetail,
    StoryList,
    article_detail,
    article_summary,
    comment_threads,
    story_detail,
    story_summary,
)
from marketbrief.web.app import brief_of, site_of

PREFIX = "/api/v1"
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad input (a malformed cursor, a date)"},
    404: {"model": ErrorResponse, "description": "Not found"},
    422: {"model": ErrorResponse, "description": "Invalid parameters"},
}
router = APIRouter(prefix=PREFIX, tags=["v1"], responses=ERRORS)

Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the last page")]
Filter = Annotated[str | None, Query(max_length=100)]
ThreadCursor = Annotated[
    str | None, Query(pattern=r"^[0-9]{1,9}$", description="next_cursor of the last page")
]


@router.get("/articles", response_model=ArticleList)
def list_articles(
    request: Request,
    limit: Limit = 20,
    cursor: Cursor = None,
    ticker: Filter = None,
    sector: Filter = None,
    event_type: Filter = None,
) -> ArticleList:
    """Analysed articles, newest first; filter by ticker, sector, event type."""
    page = brief_of(request).store.page_analyses(
        ticker=ticker or None,
        sector=sector or None,
        event_type=event_type or None,
        cursor=cursor or None,
        limit=limit,
    )
    site = site_of(request)
    return ArticleList(
        items=[article_summary(a, site=site) for a in page.analyses],
        next_cursor=page.next_cursor,
    )


@router.get("/articles/{article_id}", response_model=ArticleDetail)
def get_article(request: Request, article_id: str) -> ArticleDetail:
    """One analysed article: its text and everything the analysis says of it."""
    analysis = brief_of(request).store.get_analyses([article_id]).get(ArticleId(article_id))
    if analysis is None:
        raise NotFoundError("no analysed article with this id", key=article_id)
    return article_detail(analysis, site=site_of(request))


@router.get("/articles/{article_id}/comments", response_model=CommentList)
def list_comments(
    request: Request, article_id: str, limit: Limit = 20, cursor: ThreadCursor = None
) -> CommentList:
    """An article's comments as everyone sees them on its page: threads oldest first, a page
    holding ``limit`` whole threads. Comments waiting for a moderator are never listed; one
    taken down stays as a blank placeholder (``removed``) only where it was answered."""
    after = _cursor_number(cursor)
    threads = brief_of(request).store.list_comments(article_id, require_article=True)
    shown = [t for t in comment_threads(threads, site=site_of(request)) if t[0] > after]
    page = shown[:limit]
    return CommentList(
        article_id=article_id,
        items=[c for _, comments in page for c in comments],
        next_cursor=str(page[-1][0]) if len(shown) > limit else None,
    )


def _cursor_number(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 9:
        raise InvalidInputError("not a cursor this list gave", key=cursor[:80])
    return int(cursor)


@router.get("/stories", response_model=StoryList)
def list_stories(
    request: Request, limit: Limit = 20, cursor: Cursor = None, ticker: Filter = None
) -> StoryList:
    """Stories, most recently seen first; filter by ticker."""
    offset = _cursor_number(cursor)
    stories = brief_of(request).store.page_stories(
        ticker=ticker or None, offset=offset, limit=limit + 1
    )
    site = site_of(request)
    return StoryList(
        items=[story_summary(s, site=site) for s in stories[:limit]],
        next_cursor=str(offset + limit) if len(stories) > limit else None,
    )


@router.get("/stories/{story_id}", response_model=StoryDetail)
def get_story(request: Request, story_id: str) -> StoryDetail:
    """One story: its articles earliest first, and what each added."""
    return story_detail(brief_of(request).store.get_story(story_id), site=site_of(request))


@router.get("/companies/{ticker}", response_model=CompanyOut)
def get_company(request: Request, ticker: str) -> CompanyOut:
    """A U.S.-listed company (current or former ticker) and its latest analysed articles."""
    brief = brief_of(request)
    company, aliases = brief.kb_company(ticker)
    site = site_of(request)
    latest = brief.store.page_analyses(ticker=company.ticker, limit=10).analyses
    return CompanyOut(
        ticker=company.ticker,
        name=company.name,
        legal_name=company.legal_name,
        exchange=company.exchange,
        sector=company.sector,
        industry=company.industry,
        is_etf=company.is_etf,
        aliases=list(dict.fromkeys(a.alias for a in aliases)),
        latest_articles=[article_summary(a, site=site) for a in latest],
        page_url=f"{site}/tickers/{company.ticker}",
    )


@router.get("/key-dates", response_model=KeyDateList)
def list_key_dates(
    request: Request,
    start: Annotated[
        str | None,
        Query(
            alias="from",
            pattern=r"^\d{4}-\d{2}-\d{2}$",
            description="First day, YYYY-MM-DD (New York)",
        ),
    ] = None,
    days: Annotated[int, Query(ge=0, le=366)] = 30,
    ticker: Annotated[list[str] | None, Query(max_length=50)] = None,
) -> KeyDateList:
    """The market calendar ahead: closures, FOMC meetings, and company events the articles
    state (only those of ``ticker`` when given; market-wide dates stay)."""
    # A date is written as one: pydantic would also take a number as seconds since 1970.
    try:
        first = date.fromisoformat(start) if start is not None else None
    except ValueError:
        raise HTTPException(status_code=400, detail="from: not a calendar date") from None
    calendar = brief_of(request).calendar(as_of=first, days=days, watch=tuple(ticker or ()))
    return KeyDateList(
        first_day=calendar.first_day,
        last_day=calendar.last_day,
        items=[
            KeyDateEntry(
                day=d.day,
                last_day=d.last_day,
                kind=d.kind.value,
                key=d.key,
                title=d.title,
                detail=d.detail,
                tickers=list(d.tickers),
                article_id=d.article_id,
                url=d.url,
            )
            for d in calendar.dates
        ],
    )


def install_api(app: FastAPI) -> None:
    """Add ``/api/v1`` to ``app`` (called by ``create_app``); ``/openapi.json`` describes it
    alone."""
    app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(
                title="marketbrief API",
                version="1",
                summary="Curated U.S. market news: articles and their comments, stories, "
                "companies, key dates.",
                routes=router.routes,
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
