"""Company-linking throughput: ``link_companies`` vs the peer baseline's linker, one core.

Input: the plain text of the TempEval-3 TimeBank/AQUAINT news documents in ../shared (256 real
news articles, as in ``bench_analyze.py``), linked ``--passes`` times over. Each contender runs
in its own process, builds its matcher once (not timed: the issue asks that this happens once
per process), then times only the linking of every article; both are pinned to one CPU when
``taskset`` exists.

    .venv/bin/python benchmarks/bench_link.py [--passes N]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from pathlib import Path

from _harness import PEERS, SHARED, report, run_worker_pair

TML = SHARED / "eval" / "timex" / "tempeval3-tbaq"
_TEXT = re.compile(r"<TEXT>(.*?)</TEXT>", re.S)
_TAG = re.compile(r"<[^>]+>")


def read_articles() -> list[dict[str, str]]:
    articles = []
    for tml in sorted(TML.rglob("*.tml")):
        body = _TEXT.search(tml.read_text(encoding="utf-8"))
        if body is None:
            continue
        text = html.unescape(_TAG.sub("", body.group(1))).strip()
        title, _, rest = text.partition("\n")
        articles.append({"title": title.strip(), "text": rest.strip() or text})
    return articles


def work(contender: str, path: Path, passes: int) -> None:
    """Worker: link every article ``passes`` times; print {"seconds", "items"}."""
    articles = json.loads(path.read_text(encoding="utf-8"))
    if contender == "marketbrief":
        from marketbrief.enrich.companies import link_companies
        from marketbrief.enrich.kb import load_kb

        kb = load_kb()

        def link(text: str, title: str) -> object:
            return link_companies(text, kb, title=title)
    else:
        sys.path.insert(0, str(PEERS.parent))
        import peers  # type: ignore[import-not-found]

        peer_kb = peers.KB(peers.DEFAULT_KB)

        def link(text: str, title: str) -> object:
            return peers.link_companies(peer_kb, text, title)

    link("Warm-up: Apple and Microsoft.", "Warm-up")
    start = time.perf_counter()
    for _ in range(passes):
        for article in articles:
            link(article["text"], article["title"])
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "items": passes * len(articles)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=4, help="times over the corpus (default 4)")
    parser.add_argument("--worker", choices=["marketbrief", "peers"], help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work(args.worker, args.input, args.passes)
        return
    articles = read_articles()
    passes = ["--passes", str(args.passes)]
    ours, peer = run_worker_pair(__file__, articles, ours=passes, peer=passes)
    report(
        "link",
        ours,
        peer,
        {"input": "tempeval3-tbaq texts", "articles": len(articles), "passes": args.passes},
    )


if __name__ == "__main__":
    main()
