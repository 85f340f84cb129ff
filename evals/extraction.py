"""Run marketbrief's article extraction over scorer JSONL input (dev tool; see evals/README.md).

    python3 ../shared/evalkit/score.py extraction --data ../shared/eval/extraction/<set> \\
        --cmd ".venv/bin/python evals/extraction.py"
    .venv/bin/python evals/extraction.py INPUT.jsonl --time > /dev/null

Reads records ``{"id", "html" | "text", "url"?, "title"?, "published_at"?, "source"?}`` and
prints one ``marketbrief.analysis/1``-shaped object per record (``id``, ``text``, ``title``,
``published_at``) in input order, by calling ``extract_article`` alone; a record that cannot be
extracted gives ``{"id", "error"}`` and the exit status is 1 at the end. ``--time`` reports on
stderr the pages per second, and those of plain ``trafilatura.extract`` on the same pages.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

import trafilatura

from marketbrief.contract import format_instant, parse_instant
from marketbrief.errors import MarketBriefError
from marketbrief.extract import extract_article
from marketbrief.model import ANALYSIS_SCHEMA, FeedEntry, FetchedDocument


def build_document(record: dict[str, Any], fetched_at: datetime) -> FetchedDocument:
    """The FetchedDocument a scorer record stands for (its HTML is already decoded)."""
    url = str(record.get("url") or "")
    is_html = record.get("html") is not None
    content = str(record["html"] if is_html else record.get("text") or "")
    title = record.get("title")
    published_at = parse_instant(record.get("published_at"))
    entry = None
    if title is not None or published_at is not None:
        entry = FeedEntry(url=url, title=title, published_at=published_at)
    return FetchedDocument(
        url=url,
        final_url=url,
        content=content.encode("utf-8", "surrogatepass"),
        content_type="text/html" if is_html else "text/plain",
        fetched_at=fetched_at,
        charset="utf-8",
        entry=entry,
        id=None if record.get("id") is None else str(record["id"]),
        source_name=record.get("source"),
    )


def analyse_record(record: dict[str, Any], fetched_at: datetime) -> dict[str, Any]:
    """One output object for one input record."""
    try:
        article = extract_article(build_document(record, fetched_at))
    except MarketBriefError as exc:
        return {"id": record.get("id"), "error": str(exc)}
    return {
        "schema": ANALYSIS_SCHEMA,
        "id": article.id,
        "text": article.text,
        "title": article.title,
        "published_at": format_instant(article.published_at),
    }


def report_speed(records: list[dict[str, Any]], ours: float) -> None:
    """Pages per second: ours (already measured) and plain trafilatura on the same pages."""
    pages = [r for r in records if r.get("html") is not None]
    started = time.perf_counter()
    for record in pages:
        trafilatura.extract(record["html"], url=record.get("url"), include_comments=False)
    plain = time.perf_counter() - started
    print(
        f"{len(records)} records: marketbrief {len(records) / ours:.1f}/s ({ours:.1f} s); "
        f"plain trafilatura.extract {len(pages) / plain:.1f}/s ({plain:.1f} s)",
        file=sys.stderr,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="scorer JSONL input")
    parser.add_argument("--time", action="store_true", help="report pages per second on stderr")
    args = parser.parse_args(argv)
    with open(args.input, encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    fetched_at = datetime.now(UTC)
    started = time.perf_counter()
    outs = [analyse_record(record, fetched_at) for record in records]
    elapsed = time.perf_counter() - started
    for out in outs:
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if args.time and records:
        report_speed(records, elapsed)
    return 1 if any("error" in out for out in outs) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
