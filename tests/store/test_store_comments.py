"""Comments and bans in the store: threads, moderation, the author's window, rate-limit counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from marketbrief.errors import InvalidInputError, NotFoundError
from marketbrief.model import Article, Comment, CommentStatus, Watchlist
from marketbrief.store import SqlStore

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
VISIBLE = CommentStatus.VISIBLE


@pytest.fixture
def article(store: SqlStore, new_article: Callable[..., Article]) -> str:
    store.upsert_article(new_article("a1"))
    store.upsert_article(new_article("a2"))
    return "a1"


def _add(store: SqlStore, text: str, **fields: Any) -> Comment:
    values: dict[str, Any] = {
        "author_name": "Ada",
        "body_markdown": text,
        "body_html": f"<p>{text}</p>",
        "status": VISIBLE,
        "now": NOW,
    }
    values.update(fields)
    return store.add_comment(values.pop("article_id", "a1"), **values)


def _texts(thread: list[Comment]) -> list[Any]:
    return [(c.body_markdown, _texts(list(c.replies))) for c in thread]


def test_a_comment_is_stored_and_read_back(store: SqlStore, article: str) -> None:
    added = _add(store, "first", ip_hash="h1")
    assert added.article_id == article
    assert added.status is VISIBLE
    assert added.created_at == NOW
    assert added.edited_at is None
    assert added.ip_hash == "h1"
    assert store.get_comment(added.id) == added
    assert store.list_comments(article) == [added]
    assert store.count_comments(article) == 1


def test_threads_nest_replies_oldest_first(store: SqlStore, article: str) -> None:
    a = _add(store, "a")
    b = _add(store, "b")
    a1 = _add(store, "a1", parent_id=a.id)
    _add(store, "a1x", parent_id=a1.id)
    _add(store, "a2", parent_id=a.id)
    _add(store, "b1", parent_id=b.id)
    assert _texts(store.list_comments(article)) == [
        ("a", [("a1", [("a1x", [])]), ("a2", [])]),
        ("b", [("b1", [])]),
    ]
    assert store.list_comments("a2") == []


def test_a_deep_thread_needs_no_recursion(store: SqlStore, article: str) -> None:
    parent = None
    for depth in range(1100):  # deeper than Python's default recursion limit
        parent = _add(store, str(depth), parent_id=parent).id
    thread = store.list_comments(article)
    depth = 0
    while thread[0].replies:
        thread, depth = list(thread[0].replies), depth + 1
    assert depth == 1099


def test_held_comments_are_left_out_unless_asked(store: SqlStore, article: str) -> None:
    _add(store, "shown")
    held = _add(store, "held", status=CommentStatus.HELD)
    assert _texts(store.list_comments(article)) == [("shown", [])]
    assert _texts(store.list_comments(article, include_held=True)) == [("shown", []), ("held", [])]
    assert store.list_comments_by_status(CommentStatus.HELD) == [held]
    assert store.count_comments(article) == 1


def test_a_hidden_comment_with_answers_stays_as_a_blank_placeholder(
    store: SqlStore, article: str
) -> None:
    top = _add(store, "rude", ip_hash="h")
    _add(store, "reply", parent_id=top.id)
    lone = _add(store, "alone")
    store.moderate_comment(top.id, "hide")
    store.moderate_comment(lone.id, "hide")
    [placeholder] = store.list_comments(article)
    assert placeholder.status is CommentStatus.HIDDEN
    assert (placeholder.author_name, placeholder.body_markdown, placeholder.body_html) == ("",) * 3
    assert placeholder.ip_hash is None
    assert [r.body_markdown for r in placeholder.replies] == ["reply"]


def test_a_reply_must_answer_a_comment_on_the_same_article(store: SqlStore, article: str) -> None:
    other = _add(store, "elsewhere", article_id="a2")
    with pytest.raises(InvalidInputError):
        _add(store, "reply", parent_id=other.id)
    with pytest.raises(NotFoundError):
        _add(store, "reply", parent_id=999)
    with pytest.raises(NotFoundError):
        _add(store, "x", article_id="nope")
    with pytest.raises(NotFoundError):
        _add(store, "x", reader_id=12345)
    with pytest.raises(NotFoundError):
        store.get_comment(999)


def test_the_author_edits_and_deletes_within_the_window(store: SqlStore, article: str) -> None:
    reader = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    mine = _add(store, "mine", reader_id=reader.id)
    later = NOW + timedelta(minutes=5)
    edited = store.edit_comment(
        mine.id,
        reader_id=reader.id,
        body_markdown="new",
        body_html="<p>new</p>",
        now=later,
        window=WINDOW,
    )
    assert (edited.body_markdown, edited.body_html, edited.edited_at) == (
        "new",
        "<p>new</p>",
        later,
    )
    deleted = store.delete_comment(mine.id, reader_id=reader.id, now=later, window=WINDOW)
    assert deleted.status is CommentStatus.DELETED
    assert (deleted.body_markdown, deleted.body_html) == ("", "")
    assert store.list_comments(article) == []
    with pytest.raises(InvalidInputError, match="taken down"):
        store.edit_comment(
            mine.id,
            reader_id=reader.id,
            body_markdown="x",
            body_html="x",
            now=later,
            window=WINDOW,
        )


def test_the_window_is_enforced(store: SqlStore, article: str) -> None:
    reader = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    mine = _add(store, "mine", reader_id=reader.id)
    late = NOW + WINDOW
    with pytest.raises(InvalidInputError, match="passed"):
        store.edit_comment(
            mine.id, reader_id=reader.id, body_markdown="x", body_html="x", now=late, window=WINDOW
        )
    with pytest.raises(InvalidInputError, match="passed"):
        store.delete_comment(mine.id, reader_id=reader.id, now=late, window=WINDOW)
    assert store.get_comment(mine.id) == mine


def test_no_one_changes_another_readers_comment(store: SqlStore, article: str) -> None:
    ada = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    bob = store.add_reader("bob@example.com", "Bob", Watchlist(), now=NOW)
    hers = _add(store, "hers", reader_id=ada.id)
    anonymous = _add(store, "anon")
    for target in (hers, anonymous):
        with pytest.raises(NotFoundError):
            store.edit_comment(
                target.id,
                reader_id=bob.id,
                body_markdown="x",
                body_html="x",
                now=NOW,
                window=WINDOW,
            )
        with pytest.raises(NotFoundError):
            store.delete_comment(target.id, reader_id=bob.id, now=NOW, window=WINDOW)
        assert store.get_comment(target.id) == target


def test_moderation_moves(store: SqlStore, article: str) -> None:
    held = _add(store, "held", status=CommentStatus.HELD)
    assert store.moderate_comment(held.id, "approve").status is VISIBLE
    assert store.moderate_comment(held.id, "hide").status is CommentStatus.HIDDEN
    with pytest.raises(InvalidInputError):
        store.moderate_comment(held.id, "approve")
    assert store.moderate_comment(held.id, "restore").status is VISIBLE
    with pytest.raises(InvalidInputError):
        store.moderate_comment(held.id, "restore")
    with pytest.raises(InvalidInputError):
        store.moderate_comment(held.id, "drop table")
    with pytest.raises(NotFoundError):
        store.moderate_comment(999, "hide")


def test_a_readers_comments_outlive_the_reader(store: SqlStore, article: str) -> None:
    reader = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    mine = _add(store, "mine", reader_id=reader.id)
    store.remove_reader(reader.id)
    assert store.get_comment(mine.id).reader_id is None


def test_known_authors_and_recent_counts(store: SqlStore, article: str) -> None:
    reader = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    assert not store.has_shown_comment(reader_id=reader.id, ip_hash=None)
    held = _add(store, "1", reader_id=reader.id, status=CommentStatus.HELD, ip_hash="h")
    assert not store.has_shown_comment(reader_id=reader.id, ip_hash=None)
    store.moderate_comment(held.id, "approve")
    assert store.has_shown_comment(reader_id=reader.id, ip_hash=None)
    # a reader's comment does not make its address a known anonymous author
    assert not store.has_shown_comment(reader_id=None, ip_hash="h")
    _add(store, "anon", ip_hash="h")
    assert store.has_shown_comment(reader_id=None, ip_hash="h")
    assert not store.has_shown_comment(reader_id=None, ip_hash=None)
    _add(store, "2", reader_id=reader.id, now=NOW + timedelta(minutes=1))
    since = NOW - timedelta(seconds=1)
    assert store.recent_comment_times(reader_id=reader.id, since=since) == [
        NOW,
        NOW + timedelta(minutes=1),
    ]
    assert len(store.recent_comment_times(ip_hash="h", since=since)) == 2
    assert store.recent_comment_times(ip_hash="h", since=NOW) == []
    with pytest.raises(InvalidInputError):
        store.recent_comment_times(since=NOW)


def test_bans_hold_until_they_end(store: SqlStore, article: str) -> None:
    reader = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    assert not store.is_banned(reader_id=reader.id, ip_hash="h", now=NOW)
    by_reader = store.ban(reader_id=reader.id, reason="spam", now=NOW)
    by_address = store.ban(ip_hash="h", reason="abuse", now=NOW, until=NOW + timedelta(days=1))
    assert store.is_banned(reader_id=reader.id, ip_hash=None, now=NOW)
    assert store.is_banned(reader_id=None, ip_hash="h", now=NOW)
    assert not store.is_banned(reader_id=None, ip_hash="h", now=NOW + timedelta(days=1))
    assert not store.is_banned(reader_id=None, ip_hash=None, now=NOW)
    assert store.list_bans(now=NOW) == [by_address, by_reader]
    assert store.list_bans(now=NOW + timedelta(days=2)) == [by_reader]
    assert store.unban(by_reader.id) == by_reader
    assert not store.is_banned(reader_id=reader.id, ip_hash=None, now=NOW)
    with pytest.raises(NotFoundError):
        store.unban(by_reader.id)
    with pytest.raises(InvalidInputError):
        store.ban(reason="nobody", now=NOW)
    with pytest.raises(NotFoundError):
        store.ban(reader_id=12345, reason="gone", now=NOW)
