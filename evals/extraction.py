"""Run marketbrief's article extraction over scorer JSONL input (dev tool; see evals/README.md).

    python evals/extraction.py INPUT.jsonl > OUTPUT.jsonl

Reads records ``{"id", "html" | "text", "url"?, "title"?, "published_at"?}`` and prints one
``marketbrief.analysis/1``-shaped object per record (``id``, ``text``, ``title``,
``published_at``), in input order; a record that cannot be extracted gives ``{"id", "error"}``
and the exit status is 1 at the end.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from marketbrief.contract import format_instant, parse_instant
from marketbrief.errors import MarketBriefError
from marketbrief.extract import extract_article
from marketbrief.model import ANALYSIS_SCHEMA, FeedEntry, FetchedDocument


def build_document(record: dict[str, Any], fetched_at: datetime) -> FetchedDocument:
    """The FetchedDocument a scorer record stands for."""
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


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    fetched_at = datetime.now(UTC)
    failed = 0
    with open(argv[0], encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            out = analyse_record(json.loads(line), fetched_at)
            failed += "error" in out
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
