#!/usr/bin/env python3
"""Company linking on the ticker data sets, without the full CLI.

    python3 ../shared/evalkit/score.py tickers --data ../shared/eval/tickers/finentity-dev \
        --cmd ".venv/bin/python evals/tickers.py"

Reads the scorer's JSONL input file (the last argument) and prints one
``marketbrief.analysis/1`` object per record with ``companies``, ``sectors`` and ``entities``
from ``link_companies`` / ``find_entities``; everything else in the contract is left empty.
See evals/tickers.md for the numbers and how they were measured.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from marketbrief.contract import analysis_to_json, parse_instant
from marketbrief.enrich.companies import link_companies
from marketbrief.enrich.entities import find_entities
from marketbrief.enrich.kb import load_kb
from marketbrief.model import Analysis, Article, ArticleId


def analyze_record(record: dict[str, Any], kb: Any) -> dict[str, Any]:
    text = str(record.get("text") or "")
    title = record.get("title")
    published = parse_instant(record["published_at"]) if record.get("published_at") else None
    as_of = published.date() if published else None
    companies, sectors = link_companies(text, kb, title=title, as_of=as_of)
    article = Article(
        id=ArticleId(str(record.get("id") or "")),
        url=record.get("url"),
        title=title,
        text=text,
        language="en",
        published_at=published,
        source=record.get("source"),
    )
    analysis = Analysis(
        article=article,
        summary="",
        companies=companies,
        sectors=sectors,
        entities=find_entities(text, kb),
    )
    return analysis_to_json(analysis)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: tickers.py INPUT.jsonl", file=sys.stderr)
        return 2
    kb = load_kb()
    failed = 0
    with Path(argv[1]).open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            try:
                out = analyze_record(record, kb)
            except Exception as exc:  # one bad record must not stop the run
                failed += 1
                out = {"id": record.get("id"), "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(out, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
