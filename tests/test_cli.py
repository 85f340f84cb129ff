"""The command line, end to end: demo, analyze (contract + bad input), sources, db upgrade."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from marketbrief.cli import app

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "schemas" / "analysis-1.schema.json").read_text())
CLI = [sys.executable, "-m", "marketbrief"]
runner = CliRunner()

# A sample record written for these tests, not real news.
SAMPLE_TEXT = (
    "Lockheed Martin Corp. (NYSE: LMT) said on Tuesday it won a $2 billion order for PAC-3 MSE "
    "interceptors for the Patriot air defense system, with deliveries due in the fourth quarter."
)


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def test_demo_writes_the_briefing_email_and_calendar(workspace: Path) -> None:
    result = run("demo", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["home"] == str(workspace)
    assert report["new_articles"] >= 14
    assert all(s["error"] is None for s in report["sources"])
    (briefing,) = report["briefings"]
    assert briefing["items"] >= 10
    html = Path(briefing["html"]).read_text()
    assert "Sam Sample" in html
    assert "No comments yet" not in html
    message = email.message_from_bytes(
        Path(briefing["eml"]).read_bytes(), policy=email.policy.default
    )
    assert message["To"] == "Sam Sample <reader@example.com>"
    parts = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= parts
    calendar = Calendar.from_ical(Path(briefing["ics"]).read_bytes())
    assert len(list(calendar.walk("VEVENT"))) == briefing["key_dates"] > 0

    again = run("demo", "--json")  # idempotent: nothing is stored twice
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["new_articles"] == 0


def test_demo_groups_the_duplicate_wire_copy(workspace: Path) -> None:
    assert run("demo", "--json").returncode == 0
    from marketbrief.core import make_marketbrief
    from marketbrief.settings import load_settings

    with make_marketbrief(load_settings()) as brief:
        stories = brief.store.list_stories()
        titles = {len(s.article_ids) for s in stories}
        assert max(titles) >= 2  # the two Lockheed F-35 wire copies are one story
        texts = [a.text for a in brief.store.list_articles(limit=100)]
    assert len(texts) == 18
    for text in texts:
        for chrome in ("Stay ahead of the market", "No comments yet", "Latest Articles"):
            assert chrome not in text


def test_analyze_text_gives_the_contract_exactly_the_input_text(tmp_path: Path) -> None:
    page = tmp_path / "note.txt"
    page.write_text(SAMPLE_TEXT)
    result = run("analyze", str(page), "--published-at", "2025-06-25")
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    jsonschema.validate(obj, SCHEMA)
    assert obj["text"] == SAMPLE_TEXT
    assert obj["published_at"] == "2025-06-25T00:00:00Z"
    assert "LMT" in {c["ticker"] for c in obj["companies"]}
    for item in obj["key_dates"] + [c["mentions"][0] for c in obj["companies"]]:
        start, end = item["span"]
        assert SAMPLE_TEXT[start:end] == item["text"]


def test_analyze_jsonl_keeps_order_and_reports_bad_records(tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text(
        json.dumps({"id": "one", "text": SAMPLE_TEXT, "published_at": "2025-06-25"})
        + "\n{not json\n"
        + json.dumps({"id": "three", "html": "<html><body><p>Too short.</p></body></html>"})
        + "\n"
        + json.dumps({"id": "four", "text": SAMPLE_TEXT.replace("Tuesday", "Monday")})
        + "\n"
    )
    result = run("analyze", str(records), "--format", "jsonl")
    assert result.returncode == 1  # some records failed
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert (lines[0]["id"], lines[2]["id"], lines[3]["id"]) == ("one", "three", "four")
    assert len(lines) == 4
    assert "error" in lines[1]
    for line in lines:
        jsonschema.validate(line, SCHEMA)
    assert lines[0]["story_id"] is not None  # "one" and "four" are near-duplicates
    assert lines[0]["story_id"] == lines[-1]["story_id"]
    assert "line 2" in result.stderr


def test_analyze_missing_file_and_unreachable_url_are_clear_errors(tmp_path: Path) -> None:
    result = run("analyze", str(tmp_path / "nope.html"))
    assert result.returncode == 1
    assert "no such file" in result.stderr
    result = run("analyze", "http://127.0.0.1:9/article")  # blocked: loopback
    assert result.returncode == 1
    assert "127.0.0.1" in result.stderr


@pytest.mark.shared
def test_analyze_the_seed_article_page(shared: Path) -> None:
    page = shared / "fixtures" / "seed-article.html"
    result = run("analyze", str(page), "--published-at", "2025-06-25")
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    jsonschema.validate(obj, SCHEMA)
    assert obj["title"] == "Ukraine Seeks More U.S. Air Defense Systems Amid NATO Summit"
    for chrome in ("Stay ahead", "Latest Articles", "No comments yet"):
        assert chrome not in obj["text"]
    assert {"RTX", "LMT"} <= {c["ticker"] for c in obj["companies"]}
    assert any("Defense" in s["name"] for s in obj["sectors"])
    assert "geopolitical_conflict" in {e["type"] for e in obj["events"]}


def test_sources_add_list_remove_and_db_upgrade(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss version='2.0'><channel><title>t</title></channel></rss>")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(app, ["sources", "add", str(feed), "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["kind"] == "file"
    duplicate = runner.invoke(app, ["sources", "add", str(feed)])
    assert duplicate.exit_code == 1
    bad = runner.invoke(app, ["sources", "add", "ftp://example.com/feed"])
    assert bad.exit_code == 1
    listed = json.loads(runner.invoke(app, ["sources", "list", "--json"]).output)
    assert [s["status"] for s in listed] == ["new"]
    assert runner.invoke(app, ["sources", "remove", str(listed[0]["id"])]).exit_code == 0
    assert json.loads(runner.invoke(app, ["sources", "list", "--json"]).output) == []
    assert runner.invoke(app, ["sources", "remove", "99"]).exit_code == 1


def test_search_finds_demo_articles() -> None:
    assert runner.invoke(app, ["demo", "--json"]).exit_code == 0
    result = runner.invoke(app, ["search", "Patriot interceptors", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    titles = {h["title"] for h in hits}
    assert "Defense Stocks Firm as Allies Press for More Patriot Batteries at NATO Summit" in titles
    assert all(h["snippet"] for h in hits)
    nothing = runner.invoke(app, ["search", 'zzqx "unbalanced', "--json"])
    assert nothing.exit_code == 0
    assert json.loads(nothing.output) == []


def test_kb_show_and_search() -> None:
    shown = runner.invoke(app, ["kb", "show", "rtx", "--json"])
    assert shown.exit_code == 0, shown.output
    rtx = json.loads(shown.output)
    assert rtx["ticker"] == "RTX"
    assert any(a["alias"] == "Patriot" for a in rtx["aliases"])
    former = json.loads(runner.invoke(app, ["kb", "show", "FB", "--json"]).output)
    assert former["ticker"] == "META"
    assert runner.invoke(app, ["kb", "show", "NOSUCHTICKER"]).exit_code == 1
    found = json.loads(runner.invoke(app, ["kb", "search", "iPhone", "--json"]).output)
    assert found[0]["ticker"] == "AAPL"
    plain = runner.invoke(app, ["kb", "show", "LMT"])
    assert "Lockheed Martin" in plain.output
    celgene = json.loads(runner.invoke(app, ["kb", "show", "CELG", "--json"]).output)
    assert (celgene["listed_until"], celgene["successor"]) == ("2019-11-20", "BMY")
    assert (
        "last traded 2019-11-20, then part of BMY"
        in runner.invoke(app, ["kb", "show", "CELG"]).output
    )


def test_an_operator_aliases_file_is_used_and_a_broken_one_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "aliases.csv"
    mine.write_text("alias,ticker,kind,why,context\nSkyNorth,LMT,program,sample program,\n")
    monkeypatch.setenv("MARKETBRIEF_KB_ALIASES_FILE", str(mine))
    found = json.loads(runner.invoke(app, ["kb", "search", "SkyNorth", "--json"]).output)
    assert found[0]["ticker"] == "LMT"
    mine.write_text("alias,ticker,kind,why,context\nSkyNorth,NOSUCHTICKER,program,x,\n")
    broken = runner.invoke(app, ["kb", "search", "SkyNorth"])
    assert broken.exit_code == 1
    assert str(mine) in broken.output


def test_help_explains_every_command() -> None:
    commands = (
        [],
        ["run"],
        ["demo"],
        ["analyze"],
        ["search"],
        ["sources", "add"],
        ["db", "upgrade"],
    )
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.output
