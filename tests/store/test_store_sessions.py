"""Sessions in the store, on SQLite and PostgreSQL: begun, read, ended one by one or all of a
reader's, gone with the reader, never kept in clear."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from marketbrief.errors import NotFoundError, SpentLinkError
from marketbrief.model import Reader, Watchlist
from marketbrief.store import SqlStore

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
AGE = timedelta(days=30)


def _reader(store: SqlStore, email: str) -> Reader:
    return store.add_reader(email, "Ada", Watchlist(), now=NOW)


def test_a_session_names_its_reader_while_it_lasts(store: SqlStore, store_url: str) -> None:
    ada = _reader(store, "ada@example.com")
    secret = store.start_session(ada.id, now=NOW, max_age=AGE)
    assert len(secret) >= 40
    assert store.session_reader(secret, now=NOW, max_age=AGE) == ada.id
    last = NOW + AGE - timedelta(seconds=1)
    assert store.session_reader(secret, now=last, max_age=AGE) == ada.id
    assert store.session_reader(secret, now=NOW + AGE, max_age=AGE) is None
    assert store.session_reader(secret + "x", now=NOW, max_age=AGE) is None
    assert store.session_reader("", now=NOW, max_age=AGE) is None
    # only a hash is kept: a copy of the database carries no cookie's secret
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, reader_id FROM sessions")).all()
    finally:
        engine.dispose()
    assert [r.reader_id for r in rows] == [ada.id]
    assert secret not in rows[0].id and len(rows[0].id) == 64
    exported = store.reader_data(ada.id)["sessions"]
    assert exported == [{"created_at": NOW, "revoked_at": None}]
    with pytest.raises(NotFoundError):
        store.start_session(ada.id + 100, now=NOW, max_age=AGE)


def test_ending_one_session_leaves_the_others(store: SqlStore) -> None:
    ada = _reader(store, "ada@example.com")
    bob = _reader(store, "bob@example.com")
    phone = store.start_session(ada.id, now=NOW, max_age=AGE)
    laptop = store.start_session(ada.id, now=NOW, max_age=AGE)
    bobs = store.start_session(bob.id, now=NOW, max_age=AGE)
    assert not store.has_sessions(_reader(store, "cy@example.com").id)
    store.end_session(phone, now=NOW)
    store.end_session(phone, now=NOW + timedelta(hours=1))  # again: nothing more
    store.end_session("never given", now=NOW)
    assert store.session_reader(phone, now=NOW, max_age=AGE) is None
    assert store.session_reader(laptop, now=NOW, max_age=AGE) == ada.id
    assert store.session_reader(bobs, now=NOW, max_age=AGE) == bob.id
    revoked = [s["revoked_at"] for s in store.reader_data(ada.id)["sessions"]]
    assert sorted(revoked, key=str) == [NOW, None]


def test_ending_every_session_of_a_reader(store: SqlStore) -> None:
    ada = _reader(store, "ada@example.com")
    bob = _reader(store, "bob@example.com")
    mine = [store.start_session(ada.id, now=NOW, max_age=AGE) for _ in range(3)]
    store.end_session(mine[0], now=NOW)
    bobs = store.start_session(bob.id, now=NOW, max_age=AGE)
    assert store.end_reader_sessions(ada.id, now=NOW) == 2
    assert all(store.session_reader(s, now=NOW, max_age=AGE) is None for s in mine)
    assert store.session_reader(bobs, now=NOW, max_age=AGE) == bob.id
    cy = _reader(store, "cy@example.com")
    assert store.end_reader_sessions(cy.id, now=NOW) == 0
    with pytest.raises(NotFoundError):
        store.end_reader_sessions(cy.id + 100, now=NOW)
    # and a session begun afterwards works
    again = store.start_session(ada.id, now=NOW + timedelta(seconds=1), max_age=AGE)
    assert store.session_reader(again, now=NOW + timedelta(seconds=1), max_age=AGE) == ada.id


def test_sessions_go_with_their_reader(store: SqlStore) -> None:
    ada = _reader(store, "ada@example.com")
    bob = _reader(store, "bob@example.com")
    hers = store.start_session(ada.id, now=NOW, max_age=AGE)
    his = store.start_session(bob.id, now=NOW, max_age=AGE)
    store.erase_address("ada@example.com")
    assert store.session_reader(hers, now=NOW, max_age=AGE) is None
    store.remove_reader(bob.id)
    assert store.session_reader(his, now=NOW, max_age=AGE) is None
    # a new reader of the same address is no heir to the old sessions
    again = _reader(store, "ada@example.com")
    assert not store.has_sessions(again.id)
    assert store.session_reader(hers, now=NOW, max_age=AGE) is None


def test_sessions_past_their_age_are_cleared(store: SqlStore) -> None:
    ada = _reader(store, "ada@example.com")
    bob = _reader(store, "bob@example.com")
    store.start_session(ada.id, now=NOW, max_age=AGE)
    store.end_reader_sessions(ada.id, now=NOW + timedelta(days=1))
    assert store.has_sessions(ada.id)
    store.start_session(bob.id, now=NOW + timedelta(days=1) + AGE, max_age=AGE)
    assert not store.has_sessions(ada.id)
    assert len(store.reader_data(bob.id)["sessions"]) == 1


def test_a_one_time_link_begins_one_session(store: SqlStore) -> None:
    ada = _reader(store, "ada@example.com")
    made = NOW - timedelta(minutes=5)
    first = store.start_session(ada.id, now=NOW, max_age=AGE, once_since=made)
    assert store.session_reader(first, now=NOW, max_age=AGE) == ada.id
    with pytest.raises(SpentLinkError):
        store.start_session(ada.id, now=NOW + timedelta(minutes=1), max_age=AGE, once_since=made)
    # spent even when the session it began has ended: the link is used, not the session
    store.end_session(first, now=NOW + timedelta(minutes=2))
    with pytest.raises(SpentLinkError):
        store.start_session(ada.id, now=NOW + timedelta(minutes=3), max_age=AGE, once_since=made)
    # a link made after the last sign-in is fresh; another reader's sign-ins are not ours
    later = NOW + timedelta(minutes=4)
    store.start_session(ada.id, now=later, max_age=AGE, once_since=later)
    bob = _reader(store, "bob@example.com")
    store.start_session(bob.id, now=later, max_age=AGE, once_since=made)
    with pytest.raises(NotFoundError):
        store.start_session(bob.id + 100, now=later, max_age=AGE, once_since=made)


def test_one_link_used_at_once_by_two_browsers_begins_one_session(store: SqlStore) -> None:
    ada = _reader(store, "ada@example.com")
    made = NOW - timedelta(minutes=1)
    barrier = threading.Barrier(4)

    def use_link(_: int) -> str:
        barrier.wait()
        try:
            return store.start_session(ada.id, now=NOW, max_age=AGE, once_since=made)
        except SpentLinkError:
            return ""

    with ThreadPoolExecutor(max_workers=4) as pool:
        secrets = list(pool.map(use_link, range(4)))
    assert sum(1 for s in secrets if s) == 1
    assert len(store.reader_data(ada.id)["sessions"]) == 1
