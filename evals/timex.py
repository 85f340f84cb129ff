"""Key dates only: run the temporal tagger on ``analyze``-style JSONL and print the contract.

The evalkit scorer appends the input path (one ``{"id", "text", "published_at"?}`` per line)::

    python3 ../shared/evalkit/score.py timex --data ../shared/eval/timex/tempeval3-tbaq \
        --cmd ".venv/bin/python evals/timex.py"

Each output line is a ``marketbrief.analysis/1`` object carrying the input ``text`` and the
``key_dates`` of ``marketbrief.enrich.key_dates.tag_key_dates``; the other fields are left empty,
so this measures the tagger alone, not the rest of the pipeline. ``--time`` reports throughput
on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from marketbrief.contract import analysis_to_json, parse_instant
from marketbrief.enrich.key_dates import tag_key_dates
from marketbrief.model import Analysis, Article, ArticleId


def analyse_record(record: dict[str, object]) -> dict[str, object]:
    """The contract object for one input record, with only ``key_dates`` filled in."""
    text = str(record.get("text") or "")
    raw_id = record.get("id")
    article_id = str(raw_id) if raw_id is not None else hashlib.sha256(text.encode()).hexdigest()
    published = record.get("published_at")
    published_at = parse_instant(str(published)) if published else None
    article = Article(
        id=ArticleId(article_id),
        url=None,
        title=None,
        text=text,
        language="en",
        published_at=published_at,
    )
    analysis = Analysis(article=article, summary="", key_dates=tag_key_dates(text, published_at))
    return analysis_to_json(analysis)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="JSONL records: id, text, published_at")
    parser.add_argument("--time", action="store_true", help="report documents per second")
    args = parser.parse_args(argv)
    records = [json.loads(line) for line in args.input.read_text("utf-8").splitlines() if line]
    started = time.perf_counter()
    lines = [json.dumps(analyse_record(r), ensure_ascii=False) for r in records]
    elapsed = time.perf_counter() - started
    sys.stdout.write("".join(line + "\n" for line in lines))
    if args.time:
        chars = sum(len(str(r.get("text") or "")) for r in records)
        print(
            f"{len(records)} docs, {chars} chars in {elapsed:.3f}s: "
            f"{len(records) / elapsed:.0f} docs/s, {chars / elapsed / 1e6:.2f} MB/s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
