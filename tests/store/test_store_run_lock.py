"""The run lock (one poller per installation), claims handed back, an address erased."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from marketbrief.model import DeliveryStatus, Watchlist
from marketbrief.store import SqlStore, open_store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
STALE = timedelta(minutes=10)

HOLD = """
import sys, time
from marketbrief.store import open_store
store = open_store(sys.argv[1])
lock = store.try_run_lock()
print("held" if lock is not None else "busy", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_one_process_holds_the_run_lock(store: SqlStore, store_url: str) -> None:
    other = open_store(store_url)
    try:
        lock = store.try_run_lock()
        assert lock is not None
        assert other.try_run_lock() is None  # another store (another connection, another fd)
        other_job = other.try_run_lock("other-job")
        assert other_job is not None  # locks are per name
        other_job.release()
        # another process, too
        busy = subprocess.run(
            [sys.executable, "-c", HOLD, store_url, "0"], capture_output=True, text=True, check=True
        )
        assert busy.stdout.strip() == "busy"
        lock.release()
        lock.release()  # once is enough; twice does nothing
        again = other.try_run_lock()
        assert again is not None
        with again:
            assert store.try_run_lock() is None
        assert store.try_run_lock() is not None
    finally:
        other.close()
    # closing a store releases what it holds
    store.close()
    reopened = open_store(store_url)
    assert reopened.try_run_lock() is not None
    reopened.close()


def test_the_run_lock_dies_with_its_process(store: SqlStore, store_url: str) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, store_url, "30"], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            assert store.try_run_lock() is None
        finally:
            holder.kill()
            holder.wait()
    # PostgreSQL notices the closed connection at once; flock goes with the process
    lock = store.try_run_lock()
    assert lock is not None
    lock.release()


def test_a_released_claim_does_not_count(store: SqlStore) -> None:
    ada = store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    first = store.claim_delivery(ada.id, "p", due_at=NOW, worker="a", now=NOW, stale_after=STALE)
    assert first is not None
    assert not store.release_delivery(first.id, worker="b", now=NOW)  # not b's to release
    assert store.release_delivery(first.id, worker="a", now=NOW)
    assert store.get_delivery(ada.id, "p") is None  # a first claim: as if never made
    # a retry claimed and handed back is due again at once, its attempts as before
    claim = store.claim_delivery(ada.id, "p", due_at=NOW, worker="a", now=NOW, stale_after=STALE)
    assert claim is not None
    store.finish_delivery(
        claim.id, DeliveryStatus.RETRY, worker="a", now=NOW, next_attempt_at=NOW + STALE
    )
    retry = store.claim_delivery(
        ada.id, "p", due_at=NOW, worker="a", now=NOW + STALE, stale_after=STALE
    )
    assert retry is not None and retry.attempts == 2
    assert store.release_delivery(retry.id, worker="a", now=NOW + STALE)
    back = store.get_delivery(ada.id, "p")
    assert back is not None
    assert (back.status, back.attempts, back.next_attempt_at) == (
        DeliveryStatus.RETRY,
        1,
        NOW + STALE,
    )


def test_an_address_is_exported_and_erased(store: SqlStore) -> None:
    ada = store.add_reader("ada@example.com", "Ada", Watchlist(("RTX",)), now=NOW)
    store.claim_delivery(ada.id, "p", due_at=NOW, worker="a", now=NOW, stale_after=STALE)
    store.record_bounce("ada@example.com", now=NOW, limit=3, reason="550 no such user")
    store.note_notice("ada@example.com", "confirm", now=NOW)
    store.note_notice("bob@example.com", "confirm", now=NOW)
    kept = store.address_data("ADA@example.com")
    assert kept["suppression"]["bounces"] == 1
    assert [n["kind"] for n in kept["notices"]] == ["confirm"]
    erased = store.erase_address("Ada@Example.com")
    assert erased is not None and erased.id == ada.id
    assert store.list_readers() == [] and store.list_deliveries() == []
    assert store.address_data("ada@example.com") == {"suppression": None, "notices": []}
    assert store.count_notices("bob@example.com", since=NOW) == 1  # others keep theirs
    assert store.erase_address("ada@example.com") is None
