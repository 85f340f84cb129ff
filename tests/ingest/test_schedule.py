"""Polling schedule: backoff doubles and caps, Retry-After and max-age are honoured, 410 ends."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from marketbrief.errors import FetchError, HTTPStatusError
from marketbrief.ingest.schedule import after_failure, after_success, backoff_delay
from marketbrief.model import Source, SourceId, SourceKind, SourceStatus
from marketbrief.settings import Settings

NOW = datetime(2025, 6, 25, 12, tzinfo=UTC)
SETTINGS = Settings(backoff_base=60, backoff_max=3600, poll_interval=900)
SOURCE = Source(SourceId(1), "https://news.example/feed.xml", SourceKind.FEED)


def test_backoff_doubles_and_caps() -> None:
    delays = [backoff_delay(n, SETTINGS) for n in range(1, 9)]
    assert delays[:4] == [60, 120, 240, 480]
    assert delays[-1] == 3600
    assert backoff_delay(1000, SETTINGS) == 3600  # no overflow


def test_failures_accumulate_and_keep_the_source_with_its_error() -> None:
    source = SOURCE
    for count in (1, 2, 3):
        source = after_failure(
            source, FetchError("connection refused", key=source.url), SETTINGS, now=NOW
        )
        assert source.status is SourceStatus.FAILING
        assert source.error_count == count
        assert source.last_error == "connection refused"
    assert source.next_poll_at == NOW + timedelta(seconds=240)


def test_retry_after_wins_when_longer_but_stays_capped() -> None:
    error = HTTPStatusError("429 Too Many Requests", key="u", status_code=429, retry_after=1000)
    assert after_failure(SOURCE, error, SETTINGS, now=NOW).next_poll_at == NOW + timedelta(
        seconds=1000
    )
    error = HTTPStatusError("503", key="u", status_code=503, retry_after=99999)
    assert after_failure(SOURCE, error, SETTINGS, now=NOW).next_poll_at == NOW + timedelta(
        seconds=3600
    )


def test_gone_sources_are_not_polled_again() -> None:
    gone = after_failure(
        SOURCE, HTTPStatusError("gone", key="u", status_code=410), SETTINGS, now=NOW
    )
    assert gone.status is SourceStatus.GONE
    assert gone.next_poll_at is None
    assert gone.last_error is not None and "410" in gone.last_error


@pytest.mark.parametrize(
    ("max_age", "expected"), [(None, 900), (60, 900), (1800, 1800), (10**6, 3600)]
)
def test_success_resets_health_and_honours_max_age(max_age: float | None, expected: int) -> None:
    failing = replace(SOURCE, status=SourceStatus.FAILING, error_count=4, last_error="x")
    ok = after_success(
        failing,
        SETTINGS,
        now=NOW,
        etag='W/"a1"',
        last_modified="Wed, 25 Jun 2025 10:00:00 GMT",
        max_age=max_age,
        new_url="https://news.example/new-feed.xml",
    )
    assert ok.status is SourceStatus.OK
    assert (ok.error_count, ok.last_error) == (0, None)
    assert ok.etag == 'W/"a1"'
    assert ok.url == "https://news.example/new-feed.xml"
    assert ok.next_poll_at == NOW + timedelta(seconds=expected)
