"""The whole pipeline on each database: the demo's samples in, stories, search and briefing out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from marketbrief.core import make_marketbrief
from marketbrief.samples import samples_dir
from marketbrief.settings import Settings

AS_OF = datetime(2025, 6, 27, 22, tzinfo=UTC)


def test_demo_pipeline_on_each_backend(database_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=database_url)
    with make_marketbrief(settings, clock=lambda: AS_OF) as brief:
        report = brief.demo(samples_dir())
        assert report.run.new_articles == 18
        assert all(r.error is None for r in report.run.sources)
        assert brief.store.count_articles() == 18
        assert any(len(s.article_ids) == 2 for s in brief.store.list_stories())
        hits = brief.store.search_articles("Patriot interceptors")
        assert hits, "full-text search finds the air-defense samples"
        (files,) = report.run.briefings
        assert files.items >= 10
        assert files.eml.is_file()
        again = brief.demo(samples_dir())
        assert again.run.new_articles == 0
        assert brief.store.count_articles() == 18
