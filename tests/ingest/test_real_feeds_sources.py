"""Every real feed file, added as a source and polled: no crash, a clear error where broken."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from marketbrief.core import make_marketbrief
from marketbrief.model import SourceStatus
from marketbrief.settings import Settings


@pytest.mark.shared
@pytest.mark.slow
def test_every_real_feed_polls_to_a_result(shared: Path, tmp_path: Path) -> None:
    folder = shared / "eval" / "feeds" / "real-feeds"
    with (folder / "index.csv").open(encoding="utf-8") as index:
        files = [folder / row["file"] for row in csv.DictReader(index)]
    assert len(files) == 117
    with make_marketbrief(Settings(home=tmp_path)) as brief:
        for path in files:
            brief.add_source(str(path))
        reports = brief.poll(force=True)
        assert len(reports) == len(files)
        sources = brief.list_sources()
    failing = [s for s in sources if s.status is SourceStatus.FAILING]
    ok = [s for s in sources if s.status is SourceStatus.OK]
    assert len(ok) + len(failing) == len(files)
    assert len(ok) > 90
    for source in failing:
        assert source.last_error, f"{source.url} failed without saying why"
        assert "unsupported file type" not in source.last_error  # reported as a broken feed
        assert source.next_poll_at is not None  # retried later, not dropped
    assert len(failing) <= 10
