"""Reads for the web reader and the API: filtered keyset pages, analyses by id, story pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from marketbrief.errors import InvalidInputError
from marketbrief.model import (
    Analysis,
    Article,
    ArticleHeadline,
    ArticleId,
    CompanyLink,
    CompanyRole,
    Event,
    SectorLink,
    Span,
    Story,
    StoryId,
)
from marketbrief.store import SqlStore

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
NewArticle = Callable[..., Article]


def analysis(article: Article, *, ticker: str, sector: str, event: str) -> Analysis:
    return Analysis(
        article=article,
        summary=article.text,
        companies=(
            CompanyLink(ticker, f"{ticker} Inc.", "NYSE", CompanyRole.PRIMARY, 0.9, "named"),
        ),
        sectors=(SectorLink(sector, 0.5, "theme"),),
        events=(Event(event, 0.8, Span(0, 4, article.text[:4])),),
    )


@pytest.fixture
def filled(store: SqlStore, new_article: NewArticle) -> SqlStore:
    """30 analyses, one a minute; a1, a4, … about RTX; a few at the same instant; two undated."""
    for i in range(30):
        published = None if i >= 28 else NOW - timedelta(minutes=i // 2)
        article = new_article(f"a{i}", published_at=published, first_seen_at=None)
        ticker = "RTX" if i % 3 == 1 else "LMT"
        sector = "Energy" if i % 2 else "Aerospace & Defense"
        event = "mna" if i % 5 == 0 else "earnings_results"
        store.save_analysis(analysis(article, ticker=ticker, sector=sector, event=event))
    return store


def walk(store: SqlStore, limit: int, **filters: str) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(100):
        page = store.page_analyses(cursor=cursor, limit=limit, **filters)
        assert len(page.analyses) <= limit
        ids += [a.article.id for a in page.analyses]
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("pages never end")


@pytest.mark.parametrize("limit", [1, 4, 7, 30, 31])
def test_pages_follow_list_order_without_gaps_or_repeats(filled: SqlStore, limit: int) -> None:
    everything = [a.article.id for a in filled.list_analyses()]
    assert len(everything) == 30
    assert walk(filled, limit) == everything


def test_filters_keep_only_linked_articles(filled: SqlStore) -> None:
    every = filled.list_analyses()
    rtx = walk(filled, 4, ticker="rtx")
    assert rtx == [a.article.id for a in every if a.companies[0].ticker == "RTX"]
    assert rtx and walk(filled, 4, ticker="$RTX") == rtx
    energy_mna = walk(filled, 3, sector="Energy", event_type="mna")
    assert energy_mna == [
        a.article.id for a in every if a.sectors[0].name == "Energy" and a.events[0].type == "mna"
    ]
    assert energy_mna
    assert walk(filled, 3, ticker="ZZZZ") == []


def test_a_new_article_does_not_shift_the_next_page(
    filled: SqlStore, new_article: NewArticle
) -> None:
    first = filled.page_analyses(limit=5)
    newer = new_article("fresh", published_at=NOW + timedelta(hours=1))
    filled.save_analysis(analysis(newer, ticker="RTX", sector="Energy", event="mna"))
    second = filled.page_analyses(limit=5, cursor=first.next_cursor)
    every = [a.article.id for a in filled.list_analyses()]
    assert [a.article.id for a in second.analyses] == every[6:11]


@pytest.mark.parametrize("cursor", ["", "x", "1.", ".3", "99999999999999999999999.1", "-.z"])
def test_a_malformed_cursor_is_invalid_input(filled: SqlStore, cursor: str) -> None:
    with pytest.raises(InvalidInputError):
        filled.page_analyses(cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, 501])
def test_limits_are_bounded(filled: SqlStore, limit: int) -> None:
    with pytest.raises(InvalidInputError):
        filled.page_analyses(limit=limit)
    with pytest.raises(InvalidInputError):
        filled.page_stories(limit=limit)


def test_get_analyses_by_id(filled: SqlStore) -> None:
    found = filled.get_analyses(["a3", "a7", "nope", "a3"])
    assert set(found) == {"a3", "a7"}
    assert found[ArticleId("a3")].article.raw_html is None
    assert filled.get_analyses([]) == {}


def test_story_pages_by_ticker(filled: SqlStore) -> None:
    stories = [
        Story(
            StoryId(f"s{i}"),
            (ArticleId(f"a{2 * i}"), ArticleId(f"a{2 * i + 1}")),
            f"Story {i}",
            NOW - timedelta(hours=i + 1),
            NOW - timedelta(hours=i),
        )
        for i in range(5)
    ]
    filled.save_stories(stories)
    assert [s.id for s in filled.page_stories(limit=2)] == ["s0", "s1"]
    assert [s.id for s in filled.page_stories(limit=2, offset=4)] == ["s4"]
    # RTX: a1 (s0), a4 (s2), a7 (s3)
    assert [s.id for s in filled.page_stories(ticker="RTX")] == ["s0", "s2", "s3"]
    assert filled.page_stories(ticker="RTX")[0].article_ids == ("a0", "a1")
    assert filled.page_stories(offset=9) == []


@pytest.mark.parametrize("limit", [1, 7, 29, 30, 100])
def test_headlines_are_the_newest_articles_without_their_text(filled: SqlStore, limit: int) -> None:
    """The latest page's read: ``list_articles``' articles, in its order (tied instants, the
    undated last), each as what a headline shows."""
    assert filled.list_headlines(limit=limit) == [
        ArticleHeadline(a.id, a.title, a.source, a.published_at)
        for a in filled.list_articles(limit=limit)
    ]
    assert len(filled.list_headlines(limit=limit)) == min(limit, 30)


def test_a_headline_carries_source_and_a_missing_title(
    store: SqlStore, new_article: NewArticle
) -> None:
    at = datetime(2025, 6, 25, 14, 30, tzinfo=UTC)
    store.upsert_article(new_article("h1", title=None, source="Wire", published_at=at))
    assert store.list_headlines() == [ArticleHeadline(ArticleId("h1"), None, "Wire", at)]


def test_sectors(filled: SqlStore) -> None:
    assert filled.list_sectors() == ["Aerospace & Defense", "Energy"]


@pytest.mark.parametrize("pages", [0, 2])
@pytest.mark.parametrize("window", [1, 3, 5, 2000])
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_filtered_pages_are_the_same_whichever_way_they_are_found(
    filled: SqlStore, monkeypatch: pytest.MonkeyPatch, window: int, limit: int, pages: int
) -> None:
    """A filtered page comes from the newest rows when they hold a page, else from all the
    linked rows: with a window smaller than the table, pages cross from one way to the other,
    over tied instants and the undated articles at the end."""
    monkeypatch.setattr("marketbrief.store.sql._FILTER_WINDOW", window)
    monkeypatch.setattr("marketbrief.store.sql._FILTER_WINDOW_PAGES", pages)
    every = filled.list_analyses()
    assert walk(filled, limit, ticker="LMT") == [
        a.article.id for a in every if a.companies[0].ticker == "LMT"
    ]
    assert walk(filled, limit, sector="Energy", event_type="earnings_results") == [
        a.article.id
        for a in every
        if a.sectors[0].name == "Energy" and a.events[0].type == "earnings_results"
    ]
    assert walk(filled, limit, ticker="RTX", event_type="mna") == [
        a.article.id for a in every if a.companies[0].ticker == "RTX" and a.events[0].type == "mna"
    ]
    assert walk(filled, limit, sector="Nowhere") == []


def test_sectors_of_an_empty_store_and_many_names(store: SqlStore, new_article: NewArticle) -> None:
    assert store.list_sectors() == []
    names = ["Utilities", "Energy", "Consumer Staples", "Health Care", "Energy", "Financials"]
    for i, name in enumerate(names):
        article = new_article(f"s{i}")
        store.save_analysis(analysis(article, ticker="XOM", sector=name, event="mna"))
    assert store.list_sectors() == sorted(set(names))
