"""Page metadata: titles without the site's name, dates as aware UTC, authors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml.html import fromstring

from marketbrief.extract.metadata import (
    PageMeta,
    clean_title,
    parse_instant,
    pick_title,
    read_page_meta,
)


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Oil slides as stockpiles swell | Example Wire", None, "Oil slides as stockpiles swell"),
        (
            "Oil slides as stockpiles swell - Markets - Example Wire",
            None,
            "Oil slides as stockpiles swell",
        ),
        (
            "Example Wire | Oil slides as stockpiles swell",
            "Example Wire",
            "Oil slides as stockpiles swell",
        ),
        (
            "Oil slides as stockpiles swell – news.example.com",
            None,
            "Oil slides as stockpiles swell",
        ),
        # a dash inside the headline is the headline's
        (
            "Stocks slide - here's why traders are nervous",
            None,
            "Stocks slide - here's why traders are nervous",
        ),
        ("Fed holds - Reuters", None, "Fed holds - Reuters"),  # too little headline left
        ("No separators at all", None, "No separators at all"),
    ],
)
def test_clean_title(title: str, site: str | None, expected: str) -> None:
    assert clean_title(title, site) == expected


def test_pick_title_goes_by_agreement_then_open_graph() -> None:
    agreed = PageMeta(
        og_title="Short social title", h1="The big headline", html_title="The big headline | Wire"
    )
    assert pick_title(agreed) == "The big headline"
    alone = PageMeta(og_title="Social title", h1="The headline")
    assert pick_title(alone) == "Social title"
    logo = PageMeta(h1="Wire", html_title="The big headline | Wire")
    assert pick_title(logo) == "The big headline"
    assert pick_title(PageMeta()) is None


NOW = datetime(2025, 6, 26, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-24T14:05:00-04:00", datetime(2025, 6, 24, 18, 5, tzinfo=UTC)),
        ("2025-06-24T14:05:00Z", datetime(2025, 6, 24, 14, 5, tzinfo=UTC)),
        ("2025-06-24 14:05:00", datetime(2025, 6, 24, 14, 5, tzinfo=UTC)),
        (
            "2025-06-24T14:05:00.123456789+00:00",
            datetime(2025, 6, 24, 14, 5, 0, 123456, tzinfo=UTC),
        ),
        ("2025-06-24", datetime(2025, 6, 24, tzinfo=UTC)),
        ("2025-06-27T12:00:00+00:00", None),  # after now + a day
        ("1970-01-01", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_instant(value: str | None, expected: datetime | None) -> None:
    at = parse_instant(value, now=NOW)
    assert at == expected
    if at is not None:
        assert at.tzinfo is UTC or at.utcoffset() == timedelta(0)


def test_read_page_meta_prefers_json_ld_and_skips_site_and_urls_as_authors() -> None:
    tree = fromstring(
        """<html lang="en-GB"><head><title>A headline | Example Wire</title>
        <meta property="og:site_name" content="Example Wire">
        <meta property="article:published_time" content="2025-06-20T00:00:00Z">
        <meta property="article:author" content="https://social.example.com/janeroe">
        <meta name="author" content="Example Wire">
        <script type="application/ld+json">{"@type": "NewsArticle", "headline": "A headline",
          "datePublished": "2025-06-24T10:00:00+02:00",
          "author": [{"@type": "Person", "name": "Jane Roe"}, {"name": "Sam Poe"}]}</script>
        </head><body><h1>A headline</h1><p>Text.</p></body></html>"""
    )
    meta = read_page_meta(tree, NOW)
    assert meta.published_at == datetime(2025, 6, 24, 8, 0, tzinfo=UTC)
    assert meta.authors == ("Jane Roe", "Sam Poe")
    assert meta.lang == "en"
    assert meta.site_name == "Example Wire"
    assert pick_title(meta) == "A headline"


def test_read_page_meta_tolerates_broken_json_ld() -> None:
    tree = fromstring(
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", </script>'
        '<meta name="author" content="By Jane Roe and Sam Poe"></head><body><p>x</p></body></html>'
    )
    meta = read_page_meta(tree, NOW)
    assert meta.authors == ("Jane Roe", "Sam Poe")
    assert meta.published_at is None
