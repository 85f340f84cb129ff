"""When a source is polled next, and its health after a poll (pure).

- A poll that worked: status ok, the error count reset, the next poll after ``poll_interval``
  or the server's Cache-Control max-age when that is longer (capped at ``backoff_max``).
- A poll that failed: exponential backoff, ``backoff_base · 2^(n-1)`` capped at ``backoff_max``;
  a server's Retry-After wins when it asks for longer (still capped). The source stays listed
  with its last error: failing sources are never dropped silently.
- 410 Gone: status gone, no next poll; the operator sees it in ``sources list``.
- A permanent redirect (301/308 all the way) moves the source to the new URL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from marketbrief.errors import FetchError, HTTPStatusError, MarketBriefError
from marketbrief.model import Source, SourceStatus
from marketbrief.settings import Settings

MAX_ERROR_TEXT = 500


def backoff_delay(error_count: int, settings: Settings, retry_after: float | None = None) -> float:
    """Seconds to wait after the ``error_count``-th consecutive failure."""
    exponent = max(error_count - 1, 0)
    delay = settings.backoff_base * (2.0 ** min(exponent, 30))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, settings.backoff_max)


def after_success(
    source: Source,
    settings: Settings,
    *,
    now: datetime,
    etag: str | None,
    last_modified: str | None,
    max_age: float | None = None,
    new_url: str | None = None,
    title: str | None = None,
) -> Source:
    interval = settings.poll_interval
    if max_age is not None and max_age > interval:
        interval = min(max_age, settings.backoff_max)
    return replace(
        source,
        url=new_url or source.url,
        title=title or source.title,
        status=SourceStatus.OK,
        etag=etag,
        last_modified=last_modified,
        last_polled_at=now,
        last_ok_at=now,
        next_poll_at=now + timedelta(seconds=interval),
        error_count=0,
        last_error=None,
    )


def after_failure(
    source: Source, error: MarketBriefError, settings: Settings, *, now: datetime
) -> Source:
    message = str(error.message)[:MAX_ERROR_TEXT]
    if isinstance(error, HTTPStatusError) and error.status_code == 410:
        return replace(
            source,
            status=SourceStatus.GONE,
            last_polled_at=now,
            next_poll_at=None,
            error_count=source.error_count + 1,
            last_error=f"410 Gone: the server says this source was removed; {message}",
        )
    count = source.error_count + 1
    retry_after = error.retry_after if isinstance(error, FetchError) else None
    delay = backoff_delay(count, settings, retry_after)
    return replace(
        source,
        status=SourceStatus.FAILING,
        last_polled_at=now,
        next_poll_at=now + timedelta(seconds=delay),
        error_count=count,
        last_error=message,
    )
