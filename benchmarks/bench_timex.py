"""Key-date tagging throughput: ``tag_key_dates`` vs dateparser's ``search_dates``, one core.

Input: the plain text of the TempEval-3 TimeBank/AQUAINT news documents in ../shared (256 real
news articles, as in ``bench_analyze.py``) with their publication dates. Each contender runs in
its own process pinned to one CPU (when ``taskset`` exists), tags one warm-up sentence (not
timed: imports, compiled patterns and dateparser's language data load once per process), then
times only the tagging of every article, ``--passes`` times over. The peer is the call the
peer baseline makes (``../shared/evalkit/peers.py``: ``search_dates(text, languages=["en"],
settings={"PREFER_DATES_FROM": "current_period", "RELATIVE_BASE": <publication date>, …})``)
without its post-processing. Items are words (runs of non-space), so items/s is words/s; the
issue asks for at least 20,000 words/s.

    .venv/bin/python benchmarks/bench_timex.py [--passes N] [--peer-passes N]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import time
from datetime import datetime
from pathlib import Path

from _harness import SHARED, report, run_worker_pair

TML = SHARED / "eval" / "timex" / "tempeval3-tbaq"
_TEXT = re.compile(r"<TEXT>(.*?)</TEXT>", re.S)
_DCT = re.compile(r'<TIMEX3[^>]*functionInDocument="CREATION_TIME"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")


def read_articles() -> list[dict[str, str]]:
    articles = []
    for tml in sorted(TML.rglob("*.tml")):
        raw = tml.read_text(encoding="utf-8")
        body, dct = _TEXT.search(raw), _DCT.search(raw)
        value = _VALUE.search(dct.group()) if dct else None
        if body is None or value is None:
            continue
        text = html.unescape(_TAG.sub("", body.group(1)))
        articles.append({"text": text, "published_at": value.group(1)[:10]})
    return articles


def work(contender: str, path: Path, passes: int) -> None:
    """Worker: tag every article ``passes`` times; print {"seconds", "items"} (items: words)."""
    articles = [
        (a["text"], datetime.fromisoformat(a["published_at"]))
        for a in json.loads(path.read_text(encoding="utf-8"))
    ]
    if contender == "marketbrief":
        from datetime import UTC

        from marketbrief.enrich.key_dates import tag_key_dates

        def tag(text: str, published_at: datetime) -> object:
            return tag_key_dates(text, published_at.replace(tzinfo=UTC))
    else:
        from dateparser.search import search_dates

        def tag(text: str, published_at: datetime) -> object:
            settings = {
                "PREFER_DATES_FROM": "current_period",
                "RETURN_AS_TIMEZONE_AWARE": False,
                "RELATIVE_BASE": published_at,
            }
            return search_dates(text, languages=["en"], settings=settings)

    tag("Warm-up: the board met on Tuesday, June 24, 2025, and will meet again next month.",
        datetime(2025, 6, 25))  # fmt: skip
    start = time.process_time()
    for _ in range(passes):
        for text, published_at in articles:
            tag(text, published_at)
    seconds = time.process_time() - start
    words = sum(len(text.split()) for text, _ in articles)
    print(json.dumps({"seconds": seconds, "items": passes * words}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=20, help="ours: times over the corpus")
    parser.add_argument("--peer-passes", type=int, default=1, help="the peer's (it is slow)")
    parser.add_argument("--worker", choices=["marketbrief", "peers"], help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work(args.worker, args.input, args.passes)
        return
    articles = read_articles()
    ours, peer = run_worker_pair(
        __file__,
        articles,
        ours=["--passes", str(args.passes)],
        peer=["--passes", str(args.peer_passes)],
        peer_name="dateparser",
    )
    words = sum(len(a["text"].split()) for a in articles)
    report(
        "timex",
        ours,
        peer,
        {
            "input": "tempeval3-tbaq texts",
            "articles": len(articles),
            "words": words,
            "items": "words",
            "passes": args.passes,
            "peer_passes": args.peer_passes,
            "clock": "process CPU time of the tagging loop",
        },
    )


if __name__ == "__main__":
    main()
