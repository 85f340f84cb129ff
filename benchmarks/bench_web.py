"""Web reader latency under load: p50/p99 of the latest page, the articles page and an article
page with many articles stored, beside a bare FastAPI endpoint in the same run.

    .venv/bin/python benchmarks/bench_web.py [--articles 100000] [--seconds 20] [--rate 50]
        [--saturate-seconds 5] [--concurrency 8]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each database (SQLite in a temporary home; PostgreSQL in a schema of its own, put first on
``search_path`` through the URL's ``options`` and dropped afterwards), the store is seeded with
synthetic analysed articles (generated text, companies, sectors, events, key dates) through
``Store.save_analyses``, a thousand per transaction, then ``create_app`` is served by uvicorn
in a child process (one worker, as ``marketbrief serve`` runs) and a bare FastAPI app returning
a small constant HTML page by another. The load generator is an asyncio httpx client in this
process, in two phases per route, each after a one-second warm-up:

- **latency under load**: ``--rate`` requests per second (default 50: 4.3 million a day, far
  above what one self-hosted installation serves), sent on schedule whether or not earlier
  ones were answered, for ``--seconds``; p50 and p99 from each request's scheduled instant;
- **capacity**: ``--concurrency`` requests kept in flight for ``--saturate-seconds`` (a closed
  loop at saturation): requests per second served, and that loop's p99 — which at saturation
  is mostly the wait behind the other requests in flight, not the page's cost.

Reports per route p50/p99 at the fixed rate and as a ratio to the bare endpoint's, and the
capacity and its ratio to the bare endpoint's. The issue's bar: the latest page and an article
page under 50 ms at p99 under load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BARE_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>bare</title></head>"
    "<body><main><h1>Latest articles</h1><p>Nothing here.</p></main></body></html>"
)
COMPANIES = (
    ("AAPL", "Apple", "Information Technology"),
    ("MSFT", "Microsoft", "Information Technology"),
    ("RTX", "RTX", "Industrials"),
    ("LMT", "Lockheed Martin", "Industrials"),
    ("XOM", "Exxon Mobil", "Energy"),
    ("JPM", "JPMorgan Chase", "Financials"),
    ("PFE", "Pfizer", "Health Care"),
    ("WMT", "Walmart", "Consumer Staples"),
    ("TSLA", "Tesla", "Consumer Discretionary"),
    ("NVDA", "Nvidia", "Information Technology"),
)
EVENTS = ("earnings", "guidance_change", "mna", "dividend", "buyback", "lawsuit", "product")
VERBS = ("raised", "cut", "confirmed", "withdrew", "reported", "announced")
THINGS = ("guidance", "orders", "revenue", "margins", "a buyback", "a dividend", "a recall")
SEED_BATCH = 1000  # analyses per Store.save_analyses transaction
# Filtered article lists: a sector a tenth of the articles have, and a ticker and event type
# about one in thirty-five has (not in the bar; measured beside it).
FILTERED = ("/articles?sector=Energy", "/articles?ticker=XOM&event=mna")


# ── synthetic news ───────────────────────────────────────────────────────────────────────────


def synthetic(i: int, rng: random.Random) -> Any:
    """The ``i``-th synthetic analysis: a few generated paragraphs about one or two companies,
    with sectors, an event, a sentiment and a key date, an hour apart per 60 articles."""
    from marketbrief.model import (
        Analysis,
        Article,
        ArticleId,
        CompanyLink,
        CompanyRole,
        Event,
        KeyDate,
        SectorLink,
        Sentiment,
        Span,
    )

    first, second = rng.sample(COMPANIES, 2)
    event = EVENTS[i % len(EVENTS)]
    pct = rng.randint(1, 40)
    sentences = [
        f"{first[1]} said on Tuesday it {rng.choice(VERBS)} {rng.choice(THINGS)} by {pct}%.",
        f"{second[1]} {rng.choice(VERBS)} {rng.choice(THINGS)} after the close.",
        f"Analysts expect {first[1]} to report results on June {rng.randint(1, 28)}.",
    ]
    text = "\n".join(
        " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 6))) for _ in range(4)
    )
    text = sentences[0] + "\n" + text
    score = round(rng.uniform(-1, 1), 3)
    article = Article(
        id=ArticleId(f"a{i:07d}"),
        url=f"https://news.example.com/{i}",
        title=f"{first[1]} {rng.choice(VERBS)} {rng.choice(THINGS)} ({i})",
        text=text,
        language="en",
        published_at=NOW - timedelta(minutes=i),
        source=f"Source {i % 40}",
    )
    head = Span(0, len(sentences[0]), sentences[0])
    return Analysis(
        article=article,
        summary=sentences[0],
        companies=(
            CompanyLink(
                first[0], first[1], "NYSE", CompanyRole.PRIMARY, 0.9, "named first", (), score
            ),
            CompanyLink(
                second[0], second[1], "NASDAQ", CompanyRole.MENTIONED, 0.5, "named", (), None
            ),
        ),
        sectors=(SectorLink(first[2], 0.8, "primary company"),),
        events=(Event(event, 0.8, head, direction="up" if score > 0 else "down"),),
        sentiment=Sentiment("positive" if score > 0 else "negative", score),
        key_dates=(
            KeyDate(
                Span(0, 4, text[:4]),
                "DATE",
                "2026-06-15",
                (date(2026, 6, 15), date(2026, 6, 15)),
                "results",
                "future",
            ),
        ),
        importance=round(rng.random(), 3),
    )


def seed(count: int) -> float:
    """Save ``count`` synthetic analyses into the store of the environment's settings;
    seconds taken."""
    from marketbrief.core import make_marketbrief
    from marketbrief.settings import load_settings

    rng = random.Random(7)
    start = time.perf_counter()
    with make_marketbrief(load_settings()) as brief:
        store = brief.store
        for first in range(0, count, SEED_BATCH):
            last = min(first + SEED_BATCH, count)
            store.save_analyses([synthetic(i, rng) for i in range(first, last)])
            if last % 10_000 == 0:
                rate = last / (time.perf_counter() - start)
                print(f"  seeded {last:,} ({rate:.0f}/s)", file=sys.stderr, flush=True)
    return time.perf_counter() - start


# ── servers ──────────────────────────────────────────────────────────────────────────────────


def serve(which: str, port: int) -> None:
    """Run in the child: uvicorn with our app (settings from the environment) or the bare one."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    if which == "ours":
        from marketbrief.settings import load_settings
        from marketbrief.web import create_app

        app = create_app(load_settings())
    else:
        app = FastAPI()

        @app.get("/", response_class=HTMLResponse)
        def bare() -> str:
            return BARE_PAGE

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(which: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [sys.executable, __file__, "--serve", which, "--port", str(port)]
    process = subprocess.Popen(argv, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/", timeout=5)
            return process, base
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit(f"{which} server exited with {process.returncode}") from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{which} server did not answer in 60 s")


# ── load ─────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Result:
    database: str
    route: str
    requests: int  # answered in the fixed-rate phase
    errors: int  # non-200 answers, both phases
    p50_ms: float  # fixed rate: from each request's scheduled instant to its answer
    p99_ms: float
    capacity: float  # requests per second with ``concurrency`` in flight (closed loop)
    saturated_p99_ms: float  # p99 in that closed loop: mostly queueing


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def hammer(url: str, *, concurrency: int, seconds: float) -> tuple[list[float], int]:
    """Keep ``concurrency`` GETs of ``url`` in flight for ``seconds`` (after a one-second
    warm-up that is not counted); latencies in ms and the number of non-200 answers."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker(until: float, record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < until:
                start = time.perf_counter()
                response = await client.get(url)
                elapsed = (time.perf_counter() - start) * 1000
                if record:
                    latencies.append(elapsed)
                    errors += response.status_code != 200

        for record, length in ((False, 1.0), (True, seconds)):
            until = time.perf_counter() + length
            await asyncio.gather(*(worker(until, record) for _ in range(concurrency)))
    return latencies, errors


async def paced(
    url: str, *, rate: float, seconds: float, cap: int = 256
) -> tuple[list[float], int]:
    """GETs of ``url`` sent at ``rate`` per second, evenly spaced, whether or not earlier ones
    have been answered (an open loop, as visitors arrive), for ``seconds`` after a one-second
    warm-up. Each latency runs from the instant its request was *scheduled*, so a server that
    falls behind is charged for the wait too (no coordinated omission). Latencies in ms and
    the number of non-200 answers."""
    limits = httpx.Limits(max_connections=cap, max_keepalive_connections=cap)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(scheduled: float, record: bool) -> None:
            nonlocal errors
            response = await client.get(url)
            if record:
                latencies.append((time.perf_counter() - scheduled) * 1000)
                errors += response.status_code != 200

        tasks = []
        for record, length in ((False, 1.0), (True, seconds)):
            start = time.perf_counter()
            for i in range(int(length * rate)):
                scheduled = start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(scheduled, record)))
        await asyncio.gather(*tasks)
    return latencies, errors


def measure(database: str, route: str, url: str, args: argparse.Namespace) -> Result:
    saturated, errors = asyncio.run(
        hammer(url, concurrency=args.concurrency, seconds=args.saturate_seconds)
    )
    latencies, more_errors = asyncio.run(paced(url, rate=args.rate, seconds=args.seconds))
    result = Result(
        database,
        route,
        len(latencies),
        errors + more_errors,
        round(percentile(latencies, 0.50), 2),
        round(percentile(latencies, 0.99), 2),
        round(len(saturated) / args.saturate_seconds, 1),
        round(percentile(saturated, 0.99), 2),
    )
    print(
        f"  {route:<34} at {args.rate:g}/s: p50 {result.p50_ms:7.2f} ms  "
        f"p99 {result.p99_ms:7.2f} ms · capacity {result.capacity:7.1f}/s "
        f"(p99 {result.saturated_p99_ms:.0f} ms at {args.concurrency} in flight) · "
        f"errors {result.errors}",
        flush=True,
    )
    return result


# ── databases ────────────────────────────────────────────────────────────────────────────────


def run_database(
    database: str, url: str | None, home: Path, args: argparse.Namespace
) -> list[Result]:
    env = dict(os.environ, MARKETBRIEF_HOME=str(home))
    env.pop("MARKETBRIEF_CONFIG", None)
    if url:
        env["MARKETBRIEF_DATABASE_URL"] = url
    else:
        env.pop("MARKETBRIEF_DATABASE_URL", None)
    print(f"{database}: seeding {args.articles:,} articles", flush=True)
    seeded = subprocess.run(
        [sys.executable, __file__, "--seed", str(args.articles)],
        env=env,
        check=True,
        capture_output=False,
        stdout=subprocess.PIPE,
    )
    print(f"  seeded in {float(seeded.stdout):.0f} s", flush=True)
    results: list[Result] = []
    servers = [start_server("bare", env), start_server("ours", env)]
    try:
        (_, bare), (_, ours) = servers
        article = f"/articles/a{args.articles // 2:07d}"
        results.append(measure(database, "bare FastAPI /", bare + "/", args))
        for route in ("/", "/articles", *FILTERED, article):
            results.append(measure(database, route, ours + route, args))
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=30)
    return results


def postgres_schema(admin_url: str) -> tuple[Any, str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    engine = create_engine(make_url(admin_url), poolclass=NullPool)
    schema = f"bench_web_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return engine, schema, url.render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="fixed-rate phase per route")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--saturate-seconds", type=float, default=5.0, help="closed-loop phase")
    parser.add_argument("--concurrency", type=int, default=8, help="in flight, closed loop")
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="PostgreSQL server to measure on ('' to skip)",
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--serve", choices=("ours", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if args.seed is not None:
        print(seed(args.seed))
        return

    from sqlalchemy import text

    results: list[Result] = []
    wanted = args.databases.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        if "sqlite" in wanted:
            home = Path(tmp) / "sqlite"
            home.mkdir()
            results += run_database("sqlite", None, home, args)
        if "postgresql" in wanted and args.postgres:
            engine, schema, url = postgres_schema(args.postgres)
            try:
                home = Path(tmp) / "postgresql"
                home.mkdir()
                results += run_database("postgresql", url, home, args)
            finally:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                engine.dispose()

    print(
        f"\n{args.articles:,} articles; {args.rate:g} requests/s for {args.seconds:g} s a route; "
        f"capacity with {args.concurrency} in flight for {args.saturate_seconds:g} s"
    )
    print(
        "| database | route | p50 ms | p99 ms | p99 / bare p99 | capacity req/s "
        "| capacity / bare | errors |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for database in dict.fromkeys(r.database for r in results):
        rows = [r for r in results if r.database == database]
        bare = rows[0]
        for r in rows:
            print(
                f"| {database} | `{r.route}` | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
                f"| {r.p99_ms / bare.p99_ms:.2f} | {r.capacity:.0f} "
                f"| {r.capacity / bare.capacity:.2f} | {r.errors} |"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_web.json"
    out.write_text(
        json.dumps(
            {
                "articles": args.articles,
                "seconds": args.seconds,
                "rate": args.rate,
                "saturate_seconds": args.saturate_seconds,
                "concurrency": args.concurrency,
                "results": [asdict(r) for r in results],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
