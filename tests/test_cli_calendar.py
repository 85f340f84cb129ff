"""`marketbrief calendar`: what lies ahead, as text, JSON and iCalendar, from stored articles."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from marketbrief.cli import app
from marketbrief.core import make_marketbrief
from marketbrief.enrich.kb import load_kb
from marketbrief.enrich.pipeline import enrich_article
from marketbrief.model import Article, ArticleId
from marketbrief.settings import load_settings

runner = CliRunner()

# Sample articles written for these tests (real tickers, invented events), not real news.
FIRST = (
    "Apple Inc. (NASDAQ: AAPL) will report fiscal third-quarter results on July 31, the company "
    "said on Monday. Lockheed Martin Corp. is due to report second-quarter results on July 22."
)
MOVED = "Apple Inc. (NASDAQ: AAPL) said on Thursday it will now report results on Aug. 5."


def store_articles(*articles: tuple[str, str, datetime]) -> None:
    """Analyse and store articles (id, text, published_at) in the test's workspace."""
    kb = load_kb(None)
    with make_marketbrief(load_settings(None)) as brief:
        for article_id, text, published_at in articles:
            article = Article(ArticleId(article_id), None, None, text, "en", published_at)
            brief.store.save_analysis(enrich_article(article, kb))


@pytest.fixture
def stored() -> None:
    store_articles(
        ("first", FIRST, datetime(2025, 6, 23, 14, tzinfo=UTC)),
        ("moved", MOVED, datetime(2025, 7, 10, 14, tzinfo=UTC)),
    )


def calendar_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["calendar", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def company_rows(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (d["first_day"], d["tickers"][0], d["event"])
        for d in data["dates"]
        if d["kind"] == "company_event"
    ]


@pytest.mark.usefixtures("stored")
def test_calendar_json_lists_market_and_company_dates() -> None:
    data = calendar_json("--as-of", "2025-06-27", "--days", "40")
    assert (data["as_of"], data["through"]) == ("2025-06-27", "2025-08-06")
    dates = data["dates"]
    kinds = [(d["first_day"], d["kind"]) for d in dates]
    assert ("2025-07-03", "early_close") in kinds
    assert ("2025-07-04", "market_holiday") in kinds
    assert ("2025-07-29", "fomc_meeting") in kinds
    assert kinds == sorted(kinds, key=lambda k: k[0])
    # As of June 27 the move (published July 10) is not known yet.
    assert company_rows(data) == [
        ("2025-07-22", "LMT", "earnings"),
        ("2025-07-31", "AAPL", "earnings"),
    ]
    later = calendar_json("--as-of", "2025-07-11", "--days", "40")
    assert company_rows(later) == [
        ("2025-07-22", "LMT", "earnings"),
        ("2025-08-05", "AAPL", "earnings"),
    ]
    (apple,) = [d for d in later["dates"] if d["tickers"] == ["AAPL"]]
    assert apple["revision"] == 1
    assert apple["article_id"] == "moved"


@pytest.mark.usefixtures("stored")
def test_watch_filters_company_events_only() -> None:
    data = calendar_json("--as-of", "2025-06-27", "--days", "40", "--watch", "lmt, RTX")
    assert data["watch"] == ["LMT", "RTX"]
    assert company_rows(data) == [("2025-07-22", "LMT", "earnings")]
    dates = data["dates"]
    assert {d["kind"] for d in dates} == {
        "early_close",
        "market_holiday",
        "fomc_meeting",
        "company_event",
    }


@pytest.mark.usefixtures("stored")
def test_calendar_text_output() -> None:
    result = runner.invoke(app, ["calendar", "--as-of", "2025-06-27", "--days", "40"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "market calendar 2025-06-27 to 2025-08-06"
    assert any(
        line.startswith("2025-07-04 Fri") and "NYSE closed — Independence Day" in line
        for line in lines
    )
    assert any(line.startswith("2025-07-29 Tue to Jul 30 Wed") and "FOMC" in line for line in lines)
    assert any(line.startswith("2025-07-31 Thu") and "AAPL earnings" in line for line in lines)


@pytest.mark.usefixtures("stored")
def test_ics_to_stdout_and_to_a_file_keep_uids_when_a_date_moves(tmp_path: Path) -> None:
    before = runner.invoke(app, ["calendar", "--as-of", "2025-06-27", "--days", "60", "--ics", "-"])
    assert before.exit_code == 0, before.output
    path = tmp_path / "cal" / "market.ics"
    after = runner.invoke(
        app, ["calendar", "--as-of", "2025-07-11", "--days", "60", "--ics", str(path)]
    )
    assert after.exit_code == 0, after.output
    assert "wrote" in after.stderr
    assert after.stdout.startswith("market calendar 2025-07-11")  # the listing still prints

    def by_summary(data: bytes) -> dict[str, Any]:
        return {str(e["summary"]): e for e in Calendar.from_ical(data).walk("VEVENT")}

    old, new = by_summary(before.stdout_bytes), by_summary(path.read_bytes())
    apple_old, apple_new = old["AAPL earnings"], new["AAPL earnings"]
    assert apple_old["dtstart"].dt == date(2025, 7, 31)
    assert apple_new["dtstart"].dt == date(2025, 8, 5)
    assert apple_old["uid"] == apple_new["uid"]
    assert int(apple_new["sequence"]) == 1
    uids = [str(e["uid"]) for e in new.values()]
    assert len(uids) == len(set(uids))
    # A past as-of day gives the same file every time (DTSTAMP is the end of that day).
    again = runner.invoke(app, ["calendar", "--as-of", "2025-06-27", "--days", "60", "--ics", "-"])
    assert again.stdout_bytes == before.stdout_bytes


def test_an_empty_store_still_has_market_dates() -> None:
    data = calendar_json("--as-of", "2026-03-30", "--days", "20")
    dates = data["dates"]
    assert [(d["first_day"], d["kind"]) for d in dates] == [
        ("2026-04-03", "market_holiday"),  # Good Friday
    ]


def test_bad_input_is_a_usage_error() -> None:
    bad_day = runner.invoke(app, ["calendar", "--as-of", "June 27"])
    assert bad_day.exit_code == 2
    assert "--as-of" in bad_day.stderr
    both = runner.invoke(app, ["calendar", "--ics", "-", "--json"])
    assert both.exit_code == 2
    assert runner.invoke(app, ["calendar", "--days", "-1"]).exit_code == 2
    assert runner.invoke(app, ["calendar", "--as-of", "1850-01-01"]).exit_code == 1


def test_the_demo_shows_the_calendar() -> None:
    result = runner.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    calendar = json.loads(result.stdout)["calendar"]
    assert calendar["as_of"] == "2025-06-27"
    rows = [(d["first_day"], d["kind"], d["tickers"]) for d in calendar["dates"]]
    assert ("2025-07-04", "market_holiday", []) in rows
    assert ("2025-07-29", "fomc_meeting", []) in rows
    assert ("2025-07-31", "company_event", ["AAPL"]) in rows  # "Apple will report … July 31"
