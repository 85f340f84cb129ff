"""Analyses read back by their key dates (the market calendar's query), on every backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from marketbrief.model import Analysis, Article, KeyDate, Span
from marketbrief.store import SqlStore

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
NewArticle = Callable[..., Article]


def dated(article: Article, *days: date | None) -> Analysis:
    """An analysis whose key dates start on ``days`` (None: a duration, no range)."""
    return Analysis(
        article=article,
        summary=article.id,
        key_dates=tuple(
            KeyDate(
                span=Span(0, 4, "Body"),
                type="DATE" if day else "DURATION",
                value=day.isoformat() if day else "P1W",
                range=(day, day) if day else None,
                event=None,
                relation="future",
            )
            for day in days
        ),
    )


def test_analyses_with_a_key_date_in_the_window(store: SqlStore, new_article: NewArticle) -> None:
    first, last = date(2025, 7, 1), date(2025, 7, 31)
    cases = {
        "inside": (date(2025, 7, 15),),
        "first-day": (date(2025, 7, 1),),
        "last-day": (date(2025, 7, 31),),
        "two-inside": (date(2025, 7, 2), date(2025, 7, 3)),  # listed once
        "one-of-two": (date(2025, 6, 1), date(2025, 7, 20)),
        "before": (date(2025, 6, 30),),
        "after": (date(2025, 8, 1),),
        "duration": (None,),
        "none": (),
    }
    for hours, (article_id, days) in enumerate(cases.items()):
        article = new_article(article_id, published_at=NOW - timedelta(hours=hours))
        store.save_analysis(dated(article, *days))
    found = store.list_analyses_with_key_dates(first, last)
    # Newest first, each analysis once, whole (every key date, not only those in the window).
    assert [a.article.id for a in found] == [
        "inside",
        "first-day",
        "last-day",
        "two-inside",
        "one-of-two",
    ]
    assert found[4].key_dates == dated(found[4].article, *cases["one-of-two"]).key_dates


def test_until_leaves_out_later_articles(store: SqlStore, new_article: NewArticle) -> None:
    day = date(2025, 7, 15)
    store.save_analysis(dated(new_article("early", published_at=NOW - timedelta(days=2)), day))
    store.save_analysis(dated(new_article("late", published_at=NOW), day))
    store.save_analysis(
        dated(new_article("seen", published_at=None, first_seen_at=NOW - timedelta(days=1)), day)
    )
    window = (date(2025, 7, 1), date(2025, 7, 31))
    ids = [a.article.id for a in store.list_analyses_with_key_dates(*window)]
    assert ids == ["late", "seen", "early"]
    until = NOW - timedelta(hours=1)
    ids = [a.article.id for a in store.list_analyses_with_key_dates(*window, until=until)]
    assert ids == ["seen", "early"]  # first seen counts when the publication is unknown
    assert store.list_analyses_with_key_dates(*window, until=NOW - timedelta(days=3)) == []
