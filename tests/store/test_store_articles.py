"""Articles: idempotent upsert, instants, compressed raw HTML, lists and full-text search."""

from __future__ import annotations

import lzma
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from marketbrief.errors import InvalidInputError
from marketbrief.model import Article
from marketbrief.store import SqlStore
from marketbrief.store.sql import search_terms

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
NewArticle = Callable[..., Article]


def test_upsert_twice_stores_once(store: SqlStore, new_article: NewArticle) -> None:
    article = new_article("a1", first_seen_at=NOW)
    stored, is_new = store.upsert_article(article)
    assert is_new
    assert stored == article
    again, is_new = store.upsert_article(article)
    assert not is_new
    assert again == article
    assert store.count_articles() == 1
    assert store.get_article("a1") == article


def test_the_same_url_under_another_id_is_the_same_article(
    store: SqlStore, new_article: NewArticle
) -> None:
    first, _ = store.upsert_article(new_article("a1", url="https://x.example.com/story"))
    second, is_new = store.upsert_article(new_article("b2", url="https://x.example.com/story"))
    assert not is_new
    assert second.id == "a1"
    assert second == first
    assert store.count_articles() == 1
    assert store.article_id_for_url("https://x.example.com/story") == "a1"
    assert store.article_id_for_url("https://x.example.com/other") is None


def test_later_upserts_fill_gaps_and_keep_first_seen(
    store: SqlStore, new_article: NewArticle
) -> None:
    sparse = new_article(
        "a1", url=None, title=None, language=None, published_at=None, first_seen_at=NOW
    )
    store.upsert_article(sparse)
    richer = new_article(
        "a1",
        title="Better title",
        text="Different text",
        published_at=NOW - timedelta(days=1),
        first_seen_at=NOW + timedelta(hours=5),
        authors=("Jane Doe",),
        raw_html=b"<p>page</p>",
    )
    merged, is_new = store.upsert_article(richer)
    assert not is_new
    assert merged.first_seen_at == NOW  # the first one stays
    assert merged.title == "Better title"
    assert merged.url == richer.url
    assert merged.language == "en"
    assert merged.published_at == NOW - timedelta(days=1)
    assert merged.authors == ("Jane Doe",)
    assert merged.raw_html == b"<p>page</p>"
    assert merged.text == sparse.text  # present already: kept
    assert store.get_article("a1") == merged
    # A gap filled in is found by its url and listed by its new date.
    assert store.article_id_for_url("https://news.example.com/a1") == "a1"
    assert store.list_articles(since=NOW - timedelta(days=2))[0].id == "a1"


def test_instants_round_trip_as_aware_utc(store: SqlStore, new_article: NewArticle) -> None:
    tokyo = timezone(timedelta(hours=9))
    published = datetime(2025, 6, 25, 21, 15, 30, 654321, tzinfo=tokyo)
    article = new_article(
        "a1",
        published_at=published,
        page_published_at=published - timedelta(minutes=1),
        feed_published_at=published + timedelta(minutes=1),
        first_seen_at=published + timedelta(hours=1),
    )
    stored, _ = store.upsert_article(article)
    for got in (stored, store.get_article("a1"), store.list_articles()[0]):
        for at in (
            got.published_at,
            got.page_published_at,
            got.feed_published_at,
            got.first_seen_at,
        ):
            assert at is not None
            assert at.tzinfo is UTC
        assert got.published_at == datetime(2025, 6, 25, 12, 15, 30, 654321, tzinfo=UTC)
        assert got.first_seen_at == published + timedelta(hours=1)


def test_raw_html_is_stored_compressed_and_returned_whole(
    store: SqlStore, new_article: NewArticle, store_url: str
) -> None:
    page = b"<html><body>" + b"<p>Markets rallied on Tuesday.</p>" * 500 + b"</body></html>"
    store.upsert_article(new_article("a1", raw_html=page))
    assert store.get_article("a1").raw_html == page
    assert store.list_articles()[0].raw_html is None  # lists leave it out
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT raw_html FROM articles WHERE id = 'a1'")).scalar()
    finally:
        engine.dispose()
    assert isinstance(kept, bytes)
    assert len(kept) < len(page) // 10
    assert lzma.decompress(kept) == page


def test_an_unknown_article_is_invalid_input(store: SqlStore) -> None:
    with pytest.raises(InvalidInputError) as caught:
        store.get_article("nope")
    assert caught.value.key == "nope"


