"""Sources: adding, finding, polling state, due list, removal."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from marketbrief.errors import InvalidInputError, SourceExistsError, SourceNotFoundError
from marketbrief.model import Article, SourceId, SourceKind, SourceStatus
from marketbrief.store import SqlStore

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
FEED = "https://news.example.com/feed.xml"


def test_add_then_get_by_id_url_and_digits(store: SqlStore) -> None:
    added = store.add_source(FEED, SourceKind.FEED, title="Example News", now=NOW)
    assert added.id > 0
    assert added.status is SourceStatus.NEW
    assert added.added_at == NOW
    assert store.get_source(added.id) == added
    assert store.get_source(FEED) == added
    assert store.get_source(str(added.id)) == added  # "3" typed on a command line
    assert store.list_sources() == [added]


def test_a_duplicate_url_is_source_exists(store: SqlStore) -> None:
    store.add_source(FEED, SourceKind.FEED, now=NOW)
    with pytest.raises(SourceExistsError) as caught:
        store.add_source(FEED, SourceKind.PAGE, now=NOW)
    assert caught.value.key == FEED
    assert isinstance(caught.value, InvalidInputError)
    assert caught.value.__cause__ is not None
    assert len(store.list_sources()) == 1


@pytest.mark.parametrize("key", [999, "999", "https://nowhere.example.com/"])
def test_an_unknown_source_is_not_found(store: SqlStore, key: int | str) -> None:
    with pytest.raises(SourceNotFoundError) as caught:
        store.get_source(key)
    assert caught.value.key == str(key)
    with pytest.raises(SourceNotFoundError):
        store.remove_source(key)


def test_instants_come_back_aware_utc(store: SqlStore) -> None:
    new_york = timezone(timedelta(hours=-4))
    local = datetime(2025, 6, 25, 8, 30, 15, 123456, tzinfo=new_york)
    added = store.add_source(FEED, SourceKind.FEED, now=local)
    got = store.get_source(added.id)
    assert got.added_at == local
    assert got.added_at is not None
    assert got.added_at.tzinfo is UTC
    assert got.added_at == datetime(2025, 6, 25, 12, 30, 15, 123456, tzinfo=UTC)


def test_source_state_round_trips_byte_exact(store: SqlStore) -> None:
    added = store.add_source(FEED, SourceKind.FEED, now=NOW)
    polled = dataclasses.replace(
        added,
        url="https://news.example.com/moved/feed.xml",  # after a 301
        title="Example News — Markets",
        status=SourceStatus.FAILING,
        etag='W/"abc"',
        last_modified="Wed, 25 Jun 2025 11:59:00 GMT",
        last_polled_at=NOW,
        last_ok_at=NOW - timedelta(hours=1),
        next_poll_at=NOW + timedelta(minutes=5),
        error_count=3,
        last_error="HTTP 503: Service Unavailable",
    )
    store.save_source_state(polled)
    assert store.get_source(added.id) == polled
    assert store.get_source("https://news.example.com/moved/feed.xml") == polled
    with pytest.raises(SourceNotFoundError):
        store.get_source(FEED)


def test_moving_onto_another_sources_url_is_source_exists(store: SqlStore) -> None:
    first = store.add_source(FEED, SourceKind.FEED, now=NOW)
    second = store.add_source("https://other.example.com/rss", SourceKind.FEED, now=NOW)
    with pytest.raises(SourceExistsError):
        store.save_source_state(dataclasses.replace(second, url=first.url))
    assert store.get_source(second.id) == second


def test_saving_state_of_an_unknown_source_is_not_found(store: SqlStore) -> None:
    added = store.add_source(FEED, SourceKind.FEED, now=NOW)
    with pytest.raises(SourceNotFoundError):
        store.save_source_state(dataclasses.replace(added, id=SourceId(added.id + 100)))


def test_due_sources(store: SqlStore) -> None:
    never = store.add_source("https://a.example.com/feed", SourceKind.FEED, now=NOW)
    due = store.add_source("https://b.example.com/feed", SourceKind.FEED, now=NOW)
    exactly = store.add_source("https://c.example.com/feed", SourceKind.FEED, now=NOW)
    later = store.add_source("https://d.example.com/feed", SourceKind.FEED, now=NOW)
    gone = store.add_source("https://e.example.com/feed", SourceKind.FEED, now=NOW)
    store.save_source_state(dataclasses.replace(due, next_poll_at=NOW - timedelta(hours=2)))
    store.save_source_state(dataclasses.replace(exactly, next_poll_at=NOW))
    store.save_source_state(dataclasses.replace(later, next_poll_at=NOW + timedelta(seconds=1)))
    store.save_source_state(dataclasses.replace(gone, status=SourceStatus.GONE))
    assert [s.id for s in store.due_sources(NOW)] == [never.id, due.id, exactly.id]


def test_remove_source_keeps_its_articles(
    store: SqlStore, new_article: Callable[..., Article]
) -> None:
    source = store.add_source(FEED, SourceKind.FEED, now=NOW)
    store.upsert_article(new_article("a1", source_id=source.id, source="Example News"))
    removed = store.remove_source(FEED)
    assert removed == source
    assert store.list_sources() == []
    kept = store.get_article("a1")
    assert kept.source_id is None
    assert kept.source == "Example News"
    # The removed source's id is not handed out again.
    assert store.add_source(FEED, SourceKind.FEED, now=NOW).id != source.id


def test_an_article_of_an_unknown_source_is_invalid_input(
    store: SqlStore, new_article: Callable[..., Article]
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        store.upsert_article(new_article("a1", source_id=SourceId(424242)))
    assert caught.value.key == "a1"
    assert store.count_articles() == 0
