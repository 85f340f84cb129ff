"""Briefings for many readers: build and render one per reader, time per briefing, peak memory.

Input: the demo's 18 sample articles, analysed and grouped by ``marketbrief demo``, copied into
``--copies`` days' worth of synthetic coverage (18 × 16 = 288 articles in 256 stories by
default: new ids, first seen at times spread over the last day, each copy of a story its own
story) in a SQLite store; and ``--readers`` synthetic readers (10,000 by default) with varied
watchlists (1–8 tickers from the samples' companies and other S&P 500 members, sectors, event
types), time zones and cadences, each last briefed a day ago.

Two ways of building, each in its own process (peak memory is the process's):

- ``send``: what ``marketbrief send`` does for each due reader — ``MarketBrief.brief`` with the
  run's shared store reads (``BriefingReads``: the analyses and stories read once per day of
  ``since``, the market calendar once per day), then the HTML, text and ICS, and the email
  with its Message-ID and List-Unsubscribe, as bytes.
- ``unshared``: the same with every briefing reading the store and building the market calendar
  on its own (what a preview does, once) — on ``--unshared-readers`` readers (1,000 by
  default: it is some 20 times slower per briefing).

There is no peer baseline for this (no tool in ../shared/evalkit/peers.py builds briefings):
the numbers are absolute, on this shared 2-core machine.

    .venv/bin/python benchmarks/bench_briefings.py [--readers 10000] [--unshared-readers 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as day_time
from pathlib import Path

from _harness import RESULTS, ROOT

from marketbrief.model import (
    CADENCES,
    EVENT_TYPES,
    Analysis,
    ArticleId,
    Briefing,
    Reader,
    ReaderId,
    Story,
    StoryId,
    Watchlist,
)

ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Tokyo",
)
OTHER_TICKERS = ("AAPL", "MSFT", "AMZN", "GOOGL", "META", "JPM", "XOM", "CVX", "BA", "GE", "NOC")


def synthetic_copy(analysis: Analysis, story: Story | None, copy: int, now: datetime) -> Analysis:
    """One copy of a sample analysis: its own article id and URL, first seen within the day."""
    article = analysis.article
    seen = now - timedelta(minutes=(copy * 89 + zlib.crc32(article.id.encode()) % 60) % 1380 + 5)
    copied = replace(
        article,
        id=ArticleId(f"{article.id}-c{copy}"),
        url=f"{article.url}?copy={copy}" if article.url else None,
        published_at=seen,
        first_seen_at=seen,
        raw_html=None,
    )
    story_id = StoryId(f"{story.id}-c{copy}") if story is not None else None
    return replace(analysis, article=copied, story_id=story_id)


def synthetic_story(story: Story, copy: int, seen: dict[ArticleId, datetime]) -> Story:
    ids = tuple(ArticleId(f"{a}-c{copy}") for a in story.article_ids)
    times = [seen[i] for i in ids]
    members = tuple(
        replace(m, article_id=ArticleId(f"{m.article_id}-c{copy}"), seen_at=seen[new])
        for m, new in zip(story.members, ids, strict=False)
    )
    return replace(
        story,
        id=StoryId(f"{story.id}-c{copy}"),
        article_ids=ids,
        first_seen_at=min(times),
        last_seen_at=max(times),
        members=members,
    )


def prepare(home: Path, copies: int) -> dict[str, object]:
    """Run the demo into ``home``, then store ``copies`` synthetic copies of its coverage."""
    from marketbrief.core import make_marketbrief
    from marketbrief.samples import samples_as_of, samples_dir
    from marketbrief.settings import Settings

    now = samples_as_of()
    with make_marketbrief(Settings(home=home), clock=lambda: now) as brief:
        brief.demo(samples_dir())
        store = brief.store
        analyses = store.list_analyses()
        stories = store.list_stories()
        story_of = {a: s for s in stories for a in s.article_ids}
        for copy in range(1, copies + 1):
            copied = [synthetic_copy(a, story_of.get(a.article.id), copy, now) for a in analyses]
            seen = {c.article.id: c.article.first_seen_at or now for c in copied}
            for analysis in copied:
                stored, _ = store.upsert_article(analysis.article)
                store.save_analysis(replace(analysis, article=stored))
            store.save_stories([synthetic_story(s, copy, seen) for s in stories])
        tickers = sorted({c.ticker for a in analyses for c in a.companies})
        sectors = sorted({s.name for a in analyses for s in a.sectors})
        return {
            "now": now.isoformat(),
            "articles": store.count_articles(),
            "stories": len(store.list_stories()),
            "tickers": tickers,
            "sectors": sectors,
        }


def synthetic_readers(count: int, info: dict[str, object], now: datetime) -> list[Reader]:
    rng = random.Random(20261128)
    tickers = sorted(set(info["tickers"]) | set(OTHER_TICKERS))  # type: ignore[call-overload]
    sectors: list[str] = info["sectors"]  # type: ignore[assignment]
    readers = []
    for number in range(1, count + 1):
        watchlist = Watchlist(
            tickers=tuple(rng.sample(tickers, rng.randint(1, min(8, len(tickers))))),
            sectors=tuple(rng.sample(sectors, rng.randint(0, min(2, len(sectors))))),
            event_types=tuple(rng.sample(EVENT_TYPES, rng.randint(0, 3))),
        )
        readers.append(
            Reader(
                id=ReaderId(number),
                email=f"reader{number:05d}@example.com",
                name=f"Reader {number}",
                watchlist=watchlist,
                cadence=rng.choice(CADENCES[:2]),
                last_briefed_at=now - timedelta(days=1),
                timezone=rng.choice(ZONES),
                send_time=day_time(rng.randint(5, 9), rng.choice((0, 30))),
                weekday=rng.randint(0, 6),
            )
        )
    return readers


def work(mode: str, home: Path, count: int, info: dict[str, object]) -> None:
    """Worker: build and render every reader's briefing; print {"seconds", "items", …}."""
    from marketbrief.core import BriefingReads, make_marketbrief
    from marketbrief.deliver.links import load_secret_key
    from marketbrief.sender import briefing_email, reader_links, render_briefing
    from marketbrief.settings import Settings

    now = datetime.fromisoformat(str(info["now"]))
    settings = Settings(home=home, public_url="https://news.example.org")
    readers = synthetic_readers(count, info, now)
    key = load_secret_key(settings)
    items = stories_shown = 0
    with make_marketbrief(settings, clock=lambda: now) as brief:
        reads = BriefingReads(brief)

        def build(reader: Reader) -> Briefing:
            return brief.brief(reader, now=now, reads=reads if mode == "send" else None)

        build(readers[0])
        start = time.perf_counter()
        building = 0.0
        for reader in readers:
            began = time.perf_counter()
            briefing = build(reader)
            building += time.perf_counter() - began
            rendered = render_briefing(briefing, reader_links(settings, reader, key=key))
            message = briefing_email(rendered, sender=settings.mail_from, period="2025-06-27")
            message.as_bytes()
            items += 1
            stories_shown += len(rendered.briefing.items)
        seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "items": items,
                "build_seconds": building,
                "stories_per_briefing": stories_shown / max(items, 1),
            }
        )
    )


