"""Analyses and stories: round trips, query tables, story membership."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from marketbrief.errors import InvalidInputError
from marketbrief.model import (
    Analysis,
    Article,
    ArticleId,
    CompanyLink,
    CompanyRole,
    Entity,
    Event,
    KeyDate,
    SectorLink,
    Sentiment,
    Span,
    Story,
    StoryId,
)
from marketbrief.store import SqlStore
from marketbrief.store.schema import article_companies, article_events, key_dates

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
NewArticle = Callable[..., Article]
TEXT = (
    "Ukraine asked for more Patriot interceptors on Tuesday; NATO leaders meet this summer "
    "and Lockheed Martin said output would rise."
)


def at(words: str) -> Span:
    start = TEXT.index(words)
    return Span(start, start + len(words), words)


def full_analysis(article: Article) -> Analysis:
    """An analysis using every field; numbers have at most 4 decimals (the contract's)."""
    patriot = at("Patriot")
    return Analysis(
        article=article,
        summary="Ukraine asked for more Patriot interceptors.",
        companies=(
            CompanyLink(
                ticker="RTX",
                name="RTX Corporation",
                exchange="NYSE",
                role=CompanyRole.INDIRECT,
                relevance=0.8125,
                why="Patriot air defense system: RTX is the prime contractor",
                mentions=(patriot,),
                sentiment=0.25,
            ),
            CompanyLink(
                ticker="LMT",
                name="Lockheed Martin Corporation",
                exchange="NYSE",
                role=CompanyRole.MENTIONED,
                relevance=0.5,
                why="named",
                mentions=(at("Lockheed Martin"),),
            ),
        ),
        sectors=(SectorLink("Aerospace & Defense", 0.9, "air defense"),),
        entities=(Entity(at("Ukraine"), "GPE"), Entity(patriot, "PRODUCT")),
        events=(
            Event("geopolitical_conflict", 0.7, at("asked for more Patriot interceptors")),
            Event("policy_trade", 0.35, at("NATO leaders")),
        ),
        sentiment=Sentiment("negative", -0.2),
        key_dates=(
            KeyDate(
                span=at("Tuesday"),
                type="DATE",
                value="2025-06-24",
                range=(date(2025, 6, 24), date(2025, 6, 24)),
                event="asked for more Patriot interceptors",
                relation="past",
            ),
            KeyDate(
                span=at("this summer"),
                type="DATE",
                value="2025-SU",
                range=(date(2025, 6, 21), date(2025, 9, 22)),
                event=None,
                relation="future",
            ),
            KeyDate(
                span=at("this summer"),
                type="DURATION",
                value="P3M",
                range=None,
                event=None,
                relation="ongoing",
            ),
        ),
        importance=0.6667,
    )


def test_an_analysis_round_trips_equal(store: SqlStore, new_article: NewArticle) -> None:
    article, _ = store.upsert_article(new_article("a1", text=TEXT, raw_html=b"<p>x</p>"))
    analysis = full_analysis(article)
    store.save_analysis(analysis)
    assert store.get_analysis("a1") == analysis
    listed = store.list_analyses()
    assert listed == [
        dataclasses.replace(analysis, article=dataclasses.replace(article, raw_html=None))
    ]


def test_save_analysis_stores_its_article_once(store: SqlStore, new_article: NewArticle) -> None:
    article = new_article("a1", text=TEXT, first_seen_at=NOW)
    store.save_analysis(full_analysis(article))
    store.save_analysis(full_analysis(article))
    assert store.count_articles() == 1
    assert store.get_article("a1") == article
    # Under another id but at the same url, it is filed under the stored article.
    store.save_analysis(full_analysis(dataclasses.replace(article, id=ArticleId("dup"))))
    assert store.count_articles() == 1
    assert store.get_analysis("dup") is None
    got = store.get_analysis("a1")
    assert got is not None
    assert got.article.id == "a1"


def test_an_unanalysed_article_has_no_analysis(store: SqlStore, new_article: NewArticle) -> None:
    store.upsert_article(new_article("a1"))
    assert store.get_analysis("a1") is None
    assert store.get_analysis("never-stored") is None
    assert store.list_analyses() == []


def test_saving_again_replaces_the_analysis_and_its_rows(
    store: SqlStore, new_article: NewArticle, store_url: str
) -> None:
    article, _ = store.upsert_article(new_article("a1", text=TEXT))
    store.save_analysis(full_analysis(article))
    assert [a.id for a in store.articles_for_ticker("lmt")] == ["a1"]
    revised = dataclasses.replace(
        full_analysis(article),
        companies=full_analysis(article).companies[:1],
        key_dates=(),
        summary="revised",
    )
    store.save_analysis(revised)
    assert store.get_analysis("a1") == revised
    assert store.articles_for_ticker("LMT") == []
    assert [a.id for a in store.articles_for_ticker("RTX")] == ["a1"]
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM key_dates")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM analyses")).scalar() == 1
    finally:
        engine.dispose()


