"""Two senders on one database at once, on SQLite and on PostgreSQL: the send log's claims give
each reader's briefing to one of them, whatever the interleaving."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from marketbrief.model import DeliveryStatus, Watchlist
from marketbrief.sender import SendReport
from send_support import Clock, make_facade, recipients, start_timed_server

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
READERS = 24


def test_two_senders_at_once_send_each_briefing_once(store_url: str, tmp_path: Path) -> None:
    server = start_timed_server(tmp_path)
    clock = Clock(NOW)
    options = {"database_url": store_url, "smtp_url": server.url()}
    first = make_facade(tmp_path / "a", clock, **options)
    second = make_facade(tmp_path / "b", clock, **options)
    try:
        addresses = [f"r{i:02d}@example.com" for i in range(READERS)]
        for address in addresses:
            first.add_reader(address, "", Watchlist(("RTX",)))
        # Build the market calendar once first: pandas warnings are silenced around its first
        # build with warnings.catch_warnings, which is not thread-safe.
        first.brief(first.get_reader(addresses[0]))
        reports: list[SendReport] = []
        start = threading.Barrier(2)

        def send(facade: object) -> None:
            start.wait()
            reports.append(facade.send_due(force_now=True))  # type: ignore[attr-defined]

        threads = [threading.Thread(target=send, args=(f,)) for f in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert recipients(server) == dict.fromkeys(addresses, 1)
        assert sum(r.count(DeliveryStatus.SENT) for r in reports) == READERS
        assert all(r.stopped is None for r in reports)
        statuses = [d.status for d in first.store.list_deliveries()]
        assert statuses == [DeliveryStatus.SENT] * READERS
    finally:
        first.close()
        second.close()
        server.stop()
