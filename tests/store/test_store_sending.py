"""Readers' schedules and status, the send log's claims, suppressions and notices."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from marketbrief.errors import InvalidInputError, NotFoundError
from marketbrief.model import DeliveryStatus, ReaderStatus, Watchlist
from marketbrief.store import SqlStore

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
STALE = timedelta(minutes=10)


def test_a_reader_keeps_status_time_zone_and_schedule(store: SqlStore) -> None:
    ada = store.add_reader(
        "ada@example.com",
        "Ada",
        Watchlist(tickers=("RTX",)),
        now=NOW,
        status=ReaderStatus.PENDING,
        timezone="Europe/Paris",
        send_time=time(6, 30),
        cadence="weekly",
        weekday=4,
    )
    assert (ada.status, ada.timezone, ada.send_time, ada.weekday) == (
        ReaderStatus.PENDING,
        "Europe/Paris",
        time(6, 30),
        4,
    )
    assert ada.confirmed_at is None and ada.added_at == NOW
    confirmed = store.update_reader(
        replace(ada, status=ReaderStatus.CONFIRMED, confirmed_at=NOW, cadence="alerts")
    )
    assert confirmed.status is ReaderStatus.CONFIRMED and confirmed.confirmed_at == NOW
    assert store.get_reader("ada@example.com") == confirmed
    assert store.list_readers(status=ReaderStatus.PENDING) == []
    assert store.list_readers(status=ReaderStatus.CONFIRMED) == [confirmed]


@pytest.mark.parametrize(
    "changes",
    [{"timezone": "Mars/Olympus"}, {"weekday": 7}, {"cadence": "hourly"}],
)
def test_a_bad_schedule_is_refused(store: SqlStore, changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW, **changes)  # type: ignore[arg-type]
    assert store.list_readers() == []


def test_claims_give_each_period_to_one_sender(store: SqlStore) -> None:
    ada = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    first = store.claim_delivery(
        ada.id, "2026-11-28", due_at=NOW, worker="a", now=NOW, stale_after=STALE
    )
    assert first is not None and first.status is DeliveryStatus.CLAIMED and first.attempts == 1
    # held by a live sender: nobody else gets it
    assert (
        store.claim_delivery(
            ada.id, "2026-11-28", due_at=NOW, worker="b", now=NOW + STALE / 2, stale_after=STALE
        )
        is None
    )
    # a sender that died with it in hand: taken over once the claim is stale
    later = NOW + STALE * 2
    taken = store.claim_delivery(
        ada.id, "2026-11-28", due_at=NOW, worker="b", now=later, stale_after=STALE
    )
    assert taken is not None and taken.claimed_by == "b" and taken.attempts == 2
    # the first sender coming back cannot finish what it no longer holds
    assert not store.finish_delivery(first.id, DeliveryStatus.SENT, worker="a", now=later)
    assert store.finish_delivery(
        taken.id, DeliveryStatus.SENT, worker="b", now=later, message_id="<m@x>"
    )
    sent = store.get_delivery(ada.id, "2026-11-28")
    assert sent is not None and sent.status is DeliveryStatus.SENT and sent.sent_at == later
    assert sent.message_id == "<m@x>"
    # sent is final
    assert (
        store.claim_delivery(
            ada.id, "2026-11-28", due_at=NOW, worker="c", now=later + STALE * 10, stale_after=STALE
        )
        is None
    )


def test_a_retry_is_claimed_again_when_due(store: SqlStore) -> None:
    ada = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    claim = store.claim_delivery(ada.id, "p", due_at=NOW, worker="a", now=NOW, stale_after=STALE)
    assert claim is not None
    retry_at = NOW + timedelta(minutes=5)
    store.finish_delivery(
        claim.id, DeliveryStatus.RETRY, worker="a", now=NOW, error="451", next_attempt_at=retry_at
    )
    assert (
        store.claim_delivery(ada.id, "p", due_at=NOW, worker="a", now=NOW, stale_after=STALE)
        is None
    )
    again = store.claim_delivery(
        ada.id, "p", due_at=NOW, worker="a", now=retry_at, stale_after=STALE
    )
    assert again is not None and again.attempts == 2


def test_a_skipped_period_is_recorded_once(store: SqlStore) -> None:
    ada = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    assert store.skip_delivery(ada.id, "p", due_at=NOW, now=NOW, reason="late")
    assert not store.skip_delivery(ada.id, "p", due_at=NOW, now=NOW, reason="late")
    assert (
        store.claim_delivery(ada.id, "p", due_at=NOW, worker="a", now=NOW, stale_after=STALE)
        is None
    )
    [skipped] = store.list_deliveries(reader_id=ada.id)
    assert skipped.status is DeliveryStatus.SKIPPED and skipped.error == "late"


def test_concurrent_claims_never_double(store: SqlStore) -> None:
    readers = [
        store.add_reader(f"r{i}@example.com", f"R{i}", Watchlist(), now=NOW) for i in range(20)
    ]
    won: list[tuple[int, str]] = []
    lock = threading.Lock()

    def sender(name: str) -> None:
        for reader in readers:
            claim = store.claim_delivery(
                reader.id, "2026-11-28", due_at=NOW, worker=name, now=NOW, stale_after=STALE
            )
            if claim is not None:
                with lock:
                    won.append((reader.id, name))

    threads = [threading.Thread(target=sender, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r for r, _ in won) == sorted(r.id for r in readers)


def test_removing_a_reader_removes_their_send_log(store: SqlStore) -> None:
    ada = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    store.claim_delivery(ada.id, "p", due_at=NOW, worker="a", now=NOW, stale_after=STALE)
    exported = store.reader_data("ada@example.com")
    assert exported["reader"]["email"] == "ada@example.com"
    assert [d["period"] for d in exported["deliveries"]] == ["p"]
    store.remove_reader(ada.id)
    assert store.list_deliveries() == []
    with pytest.raises(NotFoundError):
        store.reader_data(ada.id)


def test_bounces_suppress_an_address_at_the_limit(store: SqlStore) -> None:
    assert not store.record_bounce("Ada@Example.com", now=NOW, limit=2, reason="550")
    assert not store.is_suppressed("ada@example.com")
    assert store.record_bounce("ada@example.com", now=NOW, limit=2, reason="550")
    assert store.is_suppressed("ADA@example.com")
    store.suppress("bob@example.com", now=NOW, reason="complaint")
    assert store.is_suppressed("bob@example.com")
    assert not store.is_suppressed("carol@example.com")


def test_notices_are_counted_per_address_and_time(store: SqlStore) -> None:
    for minutes in (0, 30, 90):
        store.note_notice("ada@example.com", "confirm", now=NOW + timedelta(minutes=minutes))
    assert store.count_notices("ADA@example.com", since=NOW + timedelta(minutes=10)) == 2
    assert store.count_notices("bob@example.com", since=NOW) == 0
