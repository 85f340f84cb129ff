"""A reader's comments in their export and their erasure, on SQLite and PostgreSQL: the export
lists them all (their own data), the erasure takes what they wrote and who they are out of every
thread without breaking anyone else's."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from marketbrief.errors import NotFoundError
from marketbrief.model import Article, Comment, CommentStatus, Watchlist
from marketbrief.store import SqlStore

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def articles(store: SqlStore, new_article: Callable[..., Article]) -> None:
    store.upsert_article(new_article("a1"))
    store.upsert_article(new_article("a2"))


def _add(store: SqlStore, text: str, **fields: Any) -> Comment:
    values: dict[str, Any] = {
        "author_name": "Someone",
        "body_markdown": text,
        "body_html": f"<p>{text}</p>",
        "status": CommentStatus.VISIBLE,
        "now": NOW,
    }
    values.update(fields)
    return store.add_comment(values.pop("article_id", "a1"), **values)


def _shape(thread: list[Comment]) -> list[Any]:
    return [(c.body_markdown or f"[{c.status.value}]", _shape(list(c.replies))) for c in thread]


def test_the_export_lists_every_comment_of_the_reader_and_their_bans(
    store: SqlStore, articles: None
) -> None:
    ada = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    bob = store.add_reader("bob@example.com", "Bob", Watchlist(), now=NOW)
    mine = {
        _add(store, "shown", reader_id=ada.id, author_name="Ada", ip_hash="h-ada").id,
        _add(store, "held", reader_id=ada.id, status=CommentStatus.HELD, article_id="a2").id,
    }
    hidden = _add(store, "hidden", reader_id=ada.id)
    store.moderate_comment(hidden.id, "hide")
    _add(store, "bob's", reader_id=bob.id)
    _add(store, "anonymous, same name", author_name="Ada", ip_hash="h-ada")
    store.ban(reader_id=ada.id, reason="spam", now=NOW)
    store.ban(reader_id=bob.id, reason="other", now=NOW)

    data = store.reader_data(ada.id)
    assert {c["id"] for c in data["comments"]} == mine | {hidden.id}
    statuses = {c["body_markdown"]: c["status"] for c in data["comments"]}
    assert statuses == {"shown": "visible", "held": "held", "hidden": "hidden"}
    assert data["comments"][0]["ip_hash"] == "h-ada"  # theirs: the address it came from
    assert [b["reason"] for b in data["bans"]] == ["spam"]
    assert "bob" not in json.dumps(data, default=str).lower()


def test_erasure_takes_the_reader_out_of_every_thread(store: SqlStore, articles: None) -> None:
    ada = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    bob = store.add_reader("bob@example.com", "Bob", Watchlist(), now=NOW)

    def by_ada(text: str, **fields: Any) -> Comment:
        return _add(store, text, reader_id=ada.id, author_name="Ada", ip_hash="h-ada", **fields)

    def by_bob(text: str, **fields: Any) -> Comment:
        return _add(store, text, reader_id=bob.id, author_name="Bob", ip_hash="h-bob", **fields)

    answered = by_ada("ada answered")
    by_bob("bob answers ada", parent_id=answered.id)
    by_ada("ada alone")
    own = by_ada("ada answered by herself only")
    by_ada("ada to herself", parent_id=own.id)
    bobs = by_bob("bob first")
    by_ada("ada answers bob", parent_id=bobs.id)
    top = by_ada("ada top")
    middle = by_ada("ada middle", parent_id=top.id)
    by_bob("bob at the bottom", parent_id=middle.id)
    taken = by_ada("ada hidden, answered")
    by_bob("bob answers hidden", parent_id=taken.id)
    store.moderate_comment(taken.id, "hide")
    by_ada("ada held", status=CommentStatus.HELD, article_id="a2")
    anonymous = _add(store, "anonymous Ada", author_name="Ada", ip_hash="h-ada")
    store.ban(reader_id=ada.id, reason="spam", now=NOW)
    by_address = store.ban(ip_hash="h-ada", reason="abuse", now=NOW)

    erased = store.erase_address("ADA@example.com")
    assert erased is not None and erased.id == ada.id

    assert _shape(store.list_comments("a1", include_held=True)) == [
        ("[deleted]", [("bob answers ada", [])]),
        ("bob first", []),
        ("[deleted]", [("[deleted]", [("bob at the bottom", [])])]),
        ("[deleted]", [("bob answers hidden", [])]),
        ("anonymous Ada", []),
    ]
    assert store.list_comments("a2", include_held=True) == []
    for placeholder in (answered, top, middle, taken):
        left = store.get_comment(placeholder.id)
        assert left.status is CommentStatus.DELETED
        assert (left.author_name, left.body_markdown, left.body_html) == ("", "", "")
        assert (left.reader_id, left.ip_hash, left.edited_at) == (None, None, None)
        assert left.created_at == NOW and left.parent_id == placeholder.parent_id
    for gone in (own.id, own.id + 1):
        with pytest.raises(NotFoundError):
            store.get_comment(gone)
    # what others wrote, an anonymous visitor of the same name, and a ban of an address stay
    assert store.get_comment(anonymous.id) == anonymous
    assert [c["body_markdown"] for c in store.reader_data(bob.id)["comments"]] == [
        "bob answers ada",
        "bob first",
        "bob at the bottom",
        "bob answers hidden",
    ]
    assert store.recent_comment_times(ip_hash="h-ada", since=datetime.min) == [NOW]
    assert store.list_bans(now=NOW) == [by_address]
    assert store.list_comments_by_status(CommentStatus.HELD) == []
    assert store.list_comments_by_status(CommentStatus.HIDDEN) == []


def test_erasing_an_address_without_a_reader_leaves_comments_alone(
    store: SqlStore, articles: None
) -> None:
    kept = _add(store, "anonymous", author_name="ada@example.com")
    assert store.erase_address("ada@example.com") is None
    assert store.get_comment(kept.id) == kept


def test_listing_comments_can_require_the_article(store: SqlStore, articles: None) -> None:
    assert store.list_comments("a1", require_article=True) == []
    assert store.list_comments("nope") == []
    with pytest.raises(NotFoundError):
        store.list_comments("nope", require_article=True)
