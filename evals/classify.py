"""Run marketbrief's event, sentiment and summary enrichers over ``analyze`` JSONL input.

    python3 ../shared/evalkit/score.py sentiment \
        --data ../shared/eval/sentiment/twitter-financial-news \
        --cmd ".venv/bin/python evals/classify.py"

The scorer appends the input file (one ``{"id", "text", "title"?}`` record per line) as the last
argument; this prints one ``marketbrief.analysis/1`` object per record, in input order, with
``events``, ``sentiment`` and ``summary`` filled in (the other fields empty). A record that
cannot be read gives ``{"id", "error"}`` and a non-zero exit at the end. See evals/classify.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from marketbrief.contract import analysis_to_json, parse_instant
from marketbrief.enrich.events import detect_events
from marketbrief.enrich.sentiment import score_sentiment
from marketbrief.enrich.summary import summarize
from marketbrief.model import Analysis, Article, ArticleId


def analyse_record(record: dict[str, Any]) -> dict[str, Any]:
    """The contract object for one input record (``text`` input only)."""
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError("record has no text (html input is not supported here)")
    title = record.get("title") if isinstance(record.get("title"), str) else None
    article = Article(
        id=ArticleId(str(record["id"])),
        url=record.get("url"),
        title=title,
        text=text,
        language="en",
        published_at=parse_instant(record.get("published_at")),
        source=record.get("source"),
    )
    analysis = Analysis(
        article=article,
        summary=summarize(text, title=title),
        events=detect_events(text, title=title),
        sentiment=score_sentiment(text, title=title),
    )
    return analysis_to_json(analysis)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: classify.py INPUT.jsonl", file=sys.stderr)
        return 2
    failed = 0
    with Path(argv[0]).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record: dict[str, Any] = {}
            try:
                record = json.loads(line)
                out = analyse_record(record)
            except (ValueError, KeyError, TypeError) as exc:
                failed += 1
                out = {"id": record.get("id", f"line-{number}"), "error": str(exc)}
                print(f"classify.py: line {number}: {exc}", file=sys.stderr)
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
