"""Analyze throughput: ``marketbrief analyze --format jsonl`` vs peers.py on the same records.

Input: the plain text of the TempEval-3 TimeBank/AQUAINT news documents in ../shared (256 real
news articles) with their publication dates, as analysis-input JSONL. Both analyzers run as
whole commands, start-up included, the way a user runs them.

    .venv/bin/python benchmarks/bench_analyze.py [--repeat N]
    .venv/bin/python benchmarks/bench_analyze.py --scale 4,40,400   # memory over 1k … 100k

``--scale`` runs our command at each size (copies of the corpus: 400 is 102,400 articles) to show
that memory stays flat; the peer runs beside it at the first size only (it needs ~40 minutes for
100,000 articles here).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import tempfile
from pathlib import Path

from _harness import MARKETBRIEF, PEERS, SHARED, report, require_peers, run_timed

TML = SHARED / "eval" / "timex" / "tempeval3-tbaq"
_TEXT = re.compile(r"<TEXT>(.*?)</TEXT>", re.S)
_DCT = re.compile(r'<TIMEX3[^>]*functionInDocument="CREATION_TIME"[^>]*value="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")


def build_input(path: Path, repeat: int) -> int:
    records = []
    for tml in sorted(TML.rglob("*.tml")):
        raw = tml.read_text(encoding="utf-8")
        body, dct = _TEXT.search(raw), _DCT.search(raw)
        if body is None:
            continue
        text = html.unescape(_TAG.sub("", body.group(1)))
        published = dct.group(1)[:10] if dct else None
        records.append({"id": tml.stem, "text": text, "published_at": published})
    with path.open("w", encoding="utf-8") as out:
        for copy in range(repeat):
            for record in records:
                out.write(json.dumps(record | {"id": f"{record['id']}#{copy}"}) + "\n")
    return len(records) * repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="copies of the corpus (default 1)")
    parser.add_argument("--scale", help="comma-separated repeats: our memory at each size")
    args = parser.parse_args()
    peers_python = require_peers()
    if args.scale:
        scale([int(n) for n in args.scale.split(",")], peers_python)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "input.jsonl"
        items = build_input(data, args.repeat)
        ours = run_timed(
            "marketbrief",
            [str(MARKETBRIEF), "analyze", "--format", "jsonl", str(data)],
            items=items,
        )
        peer = run_timed("peers.py", [str(peers_python), str(PEERS), str(data)], items=items)
    report("analyze", ours, peer, {"input": "tempeval3-tbaq texts", "repeat": args.repeat})


def scale(repeats: list[int], peers_python: Path) -> None:
    """Our throughput and peak memory at each size; the peer at the first."""
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, repeat in enumerate(repeats):
            data = Path(tmp) / f"input-{repeat}.jsonl"
            items = build_input(data, repeat)
            ours = run_timed(
                "marketbrief",
                [str(MARKETBRIEF), "analyze", "--format", "jsonl", str(data)],
                items=items,
            )
            if index == 0:
                peer = run_timed(
                    "peers.py", [str(peers_python), str(PEERS), str(data)], items=items
                )
                report("analyze", ours, peer, {"input": "tempeval3-tbaq texts", "repeat": repeat})
            runs.append(ours)
            data.unlink()
    print("memory over size (marketbrief analyze --format jsonl):")
    for run in runs:
        print(f"  {run.items:>8} articles  {run.per_second:8.1f}/s  {run.max_rss_mb:8.1f} MB peak")
    first, last = runs[0], runs[-1]
    print(
        f"  {last.items / first.items:.0f}x the articles: "
        f"{last.max_rss_mb / first.max_rss_mb:.2f}x the peak memory"
    )


if __name__ == "__main__":
    main()
