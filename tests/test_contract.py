"""The analysis contract: JSON round trip and the JSON Schema file."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
import pytest

from marketbrief.contract import analysis_from_json, analysis_to_json, format_instant, parse_instant
from marketbrief.model import (
    Analysis,
    Article,
    ArticleId,
    CompanyLink,
    CompanyRole,
    Entity,
    Event,
    KeyDate,
    SectorLink,
    Sentiment,
    Span,
    StoryId,
)

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "schemas" / "analysis-1.schema.json").read_text()
)
TEXT = "Sample text: RTX said on Tuesday it won a Patriot order."


def sample() -> Analysis:
    article = Article(
        id=ArticleId("a1"),
        url="https://x.example/a",
        title="T",
        text=TEXT,
        language="en",
        published_at=datetime(2025, 6, 25, tzinfo=UTC),
        source="Sample Wire",
    )
    return Analysis(
        article=article,
        summary="RTX won a Patriot order.",
        companies=(
            CompanyLink(
                "RTX",
                "RTX Corporation",
                "NYSE",
                CompanyRole.PRIMARY,
                0.9,
                "named in the text",
                (Span(13, 16, "RTX"),),
                0.3,
            ),
        ),
        sectors=(SectorLink("Aerospace & Defense", 0.8, "RTX is in Aerospace & Defense"),),
        entities=(Entity(Span(13, 16, "RTX"), "ORG"),),
        events=(
            Event("contract_award", 0.7, Span(36, 56, "won a Patriot order.")),
            Event("guidance_change", 0.8, Span(0, 12, "raised its outlook"), "up"),
        ),
        sentiment=Sentiment("positive", 0.4),
        key_dates=(
            KeyDate(
                Span(25, 32, "Tuesday"),
                "DATE",
                "2025-06-24",
                (date(2025, 6, 24), date(2025, 6, 24)),
                "won a Patriot order",
                "past",
            ),
        ),
        importance=0.5,
        story_id=StoryId("s-1"),
    )


def test_round_trip_and_schema() -> None:
    obj = analysis_to_json(sample())
    jsonschema.validate(obj, SCHEMA)
    back = analysis_from_json(json.loads(json.dumps(obj)))
    assert analysis_to_json(back) == obj


def test_an_event_carries_a_direction_only_when_it_has_one() -> None:
    first, second = analysis_to_json(sample())["events"]
    assert "direction" not in first
    assert second["direction"] == "up"
    bad = analysis_to_json(sample())
    bad["events"][1]["direction"] = "sideways"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_failure_record_is_valid_and_garbage_is_not() -> None:
    jsonschema.validate({"id": "x", "error": "bad JSON on line 3"}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"schema": "marketbrief.analysis/1", "id": "x"}, SCHEMA)
    with pytest.raises(ValueError, match=r"not a marketbrief\.analysis/1"):
        analysis_from_json({"schema": "other/9"})


def test_instants_are_utc_with_z() -> None:
    assert format_instant(datetime(2025, 6, 25, 9, 30, tzinfo=UTC)) == "2025-06-25T09:30:00Z"
    assert parse_instant("2025-06-25") == datetime(2025, 6, 25, tzinfo=UTC)
    assert parse_instant("2025-06-25T12:00:00+02:00") == datetime(2025, 6, 25, 10, tzinfo=UTC)
    assert parse_instant(None) is None
