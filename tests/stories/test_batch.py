"""``analyze`` batches: articles of one story share a story_id, a story of one keeps null,
importance counts the story; the streaming form gives the same as the list form."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from marketbrief.core import make_marketbrief
from marketbrief.settings import Settings

NOW = datetime(2025, 6, 25, 12, tzinfo=UTC)

# Sample texts written for these tests, not real news.
DEAL = (
    "Northwind Robotics said on Tuesday it would buy Harbor Sensors for 2.1 billion dollars "
    "in cash, adding lidar units to its warehouse machines. The deal is expected to close in "
    "the fourth quarter, subject to regulatory approval."
)
DEAL_UPDATE = (
    "Northwind Robotics said regulators in Brussels opened a review of its 2.1 billion dollar "
    "purchase of Harbor Sensors. A decision on the lidar deal is due by 14 November."
)
OIL = (
    "Crude oil prices fell for a third day as inventories grew more than analysts expected, "
    "and refiners cut their runs ahead of the holiday weekend, traders said on Wednesday."
)
RECORDS = [
    {"id": "update", "text": DEAL_UPDATE, "published_at": "2025-06-25T10:00:00Z"},
    {"id": "deal", "text": DEAL, "published_at": "2025-06-24T09:00:00Z", "source": "Wire"},
    {"id": "oil", "text": OIL, "published_at": "2025-06-25T08:00:00Z"},
    {"id": "bad", "text": "   "},
    {"id": "copy", "text": DEAL, "published_at": "2025-06-25T11:00:00Z", "source": "Portal"},
]


def test_a_batch_gets_story_ids_and_importance_with_its_stories(tmp_path: Path) -> None:
    data = tmp_path / "batch.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    brief = make_marketbrief(Settings(home=tmp_path), clock=lambda: NOW)
    listed = brief.analyze_inputs([str(data)])
    streamed = list(brief.analyze_stream([str(data)]))
    assert streamed == listed
    by_key = {r.key: r for r in listed}
    assert [r.key for r in listed] == ["update", "deal", "oil", "bad", "copy"]
    assert by_key["bad"].analysis is None and by_key["bad"].error

    def analysis(key: str):  # type: ignore[no-untyped-def]
        found = by_key[key].analysis
        assert found is not None
        return found

    story = analysis("deal").story_id
    assert story is not None
    assert analysis("update").story_id == story  # the earliest article names the story
    assert analysis("copy").story_id == story
    assert analysis("oil").story_id is None  # alone in its story
    # the copy repeats the original a day later: fresher, but nothing new
    assert analysis("copy").importance < analysis("deal").importance
    assert all(0.0 <= analysis(k).importance <= 1.0 for k in ("update", "deal", "oil", "copy"))


def test_an_empty_batch(tmp_path: Path) -> None:
    brief = make_marketbrief(Settings(home=tmp_path), clock=lambda: NOW)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert brief.analyze_inputs([str(empty)]) == []
    assert list(brief.analyze_stream([str(empty)])) == []


def test_the_spool_gives_back_each_record_as_it_was(tmp_path: Path) -> None:
    # analyze_stream spools results with its own reducers (core._dump): every record type in
    # an analysis must come back equal, a StoryInput too.
    import pickle
    from io import BytesIO

    from marketbrief.core import AnalyzeResult, _dump, story_input
    from marketbrief.model import Analysis

    data = tmp_path / "batch.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    brief = make_marketbrief(Settings(home=tmp_path), clock=lambda: NOW)
    results = list(brief.analyze_stream([str(data)]))
    analysed = [r.analysis for r in results if r.analysis is not None]
    assert any(a.companies or a.events for a in analysed) and any(a.key_dates for a in analysed)
    records: list[object] = [*results, *(story_input(a, batch=True) for a in analysed)]
    records.append(AnalyzeResult(key="k", error="why"))
    for record in records:
        spool = BytesIO()
        _dump(record, spool)
        spool.seek(0)
        back = pickle.load(spool)
        assert back == record and type(back) is type(record)
        if isinstance(record, AnalyzeResult) and record.analysis is not None:
            assert isinstance(back.analysis, Analysis)
