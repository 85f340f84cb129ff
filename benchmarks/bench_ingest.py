"""Ingest throughput: many feeds from a loopback HTTP server, fetched, extracted, analysed.

A server on 127.0.0.1 serves ``--feeds`` RSS feeds of ``--entries`` articles each; the pages are
the demo's sample pages (written for marketbrief, not real news), each made unique. Contenders:

- marketbrief: ``MarketBrief.poll`` — polite client (per-host limits lifted for the loopback
  host: concurrency 8, no spacing), feed parsing, extraction, analysis, and storing into SQLite.
- peer: what a user would pick instead — httpx (8 threads) + feedparser, then peers.py's
  ``analyze`` (trafilatura, dateparser, VADER, pyahocorasick) on every page. It stores nothing.

Each runs in its own interpreter against the same server and times its whole ingest.

    .venv/bin/python benchmarks/bench_ingest.py [--feeds 20] [--entries 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def build_site(feeds: int, entries: int, base: str) -> dict[str, tuple[str, bytes]]:
    """Path → (content type, body) for every feed and page."""
    samples = Path(__file__).resolve().parents[1] / "src" / "marketbrief" / "samples" / "articles"
    templates = [p.read_text("utf-8") for p in sorted(samples.rglob("*.html"))]
    site: dict[str, tuple[str, bytes]] = {}
    for f in range(feeds):
        items = []
        for e in range(entries):
            path = f"/pages/{f}/{e}.html"
            page = templates[(f * entries + e) % len(templates)].replace(
                "</article>", f"<p>Benchmark copy {f}-{e} of a sample page.</p></article>", 1
            )
            site[path] = ("text/html; charset=utf-8", page.encode("utf-8"))
            items.append(
                f"<item><title>Sample {f}-{e}</title><link>{base}{path}</link>"
                f"<guid>{base}{path}</guid>"
                f"<pubDate>Wed, 25 Jun 2025 12:{e % 60:02d}:00 GMT</pubDate></item>"
            )
        rss = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Benchmark feed {f}</title><link>{base}/</link>"
            "<description>samples</description>" + "".join(items) + "</channel></rss>"
        )
        site[f"/feeds/{f}.xml"] = ("application/rss+xml", rss.encode("utf-8"))
    return site


def serve(site: dict[str, tuple[str, bytes]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = site.get(self.path)
            if found is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", found[0])
            self.send_header("Content-Length", str(len(found[1])))
            self.end_headers()
            self.wfile.write(found[1])

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def worker_ours(feed_urls: list[str]) -> dict[str, float]:
    from marketbrief.core import make_marketbrief
    from marketbrief.settings import Settings

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            home=Path(home),
            allow_private_addresses=True,
            http_per_host_concurrency=8,
            http_per_host_delay=0,
            max_entries_per_poll=1000,
        )
        with make_marketbrief(settings) as brief:
            for url in feed_urls:
                brief.add_source(url)
            brief.kb  # noqa: B018 (load the knowledge base before the clock starts, like peers' KB)
            start = time.perf_counter()
            reports = brief.poll(force=True)
            seconds = time.perf_counter() - start
            stored = brief.store.count_articles()
    errors = [r.error for r in reports if r.error]
    if errors:
        raise SystemExit(f"ingest errors: {errors[:3]}")
    return {"seconds": seconds, "items": stored}


def worker_peer(feed_urls: list[str]) -> dict[str, float]:
    from concurrent.futures import ThreadPoolExecutor

    import feedparser
    import httpx
    from _harness import PEERS

    sys.path.insert(0, str(PEERS.parent))
    import peers

    kb = peers.KB(peers.DEFAULT_KB)
    start = time.perf_counter()
    with httpx.Client(timeout=20) as client, ThreadPoolExecutor(8) as pool:
        parsed = list(pool.map(lambda u: feedparser.parse(client.get(u).content), feed_urls))
        links = [e.link for feed in parsed for e in feed.entries]
        pages = list(pool.map(lambda u: client.get(u).text, links))
    analysed = [
        peers.analyze({"id": u, "html": h, "url": u}, kb) for u, h in zip(links, pages, strict=True)
    ]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "items": len(analysed)}


def main() -> None:
    from _harness import ROOT, report, require_peers, run_worker

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--entries", type=int, default=10)
    args = parser.parse_args()
    peers_python = require_peers()
    site: dict[str, tuple[str, bytes]] = {}
    server = serve(site)  # serves from the dict, filled once the port is known
    base = f"http://127.0.0.1:{server.server_address[1]}"
    site.update(build_site(args.feeds, args.entries, base))
    feeds = [f"{base}/feeds/{f}.xml" for f in range(args.feeds)]
    results = {}
    try:
        for name, python, kind in (
            ("marketbrief", str(ROOT / ".venv" / "bin" / "python"), "ours"),
            ("peer", str(peers_python), "peer"),
        ):
            argv = [python, str(HERE / "bench_ingest.py"), "--worker", kind, json.dumps(feeds)]
            results[name] = run_worker(name, argv)
    finally:
        server.shutdown()
    report(
        "ingest",
        results["marketbrief"],
        results["peer"],
        {"feeds": args.feeds, "entries": args.entries},
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        urls = json.loads(sys.argv[3])
        print(json.dumps(worker_ours(urls) if sys.argv[2] == "ours" else worker_peer(urls)))
    else:
        main()
