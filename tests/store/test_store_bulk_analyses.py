"""``SqlStore.save_analyses``: a batch stores exactly what ``save_analysis`` of each would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from marketbrief.errors import InvalidInputError
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
    SourceId,
    Span,
    Story,
    StoryId,
)
from marketbrief.store import SqlStore
from marketbrief.store.schema import metadata

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
NewArticle = Callable[..., Article]
TABLES = ("articles", "analyses", "article_companies", "article_sectors", "article_events")
TABLES += ("key_dates", "stories", "story_articles")


def analysis_of(article: Article, n: int, *, story_id: str | None = None) -> Analysis:
    """An analysis with rows in every query table, varying with ``n``."""
    tickers = ("RTX", "LMT", "AAPL", "XOM")
    head = Span(0, 4, article.text[:4])
    return Analysis(
        article=article,
        summary=f"summary {n}",
        companies=(
            CompanyLink(tickers[n % 4], "First", "NYSE", CompanyRole.PRIMARY, 0.9, "named", ()),
            CompanyLink(tickers[(n + 1) % 4], "Second", "NYSE", CompanyRole.MENTIONED, 0.5, "x"),
        ),
        sectors=(SectorLink(("Energy", "Industrials")[n % 2], 0.75, "primary company"),),
        events=(Event(("mna", "dividend", "buyback")[n % 3], 0.5, head),),
        sentiment=Sentiment("positive", 0.25),
        key_dates=(KeyDate(head, "DATE", f"2025-07-{n % 28 + 1:02d}", None, None, "future"),),
        importance=round(n / 100, 4),
        story_id=None if story_id is None else StoryId(story_id),
    )


def dump(store_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the article and analysis tables, without the articles' own integer key
    (PostgreSQL's sequence goes on counting across the two runs), in a stable order."""
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            found = {}
            for name in TABLES:
                table = metadata.tables[name]
                columns = [c for c in table.c if c.name != "pk"]
                rows = conn.execute(select(*columns)).all()
                found[name] = sorted((tuple(r) for r in rows), key=repr)
            return found
    finally:
        engine.dispose()


def empty(store_url: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(text(f'DELETE FROM "{table.name}"'))
    finally:
        engine.dispose()


def prepare(store: SqlStore, new_article: NewArticle) -> list[Analysis]:
    """Stored first: two analysed articles in a story and one bare article. Returns a batch
    that mixes every case: new articles, re-analyses (one keeping its story, one moving to
    another), an article given under a new id at a stored url, a bare stored article, the
    same article twice, and an article without url."""
    for i in (1, 2):
        store.save_analysis(analysis_of(new_article(f"old{i}", first_seen_at=NOW), i))
    store.save_stories(
        [Story(StoryId("s1"), (ArticleId("old1"), ArticleId("old2")), "Story", NOW, NOW)]
    )
    store.upsert_article(new_article("bare", title=None))
    batch = [
        analysis_of(new_article(f"new{i}", published_at=NOW - timedelta(minutes=i)), i)
        for i in range(5)
    ]
    batch += [
        analysis_of(new_article("old1", title="new title"), 10),  # keeps s1
        analysis_of(new_article("old2"), 11, story_id="s9"),
        # The stored old1 under another id (same url): filed under old1.
        analysis_of(
            new_article("alias", url="https://news.example.com/old1", authors=("A. Writer",)),
            12,
        ),
        analysis_of(new_article("bare", title="filled in"), 13),
        analysis_of(new_article("twice", published_at=NOW), 14, story_id="s7"),
        analysis_of(new_article("twice", published_at=NOW), 15),  # no story: keeps s7
        analysis_of(new_article("nourl", url=None), 16),
    ]
    return batch


def test_a_batch_stores_what_saving_each_in_turn_stores(
    store: SqlStore, store_url: str, new_article: NewArticle
) -> None:
    batch = prepare(store, new_article)
    store.save_analyses(batch)
    in_bulk = dump(store_url)
    bulk_reads = [store.get_analysis(i) for i in ("new0", "old1", "old2", "bare", "twice")]

    empty(store_url)
    for analysis in prepare(store, new_article):
        store.save_analysis(analysis)
    assert dump(store_url) == in_bulk
    assert [store.get_analysis(i) for i in ("new0", "old1", "old2", "bare", "twice")] == (
        bulk_reads
    )
    old1, twice = bulk_reads[1], bulk_reads[4]
    assert old1 is not None and twice is not None
    assert (old1.summary, old1.story_id) == ("summary 12", "s1")
    assert old1.article.title == "Title of old1"  # stored fields are kept
    assert old1.article.authors == ("A. Writer",)  # missing ones filled in
    assert (twice.summary, twice.story_id) == ("summary 15", "s7")
    assert store.get_analysis("alias") is None
    assert store.count_articles() == 10


def test_a_batch_of_new_articles_round_trips_in_order(
    store: SqlStore, new_article: NewArticle
) -> None:
    batch = [
        analysis_of(new_article(f"a{i:04d}", published_at=NOW - timedelta(minutes=i)), i)
        for i in range(1200)  # more than one IN (...) chunk of keys
    ]
    store.save_analyses(batch)
    assert store.count_articles() == 1200
    assert store.list_analyses(limit=3) == batch[:3]
    assert store.get_analyses(["a0700", "a1199"]) == {
        ArticleId("a0700"): batch[700],
        ArticleId("a1199"): batch[1199],
    }
    assert store.page_analyses(ticker="XOM", limit=2).analyses == [batch[2], batch[3]]


def test_a_batch_is_stored_whole_or_not_at_all(
    store: SqlStore, store_url: str, new_article: NewArticle
) -> None:
    batch = [analysis_of(new_article(f"a{i}"), i) for i in range(5)]
    bad = new_article("orphan", source_id=SourceId(999))
    with pytest.raises(InvalidInputError) as caught:
        store.save_analyses([*batch, analysis_of(bad, 5)])
    assert caught.value.key == "orphan"
    assert store.count_articles() == 0
    assert all(rows == [] for rows in dump(store_url).values())


def test_an_empty_batch_does_nothing(store: SqlStore) -> None:
    store.save_analyses([])
    assert store.count_articles() == 0
