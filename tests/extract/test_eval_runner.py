"""evals/extraction.py: scorer JSONL in, one analysis object per record out; dev-set floors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared"
RUNNER = ROOT / "evals" / "extraction.py"

# Sample page written for this test, not real news.
PAGE = (
    "<html><head><title>Copper climbs on supply worries | Example Wire</title></head><body>"
    "<article><h1>Copper climbs on supply worries</h1>"
    "<p>Copper rose for a fourth session on Thursday as strikes at two mines in Chile raised "
    "worries about supply, and traders bet that demand from power grids would keep growing.</p>"
    "<p>The metal for delivery in three months gained 1.8 percent in London, its highest close "
    "since the spring, while stocks in exchange warehouses fell for a sixth straight week.</p>"
    "</article><aside><p>Sign up for our newsletter</p></aside></body></html>"
)


def run_runner(
    tmp_path: Path, records: list[dict[str, object]]
) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "input.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(RUNNER), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_runner_prints_one_object_per_record_in_order(tmp_path: Path) -> None:
    records: list[dict[str, object]] = [
        {"id": "a", "html": PAGE, "url": "https://news.example.com/copper"},
        {"id": "b", "text": "Plain words.\n", "title": "T", "published_at": "2025-06-24"},
        {"id": "c", "html": "<html><body></body></html>"},
    ]
    result = run_runner(tmp_path, records)
    assert result.returncode == 1, result.stderr  # one record failed
    outs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in outs] == ["a", "b", "c"]
    page, text, failed = outs
    assert page["schema"] == "marketbrief.analysis/1"
    assert page["title"] == "Copper climbs on supply worries"
    assert page["text"].startswith("Copper rose for a fourth session")
    assert "newsletter" not in page["text"]
    assert text == {
        "schema": "marketbrief.analysis/1",
        "id": "b",
        "text": "Plain words.\n",
        "title": "T",
        "published_at": "2025-06-24T00:00:00Z",
    }
    assert "no article text" in failed["error"]


# Peers (plain trafilatura, evalkit/peers.py) measured on this machine: fundus-publisher-pages
# F1 0.955, readability-test-pages 0.940. evals/README.md has the full table.
@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize(
    ("data_set", "floor"),
    [("fundus-publisher-pages", 0.955), ("readability-test-pages", 0.940)],
)
def test_f1_on_the_development_sets_beats_plain_trafilatura(data_set: str, floor: float) -> None:
    data = SHARED / "eval" / "extraction" / data_set
    scorer = SHARED / "evalkit" / "score.py"
    if not data.is_dir() or not scorer.is_file():
        pytest.skip(f"{data} or {scorer} not found: ../shared holds the evaluation data")
    result = subprocess.run(
        [
            sys.executable,
            str(scorer),
            "extraction",
            "--data",
            str(data),
            "--cmd",
            f"{sys.executable} {RUNNER}",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = next(line for line in result.stdout.splitlines() if line.startswith("{"))
    assert json.loads(report)["metrics"]["f1"] >= floor
