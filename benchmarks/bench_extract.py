"""Extraction throughput: marketbrief's extractor vs the peer's trafilatura calls, same pages.

Input: the real HTML pages of ../shared/eval/extraction (all 172 fundus-publisher-pages, in
several languages, and the readability-test-pages). Each contender runs in its own
interpreter and times only its loop over pages already in memory (start-up and file reading
excluded), so the ratio is about the extraction itself. The peer does what peers.py does:
``trafilatura.extract(html, url=…, include_comments=False, include_tables=True)`` and
``trafilatura.extract_metadata``.

    .venv/bin/python benchmarks/bench_extract.py
"""

from __future__ import annotations

import contextlib
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def pages() -> list[str]:
    from _harness import SHARED

    root = SHARED / "eval" / "extraction"
    found = sorted((root / "fundus-publisher-pages" / "html").rglob("*.html.gz"))
    found += sorted((root / "readability-test-pages" / "pages").rglob("source.html.gz"))
    if not found:
        sys.exit(f"no pages found under {root}")
    return [str(p) for p in found]


def worker(kind: str, listing: str) -> None:
    """Time the loop in this interpreter; print {"seconds", "items", "chars"}."""
    paths = json.loads(Path(listing).read_text())
    contents = [gzip.decompress(Path(p).read_bytes()) for p in paths]
    if kind == "ours":
        from datetime import UTC, datetime

        from marketbrief.errors import ParseError
        from marketbrief.extract import extract_article
        from marketbrief.model import FetchedDocument

        now = datetime.now(tz=UTC)
        docs = [
            FetchedDocument(p, p, c, "text/html", now) for p, c in zip(paths, contents, strict=True)
        ]
        start = time.perf_counter()
        chars = 0
        for doc in docs:
            with contextlib.suppress(ParseError):  # an empty page counts, with no text
                chars += len(extract_article(doc).text)
    else:
        import trafilatura

        texts = [c.decode("utf-8", errors="replace") for c in contents]
        start = time.perf_counter()
        chars = 0
        for path, text in zip(paths, texts, strict=True):
            out = trafilatura.extract(text, url=path, include_comments=False, include_tables=True)
            trafilatura.extract_metadata(text, default_url=path)
            chars += len(out or "")
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "items": len(paths), "chars": chars}))


def main() -> None:
    from _harness import ROOT, report, require_peers, run_worker

    peers_python = require_peers()
    listing = pages()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(listing, handle)
    results = {}
    try:
        for name, python, kind in (
            ("marketbrief", str(ROOT / ".venv" / "bin" / "python"), "ours"),
            ("trafilatura", str(peers_python), "peer"),
        ):
            argv = [python, str(HERE / "bench_extract.py"), "--worker", kind, handle.name]
            results[name] = run_worker(name, argv)
    finally:
        Path(handle.name).unlink()
    report("extract", results["marketbrief"], results["trafilatura"], {"pages": len(listing)})


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
    else:
        main()
