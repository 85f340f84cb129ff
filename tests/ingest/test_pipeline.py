"""The main job against a real HTTP server on loopback: feeds → pages → articles in the store.

Sample feeds and pages below are written for these tests, not real news.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import Exchange, LoopbackServer
from marketbrief.core import make_marketbrief
from marketbrief.model import SourceStatus
from marketbrief.settings import Settings

PAGE = """<!doctype html><html><head><title>{title} | Sample Wire</title>
<meta property="article:published_time" content="2025-06-24T13:00:00Z"></head><body>
<nav><a href="/">Home</a> <a href="/markets">Markets</a></nav>
<article><h1>{title}</h1>
<p>{lead} The company said on Tuesday that the order would be delivered next year, adding
that production of the systems would rise through the fourth quarter.</p>
<p>Analysts said the award showed continued demand for air defense equipment in Europe, and
that more orders were likely to follow before the end of the year.</p>
<p>The shares rose 2 percent in afternoon trading, outpacing the broader market.</p>
</article>
<aside><h3>Stay ahead of the market</h3><p>Subscribe to our free daily newsletter.</p></aside>
<section><h3>Comments</h3><p>No comments yet. Be the first to comment.</p></section>
</body></html>"""


def rss(server: LoopbackServer, slugs: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {s}</title><link>{server.url('/p/' + s)}</link>"
        f"<guid>{s}</guid><pubDate>Tue, 24 Jun 2025 12:00:00 GMT</pubDate></item>"
        for s in slugs
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Sample Wire</title>'
        f"<link>{server.url('/')}</link><description>samples</description>{items}</channel></rss>"
    ).encode()


def serve_pages(server: LoopbackServer, slugs: list[str]) -> None:
    for slug in slugs:
        body = PAGE.format(
            title=f"Northwind Radar wins order {slug}",
            lead=f"Northwind Radar won sample order {slug} for its air defense radars.",
        )
        server.answer(f"/p/{slug}", body=body.encode(), headers={"Content-Type": "text/html"})


def conditional_feed(body: bytes, etag: str) -> Callable[[Exchange], None]:
    def route(exchange: Exchange) -> None:
        if exchange.handler.headers.get("If-None-Match") == etag:
            exchange.send(304, headers={"ETag": etag})
        else:
            exchange.send(200, body, {"Content-Type": "application/rss+xml", "ETag": etag})

    return route


def test_poll_stores_articles_then_uses_conditional_get(
    server: LoopbackServer, make_settings: Callable[..., Settings]
) -> None:
    serve_pages(server, ["a", "b"])
    server.route("/feed.xml", conditional_feed(rss(server, ["a", "b"]), 'W/"v1"'))
    with make_marketbrief(make_settings()) as brief:
        source = brief.add_source(server.url("/feed.xml"))
        first = brief.poll(force=True)
        assert [(r.new_articles, r.error, r.item_errors) for r in first] == [(2, None, ())]
        stored = brief.store.get_source(source.id)
        assert stored.etag == 'W/"v1"'  # exactly as the server sent it
        assert stored.status is SourceStatus.OK
        assert stored.title == "Sample Wire"
        articles = brief.store.list_articles()
        assert len(articles) == 2
        for article in articles:
            assert "No comments yet" not in article.text
            assert "Subscribe" not in article.text
            assert article.feed_published_at == datetime(2025, 6, 24, 12, tzinfo=UTC)
            assert article.raw_html is None or b"<article>" in article.raw_html
        analysis = brief.store.get_analysis(articles[0].id)
        assert analysis is not None and analysis.key_dates

        second = brief.poll(force=True)
        assert second[0].not_modified and second[0].new_articles == 0
        assert server.seen("/feed.xml")[-1].headers["if-none-match"] == 'W/"v1"'
        assert brief.store.count_articles() == 2  # nothing stored twice


def test_a_broken_source_backs_off_and_the_others_carry_on(
    server: LoopbackServer, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="marketbrief")
    serve_pages(server, ["ok"])
    server.answer(
        "/good.xml",
        body=rss(server, ["ok", "missing"]),
        headers={"Content-Type": "application/rss+xml"},
    )
    server.answer(
        "/html.xml",
        body=b"<html><body>not a feed</body></html>",
        headers={"Content-Type": "text/html"},
    )
    server.answer("/gone.xml", status=410)
    server.answer("/moved.xml", status=301, headers={"Location": server.url("/new-home.xml")})
    server.answer(
        "/new-home.xml", body=rss(server, []), headers={"Content-Type": "application/rss+xml"}
    )
    server.answer("/dup.xml", status=308, headers={"Location": server.url("/good.xml")})
    now = datetime(2025, 6, 25, 12, tzinfo=UTC)
    settings = make_settings(backoff_base=60.0)
    with make_marketbrief(settings, clock=lambda: now) as brief:
        urls = ["/good.xml", "/html.xml", "/gone.xml", "/moved.xml", "/dup.xml"]
        ids = [brief.add_source(server.url(u)).id for u in urls]
        reports = {r.source.id: r for r in brief.poll()}
        good, broken, gone, moved, dup = (reports[i] for i in ids)

        assert good.error is None
        assert good.new_articles + dup.new_articles == 1  # the same feed twice: stored once
        assert len(good.item_errors) == 1 and "404" in good.item_errors[0]
        assert broken.error is not None and "not a feed" in broken.error
        logged = [r.getMessage() for r in caplog.records]
        assert any(
            line.startswith("source.failed") and server.url("/html.xml") in line for line in logged
        )
        assert gone.error is not None

        sources = {s.id: s for s in brief.list_sources()}
        assert sources[ids[1]].status is SourceStatus.FAILING
        assert sources[ids[1]].error_count == 1
        assert sources[ids[1]].next_poll_at == now + timedelta(seconds=60)
        assert sources[ids[2]].status is SourceStatus.GONE
        assert sources[ids[3]].url == server.url("/new-home.xml")  # 301: the source moved
        assert moved.error is None
        # A permanent redirect onto another source's URL keeps both and says so.
        assert dup.error is None
        assert sources[ids[4]].url == server.url("/dup.xml")
        assert "already a source" in (sources[ids[4]].last_error or "")

        # Not due yet: nothing is polled; a failing source is retried once its backoff ends.
        assert brief.poll() == []
        later: dict[str, Any] = {"now": now + timedelta(seconds=61)}
        brief.clock = lambda: later["now"]
        again = {r.source.id: r for r in brief.poll()}
        assert set(again) == {ids[1]}
        assert brief.store.get_source(ids[1]).error_count == 2
        assert brief.store.get_source(ids[1]).next_poll_at == later["now"] + timedelta(seconds=120)
