"""Readers: unique lower-case email, lookups, removal, last briefing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from marketbrief.errors import InvalidInputError
from marketbrief.model import ReaderId, Watchlist
from marketbrief.store import SqlStore

NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
WATCHLIST = Watchlist(
    tickers=("RTX", "LMT"), sectors=("Aerospace & Defense",), event_types=("contract_award",)
)


def test_add_and_find_a_reader(store: SqlStore) -> None:
    added = store.add_reader(" Ada@Example.COM ", "Ada", WATCHLIST, cadence="weekly", now=NOW)
    assert added.email == "ada@example.com"
    assert added.watchlist == WATCHLIST
    assert added.cadence == "weekly"
    assert added.last_briefed_at is None
    assert store.get_reader(added.id) == added
    assert store.get_reader("ADA@example.com") == added
    assert store.get_reader(str(added.id)) == added
    assert store.list_readers() == [added]


def test_an_email_is_taken_once_whatever_its_case(store: SqlStore) -> None:
    store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    with pytest.raises(InvalidInputError) as caught:
        store.add_reader("ADA@EXAMPLE.com", "Other Ada", Watchlist(), now=NOW)
    assert caught.value.key == "ada@example.com"
    assert caught.value.__cause__ is not None
    assert len(store.list_readers()) == 1


@pytest.mark.parametrize(
    ("email", "cadence"), [("not-an-address", "daily"), ("@", "daily"), ("a@b.c", "hourly")]
)
def test_bad_reader_input_is_refused(store: SqlStore, email: str, cadence: str) -> None:
    with pytest.raises(InvalidInputError):
        store.add_reader(email, "X", Watchlist(), cadence=cadence, now=NOW)
    assert store.list_readers() == []


def test_remove_and_mark_briefed(store: SqlStore) -> None:
    ada = store.add_reader("ada@example.com", "Ada", WATCHLIST, now=NOW)
    bob = store.add_reader("bob@example.com", "Bob", Watchlist(), now=NOW)
    paris = timezone(timedelta(hours=2))
    store.mark_briefed(ada.id, datetime(2025, 6, 26, 8, 0, tzinfo=paris))
    briefed = store.get_reader(ada.id)
    assert briefed.last_briefed_at == datetime(2025, 6, 26, 6, 0, tzinfo=UTC)
    assert briefed.last_briefed_at is not None
    assert briefed.last_briefed_at.tzinfo is UTC
    assert store.remove_reader("bob@example.com") == bob
    assert store.list_readers() == [briefed]
    with pytest.raises(InvalidInputError):
        store.get_reader(bob.id)
    with pytest.raises(InvalidInputError):
        store.remove_reader(bob.id)
    with pytest.raises(InvalidInputError):
        store.mark_briefed(ReaderId(bob.id), NOW)