def test_query_rows_hold_the_analysis(
    store: SqlStore, new_article: NewArticle, store_url: str
) -> None:
    article, _ = store.upsert_article(new_article("a1", text=TEXT))
    store.save_analysis(full_analysis(article))
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            c, e, k = article_companies.c, article_events.c, key_dates.c
            companies = conn.execute(select(c.ticker, c.role, c.relevance).order_by(c.ticker))
            events = conn.execute(select(e.type, e.confidence).order_by(e.type))
            dates = conn.execute(
                select(
                    k.value, k.type, k.first_day, k.last_day, k.text, k.event, k.relation
                ).order_by(k.position)
            ).all()
            companies_rows, events_rows = companies.all(), events.all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in companies_rows] == [
        ("LMT", "mentioned", 0.5),
        ("RTX", "indirect", 0.8125),
    ]
    assert [tuple(r) for r in events_rows] == [
        ("geopolitical_conflict", 0.7),
        ("policy_trade", 0.35),
    ]
    assert [tuple(r) for r in dates][:2] == [
        (
            "2025-06-24",
            "DATE",
            date(2025, 6, 24),
            date(2025, 6, 24),
            "Tuesday",
            "asked for more Patriot interceptors",
            "past",
        ),
        ("2025-SU", "DATE", date(2025, 6, 21), date(2025, 9, 22), "this summer", None, "future"),
    ]
    assert tuple(dates[2])[:4] == ("P3M", "DURATION", None, None)


def test_list_analyses_newest_first_with_since_and_limit(
    store: SqlStore, new_article: NewArticle
) -> None:
    for days, article_id in ((3, "old"), (0, "new"), (1, "mid")):
        article = new_article(article_id, published_at=NOW - timedelta(days=days))
        store.save_analysis(Analysis(article=article, summary=article_id))
    assert [a.summary for a in store.list_analyses()] == ["new", "mid", "old"]
    assert [a.summary for a in store.list_analyses(limit=1)] == ["new"]
    since = NOW - timedelta(days=1)
    assert [a.summary for a in store.list_analyses(since=since)] == ["new", "mid"]


def test_articles_for_ticker(store: SqlStore, new_article: NewArticle) -> None:
    for days, article_id in ((2, "older"), (0, "newer")):
        article = new_article(article_id, text=TEXT, published_at=NOW - timedelta(days=days))
        store.save_analysis(full_analysis(article))
    store.save_analysis(Analysis(article=new_article("other"), summary="no companies"))
    assert [a.id for a in store.articles_for_ticker("RTX")] == ["newer", "older"]
    assert [a.id for a in store.articles_for_ticker(" rtx ", limit=1)] == ["newer"]
    assert store.articles_for_ticker("AAPL") == []


# ── stories ─────────────────────────────────────────────────────────────────────────────────


def story(story_id: str, *article_ids: str, hours: int = 0) -> Story:
    return Story(
        id=StoryId(story_id),
        article_ids=tuple(ArticleId(a) for a in article_ids),
        title=f"Story {story_id}",
        first_seen_at=NOW - timedelta(hours=hours + 1),
        last_seen_at=NOW - timedelta(hours=hours),
    )


def test_stories_round_trip_and_set_story_ids(store: SqlStore, new_article: NewArticle) -> None:
    for article_id in ("a", "b", "c"):
        store.save_analysis(Analysis(article=new_article(article_id), summary=article_id))
    one, two = story("s1", "c", "a", hours=5), story("s2", "b", hours=1)
    store.save_stories([one, two])
    assert store.list_stories() == [two, one]
    assert store.list_stories(since=NOW - timedelta(hours=2)) == [two]
    assert store.get_story("s1") == one
    analysis = store.get_analysis("a")
    assert analysis is not None
    assert analysis.story_id == "s1"

    # Regrouped: "a" moves to s2, s1 keeps "c"; the analyses follow.
    store.save_stories([story("s2", "b", "a", hours=0)])
    assert store.get_story("s1").article_ids == ("c",)
    assert store.get_story("s2").article_ids == ("b", "a")
    moved = store.get_analysis("a")
    assert moved is not None
    assert moved.story_id == "s2"


def test_reanalysis_keeps_the_story(store: SqlStore, new_article: NewArticle) -> None:
    store.save_analysis(Analysis(article=new_article("a"), summary="first"))
    store.save_stories([story("s1", "a")])
    store.save_analysis(Analysis(article=new_article("a"), summary="second"))
    again = store.get_analysis("a")
    assert again is not None
    assert (again.summary, again.story_id) == ("second", "s1")


def test_a_story_of_unknown_articles_is_invalid_input(store: SqlStore) -> None:
    with pytest.raises(InvalidInputError) as caught:
        store.save_stories([story("s1", "never-stored")])
    assert caught.value.key == "s1"
    assert store.list_stories() == []


def test_an_unknown_story_is_invalid_input(store: SqlStore) -> None:
    with pytest.raises(InvalidInputError) as caught:
        store.get_story("nope")
    assert caught.value.key == "nope"
    store.save_stories([])  # nothing to do