def test_list_articles_newest_first_by_published_else_first_seen(
    store: SqlStore, new_article: NewArticle
) -> None:
    store.upsert_article(new_article("old", published_at=NOW - timedelta(days=3)))
    store.upsert_article(new_article("undated", published_at=None, first_seen_at=NOW))
    store.upsert_article(new_article("mid", published_at=NOW - timedelta(days=1)))
    store.upsert_article(new_article("nothing", published_at=None, first_seen_at=None))
    assert [a.id for a in store.list_articles()] == ["undated", "mid", "old", "nothing"]
    assert [a.id for a in store.list_articles(limit=2)] == ["undated", "mid"]
    since = NOW - timedelta(days=1)
    assert [a.id for a in store.list_articles(since=since)] == ["undated", "mid"]


# ── full-text search ────────────────────────────────────────────────────────────────────────


@pytest.fixture
def searchable(store: SqlStore, new_article: NewArticle) -> SqlStore:
    store.upsert_article(
        new_article(
            "fed",
            title="Fed holds rates steady",
            text="The Federal Reserve kept its benchmark interest rate unchanged on Wednesday.",
        )
    )
    store.upsert_article(
        new_article(
            "patriot",
            title="Allies ask for more air defense",
            text="Ukraine asked for more Patriot interceptors built by RTX and Lockheed Martin.",
        )
    )
    store.upsert_article(
        new_article(
            "oil",
            title="Oil prices climb",
            text="Crude rose as traders weighed supply risks in the Middle East.",
        )
    )
    return store


def test_search_finds_words_in_title_and_text(searchable: SqlStore) -> None:
    assert [a.id for a, _ in searchable.search_articles("steady")] == ["fed"]  # title
    assert [a.id for a, _ in searchable.search_articles("interceptors")] == ["patriot"]  # text
    assert [a.id for a, _ in searchable.search_articles("PATRIOT rtx")] == ["patriot"]
    assert [a.id for a, _ in searchable.search_articles("patriot oil")] == []  # every word


def test_search_stems_and_snippets(searchable: SqlStore) -> None:
    found = searchable.search_articles("rates")  # "rate" in the text, "rates" in the title
    assert [a.id for a, _ in found] == ["fed"]
    article, snippet = found[0]
    assert article.raw_html is None
    assert "interest rate" in snippet
    assert "<" not in snippet  # plain text, no highlight markup


def test_search_follows_updates(searchable: SqlStore, new_article: NewArticle) -> None:
    searchable.upsert_article(new_article("late", title=None, text="Nothing to see."))
    assert searchable.search_articles("tariffs") == []
    searchable.upsert_article(new_article("late", title="Tariffs return"))  # title filled in
    assert [a.id for a, _ in searchable.search_articles("tariffs")] == ["late"]


HOSTILE = [
    "",
    "   ",
    '"',
    '"unbalanced',
    "AND",
    "OR OR OR",
    "NOT",
    "fed AND",
    "(fed",
    "fed)",
    "*",
    "fed*",
    "^fed",
    "title:fed",
    "fed NEAR(rates, 2)",
    "-fed",
    "fed & | ! <->",
    "'; DROP TABLE articles; --",
    "\\",
    "\x00",
    "fed\x00rates",
    "😀",
    "ümlaut",
    "{fed}",
    "fed:*",
    "!!!",
    "the",
]


def test_hostile_queries_do_not_crash(searchable: SqlStore) -> None:
    for query in HOSTILE:
        results = searchable.search_articles(query)
        assert all(isinstance(snippet, str) for _, snippet in results), query
        words = {w.lower() for w in search_terms(query)}
        if words and words <= {"fed", "rates"}:
            assert "fed" in [a.id for a, _ in results], query
    assert searchable.count_articles() == 3


def test_a_query_without_words_finds_nothing(searchable: SqlStore) -> None:
    assert searchable.search_articles("!? -- ()") == []
    assert searchable.search_articles("") == []
    assert searchable.search_articles("fed", limit=0) == []


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.text(max_size=40))
def test_any_text_is_a_valid_query(searchable: SqlStore, query: str) -> None:
    for _, snippet in searchable.search_articles(query):
        assert isinstance(snippet, str)


def test_search_terms_keep_only_words() -> None:
    assert search_terms('"Fed" AND (rates*) OR -cut: NEAR') == ["Fed", "rates", "cut", "NEAR"]
    assert search_terms("the of and") == []
    assert len(search_terms("word " * 100)) == 16
