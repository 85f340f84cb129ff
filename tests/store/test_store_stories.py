"""Stories in the store: members with what they added, merged stories deleted, revision 0002
read over rows from before it, and the facade's incremental grouping on each backend."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from marketbrief.core import MarketBrief
from marketbrief.model import Analysis, Article, ArticleId, Story, StoryId, StoryMember
from marketbrief.settings import Settings
from marketbrief.store import SqlStore, open_store
from marketbrief.store.sql import alembic_config

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
NewArticle = Callable[..., Article]

# Sample texts written for these tests, not real news.
STRIKE = (
    "Dock workers at the port of Eastmere walked off the job on Monday after talks with the "
    "terminal operators broke down, halting container traffic at the region's busiest harbour. "
    "The union said the strike would last until a new wage offer was made."
)
STRIKE_UPDATE = (
    "The Eastmere dock strike entered its third day as the terminal operators offered a 6 "
    "percent raise, which the union of dock workers rejected. Shippers diverted 40 vessels to "
    "Northgate."
)
WEATHER = (
    "A late frost damaged blossoms across the southern orchards overnight, growers said, and "
    "forecasters expect another cold night before temperatures recover at the weekend."
)


def member(article_id: str, hours: float, source: str | None, novelty: float) -> StoryMember:
    return StoryMember(
        ArticleId(article_id),
        NOW + timedelta(hours=hours),
        source,
        novelty,
        added=("6", "Northgate") if novelty < 1 else (),
        new_sentences=((0, 10),) if novelty < 1 else (),
    )


def test_members_round_trip_with_sources_and_independent_count(
    store: SqlStore, new_article: NewArticle
) -> None:
    for article_id in ("a", "b"):
        store.upsert_article(new_article(article_id))
    story = Story(
        id=StoryId("s1"),
        article_ids=(ArticleId("a"), ArticleId("b")),
        title="Eastmere dock workers strike",
        first_seen_at=NOW,
        last_seen_at=NOW + timedelta(hours=3),
        members=(member("a", 0, "Wire", 1.0), member("b", 3, "Desk", 0.4)),
        sources=("Wire", "Desk"),
        independent_sources=2,
    )
    store.save_stories([story])
    assert store.get_story("s1") == story
    assert store.list_stories() == [story]


def test_delete_stories_leaves_their_articles_in_no_story(
    store: SqlStore, new_article: NewArticle
) -> None:
    store.upsert_article(new_article("a"))
    store.save_analysis(Analysis(article=new_article("a"), summary="s"))
    only = Story(StoryId("s1"), (ArticleId("a"),), "t", NOW, NOW, (member("a", 0, None, 1.0),))
    store.save_stories([only])
    store.delete_stories([StoryId("s1"), StoryId("never-stored")])
    assert store.list_stories() == []
    analysis = store.get_analysis("a")
    assert analysis is not None and analysis.story_id is None
    store.delete_stories([])  # nothing to do


def test_rows_from_before_revision_0002_read_as_stories_without_members(
    database_url: str, new_article: NewArticle
) -> None:
    config = alembic_config(database_url)
    open_store(database_url, create=False).close()  # makes SQLite's folder
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        with open_store(database_url, create=False) as old:
            old.upsert_article(new_article("a"))
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO stories (id, title, first_seen_at, last_seen_at) "
                    "VALUES ('s-old', 'Old story', :at, :at)"
                ),
                {"at": NOW.replace(tzinfo=None)},
            )
            conn.execute(
                text(
                    "INSERT INTO story_articles (story_id, article_id, position) "
                    "VALUES ('s-old', 'a', 0)"
                )
            )
        with open_store(database_url) as store:  # migrates to the newest revision
            (story,) = store.list_stories()
        assert (story.id, story.article_ids, story.members) == ("s-old", ("a",), ())
        assert (story.sources, story.independent_sources) == ((), 1)
        with engine.begin() as conn:  # and back down
            config.attributes["connection"] = conn
            command.downgrade(config, "0001")
            columns = {c["name"] for c in inspect(conn).get_columns("story_articles")}
            assert columns == {"story_id", "article_id", "position"}
            assert "independent_sources" not in {
                c["name"] for c in inspect(conn).get_columns("stories")
            }
            rows = conn.execute(text("SELECT story_id, article_id FROM story_articles")).all()
            assert [tuple(r) for r in rows] == [("s-old", "a")]
    finally:
        engine.dispose()


def analysed(article: Article) -> Analysis:
    return Analysis(article=article, summary=article.text[:40], importance=0.5)


def test_group_stories_places_new_articles_incrementally(
    store: SqlStore, new_article: NewArticle, tmp_path: Path
) -> None:
    clock = [NOW]
    brief = MarketBrief(Settings(home=tmp_path), store=store, clock=lambda: clock[0])

    def arrive(article_id: str, text_: str, hours: float, source: str) -> None:
        at = NOW + timedelta(hours=hours)
        article = new_article(
            article_id, text=text_, title=None, published_at=at, first_seen_at=at, source=source
        )
        store.save_analysis(analysed(article))

    arrive("a", STRIKE, 0, "Wire")
    arrive("o", WEATHER, 0.5, "Desk")
    first = {s.id: s for s in brief.group_stories()}
    assert len(first) == 2
    deal = next(s for s in first.values() if s.article_ids == ("a",))

    clock[0] = NOW + timedelta(hours=6)
    arrive("u", STRIKE_UPDATE, 5, "Desk")
    second = {s.id: s for s in brief.group_stories()}
    grown = second[deal.id]  # the story kept its id and took the update
    assert grown.article_ids == ("a", "u")
    assert grown.independent_sources == 2
    assert grown.sources == ("Wire", "Desk")
    update = grown.members[1]
    assert 0 < update.novelty < 1 and "Northgate" in update.added
    assert store.get_story(deal.id) == grown

    stored = store.get_analysis("u")
    assert stored is not None and stored.story_id == deal.id
    assert stored.importance != 0.5  # scored again with its story

    # A story whose latest article is older than the window takes nothing new.
    clock[0] = NOW + timedelta(days=10)
    arrive("late", STRIKE, 24 * 10, "Portal")
    third = {s.id: s for s in brief.group_stories()}
    late = store.get_analysis("late")
    assert late is not None and late.story_id not in (None, deal.id)
    assert set(third) == {late.story_id}  # only the live story
    assert store.get_story(deal.id).article_ids == ("a", "u")  # kept as it was


def test_group_stories_is_stable_when_nothing_is_new(
    store: SqlStore, new_article: NewArticle, tmp_path: Path
) -> None:
    brief = MarketBrief(Settings(home=tmp_path), store=store, clock=lambda: NOW)
    article = new_article("a", text=STRIKE, published_at=NOW, first_seen_at=NOW)
    store.save_analysis(analysed(article))
    once = brief.group_stories()
    twice = brief.group_stories()
    assert once == twice
    assert [dataclasses.replace(s, members=()) for s in store.list_stories()] == [
        dataclasses.replace(s, members=()) for s in once
    ]
