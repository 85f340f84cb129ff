"""Write the golden analyses of the demo's sample pages (run after a deliberate change).

    .venv/bin/python scripts/golden.py

`tests/test_golden.py` re-analyses every sample page and compares with these files, so a change
in extraction or enrichment shows up as a reviewable diff of `tests/golden/`. The sample pages
are written for marketbrief (not real news).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketbrief.contract import analysis_to_json
from marketbrief.core import make_marketbrief
from marketbrief.model import FeedEntry, FetchedDocument
from marketbrief.samples import samples_dir
from marketbrief.settings import Settings

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "samples"
SEEN_AT = datetime(2025, 6, 27, 22, tzinfo=UTC)


def sample_pages() -> list[Path]:
    return sorted((samples_dir() / "articles").rglob("*.html"))


def golden_name(page: Path) -> str:
    return f"{page.parent.name}--{page.stem}.json"


def analyse_page(page: Path, settings: Settings) -> dict[str, Any]:
    """The contract object for one sample page, independent of where the repo lies."""
    relative = page.relative_to(samples_dir()).as_posix()
    url = f"https://sample.marketbrief.invalid/{relative}"
    document = FetchedDocument(
        url=url,
        final_url=url,
        content=page.read_bytes(),
        content_type="text/html",
        fetched_at=SEEN_AT,
        entry=FeedEntry(url=url),
    )
    with make_marketbrief(settings) as brief:
        return analysis_to_json(brief.analyze_document(document))


def main() -> None:
    settings = Settings(home=Path("/nonexistent-marketbrief-home"))
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for page in sample_pages():
        obj = analyse_page(page, settings)
        text = json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        (GOLDEN / golden_name(page)).write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {len(sample_pages())} golden analyses to {GOLDEN}\n")


if __name__ == "__main__":
    main()
