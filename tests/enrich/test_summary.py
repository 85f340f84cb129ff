"""Summary: the lead sentences that fit, without title, dateline, byline or chrome; cut at a word
with "…" only when the first sentence is too long; never words that are not in the article."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketbrief.enrich.sentences import find_chrome_start, split_sentences
from marketbrief.enrich.summary import summarize

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"

# Text written for these tests (made-up companies).
BODY = (
    "Northwind Robotics said on Tuesday it would buy Harbor Sensors for $2.1 billion. "
    "The deal is expected to close in the fourth quarter. "
    "Shares of Northwind rose 4% in early trading."
)


def test_whole_lead_sentences_that_fit() -> None:
    assert summarize(BODY, max_chars=140) == (
        "Northwind Robotics said on Tuesday it would buy Harbor Sensors for $2.1 billion. "
        "The deal is expected to close in the fourth quarter."
    )
    assert summarize(BODY, max_chars=100) == (
        "Northwind Robotics said on Tuesday it would buy Harbor Sensors for $2.1 billion."
    )
    assert summarize(BODY) == BODY


def test_a_repeated_title_a_dateline_and_a_byline_are_skipped() -> None:
    text = (
        "Northwind to buy Harbor Sensors\n"
        "By Jane Ortiz\n"
        "BOSTON (Wire) - Northwind Robotics said on Tuesday it would buy Harbor Sensors.\n"
        "The deal is expected to close in the fourth quarter."
    )
    assert summarize(text, title="Northwind to buy Harbor Sensors", max_chars=90) == (
        "Northwind Robotics said on Tuesday it would buy Harbor Sensors."
    )


def test_a_long_first_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    summary = summarize(BODY, max_chars=40)
    assert summary == "Northwind Robotics said on Tuesday it…"
    assert len(summary) <= 40


def test_one_long_word_is_cut_inside_with_an_ellipsis() -> None:
    assert summarize("A" * 50, max_chars=10) == "A" * 9 + "…"


def test_headline_only_text_is_its_own_summary() -> None:
    assert summarize("Analyst upgrades Quarry Tech to buy") == "Analyst upgrades Quarry Tech to buy"


def test_empty_and_tiny_limits() -> None:
    assert summarize("") == ""
    assert summarize("   \n  ") == ""
    assert summarize(BODY, max_chars=0) == ""
    assert summarize(BODY, max_chars=1) == ""


def test_trailing_chrome_is_never_summarised() -> None:
    text = "Latest Articles\nComments\nNo comments yet"
    assert summarize(text) in {"", "Latest Articles"}
    assert "comments" not in summarize(BODY + "\n\nLatest Articles\nComments\n").lower()


@pytest.mark.shared
def test_the_seed_article_summary_is_its_lead_and_not_its_chrome() -> None:
    path = SHARED / "fixtures" / "seed-article.txt"
    if not path.exists():
        pytest.skip(f"../shared not found: {path} (the reference article lives there)")
    text = path.read_text(encoding="utf-8")
    summary = summarize(text)
    assert 0 < len(summary) <= 300
    first_line = text.splitlines()[0]
    assert not summary.startswith(first_line)  # the headline line is not the lead
    assert summary in text[: find_chrome_start(text)]
    start, end = split_sentences(text)[1]
    assert summary.startswith(text[start:end])


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=600),
    st.one_of(st.none(), st.text(max_size=60)),
    st.integers(min_value=-5, max_value=400),
)
def test_any_text_gives_a_summary_of_its_own_words(
    text: str, title: str | None, max_chars: int
) -> None:
    summary = summarize(text, title=title, max_chars=max_chars)
    assert len(summary) <= max(max_chars, 0)
    body = summary.removesuffix("…")
    text_words = set(words(text))
    # Whole words of the text; only the last one may be cut (and then "…" says so).
    inner = words(body)
    if summary.endswith("…") and inner:
        inner = inner[:-1]
    assert set(inner) <= text_words
    if not summary.endswith("…"):
        for part in re.split(r"\s+", body):
            assert part in text


def test_cjk_sentences_are_split_at_their_full_stops() -> None:
    # Made-up Japanese text: two sentences ended by "。", no spaces.
    text = "会社は新しい工場を開いたと発表した。生産は来年始まる。"
    assert summarize(text, max_chars=20) == "会社は新しい工場を開いたと発表した。"
