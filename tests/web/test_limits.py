"""The in-memory rate limiter: a sliding window per key, with bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketbrief.web.limits import WindowLimiter


def test_a_sliding_window_per_key() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    limiter = WindowLimiter(2, timedelta(hours=1), clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a")
    assert not limiter.allow("a")  # a refused event is not counted
    assert limiter.allow("b")
    assert limiter.retry_after("a") == 3600
    now[0] += timedelta(minutes=30)
    assert not limiter.allow("a")
    assert limiter.retry_after("a") == 1800
    now[0] += timedelta(minutes=30)
    assert limiter.retry_after("a") == 0
    assert limiter.allow("a")


def test_memory_stays_bounded() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    limiter = WindowLimiter(1, timedelta(minutes=1), clock=lambda: now[0], max_keys=3)
    for key in ("a", "b", "c"):
        assert limiter.allow(key)
    assert limiter.allow("d")  # full: the oldest key makes room
    assert len(limiter._events) == 3
    assert limiter.allow("a")  # "a" was dropped, so it starts afresh
    now[0] += timedelta(minutes=2)
    assert limiter.allow("e")  # every key has expired: all dropped at once
    assert len(limiter._events) == 1
    with pytest.raises(ValueError, match="limit"):
        WindowLimiter(0, timedelta(minutes=1), clock=lambda: now[0])
