"""Rate limits kept in memory: how often one key (a client address) may do something.

Enough for one ``marketbrief serve`` process; limits that must hold across processes or
restarts are kept in the store (confirmation mails per address: ``note_notice``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta


class WindowLimiter:
    """At most ``limit`` events per key within a sliding ``window``.

    Memory is bounded: at most ``max_keys`` keys are tracked; when full, the keys whose events
    all left the window are dropped first, then the oldest key.
    """

    def __init__(
        self,
        limit: int,
        window: timedelta,
        *,
        clock: Callable[[], datetime],
        max_keys: int = 10_000,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._events: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for ``key`` and say whether it is within the limit (not counted
        when it is not)."""
        now = self._clock()
        with self._lock:
            events = self._events.get(key)
            if events is None:
                self._make_room(now)
                events = self._events[key] = deque()
            self._expire(events, now)
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may act again (0 when it may now)."""
        now = self._clock()
        with self._lock:
            events = self._events.get(key)
            if not events:
                return 0
            self._expire(events, now)
            if len(events) < self.limit:
                return 0
            return max(1, int((events[0] + self.window - now).total_seconds() + 0.999))

    def _expire(self, events: deque[datetime], now: datetime) -> None:
        while events and events[0] <= now - self.window:
            events.popleft()

    def _make_room(self, now: datetime) -> None:
        if len(self._events) < self._max_keys:
            return
        for key in [k for k, e in self._events.items() if not e or e[-1] <= now - self.window]:
            del self._events[key]
        while len(self._events) >= self._max_keys:
            del self._events[next(iter(self._events))]