def run_worker(argv: list[str]) -> dict[str, float]:
    process = subprocess.Popen(argv, stdout=subprocess.PIPE)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"worker failed: {' '.join(argv)[:200]}")
    return json.loads(out) | {"max_rss_mb": usage.ru_maxrss / 1024}  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--copies", type=int, default=16, help="synthetic copies of the coverage")
    parser.add_argument("--unshared-readers", type=int, default=1_000)
    parser.add_argument("--modes", default="send,unshared", help="send, unshared or both")
    parser.add_argument("--worker", choices=["send", "unshared"], help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--info", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work(args.worker, args.home, args.readers, json.loads(args.info))
        return
    with tempfile.TemporaryDirectory(prefix="mb-bench-briefings-") as tmp:
        home = Path(tmp)
        info = prepare(home, args.copies)
        print(
            f"briefings: synthetic readers over {info['articles']} articles in "
            f"{info['stories']} stories (SQLite), built and rendered as emails"
        )
        results: dict[str, dict[str, float]] = {}
        for mode in args.modes.split(","):
            argv = [sys.executable, __file__, "--worker", mode, "--home", str(home)]
            count = args.readers if mode == "send" else args.unshared_readers
            argv += ["--readers", str(count), "--info", json.dumps(info)]
            result = run_worker(argv)
            results[mode] = result
            per = result["seconds"] / result["items"] * 1000
            build = result["build_seconds"] / result["items"] * 1000
            print(
                f"  {mode:<8} {result['items']:6d} readers {result['seconds']:7.1f} s  "
                f"{per:6.2f} ms/briefing "
                f"(build {build:.2f} ms, render + email {per - build:.2f} ms)  "
                f"{result['items'] / result['seconds']:7.1f} briefings/s  "
                f"{result['max_rss_mb']:7.1f} MB peak  "
                f"{result['stories_per_briefing']:.1f} stories each"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": "briefings",
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "readers": args.readers,
        "articles": info["articles"],
        "stories": info["stories"],
        "results": results,
        "peer": None,
        "note": "no peer baseline builds briefings: absolute numbers",
        "root": str(ROOT),
    }
    (RESULTS / "briefings.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
