"""Plain-text inputs: a headline-like first line is the title; local keys are not URLs."""

from datetime import UTC, datetime

import pytest

from marketbrief.extract import extract_article
from marketbrief.extract.article import headline_of
from marketbrief.model import FeedEntry, FetchedDocument

NOW = datetime(2025, 6, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Northwind Wins Radar Order\nNorthwind said on Tuesday it won an order.",
            "Northwind Wins Radar Order",
        ),
        ("Northwind said on Tuesday it won an order.\nMore text.", None),  # a sentence
        ("Northwind Wins Radar Order", None),  # nothing follows
        ("Hi\nthere", None),  # too short to be a headline
        ("Markets: what to watch:\nbody", None),
    ],
)
def test_headline_of(text: str, title: str | None) -> None:
    assert headline_of(text) == title


def doc(url: str, *, entry_url: str | None = None) -> FetchedDocument:
    text = b"Sample Headline For The Test\nSample body text written for this test."
    entry = FeedEntry(url=entry_url) if entry_url else None
    return FetchedDocument(url, url, text, "text/plain", NOW, entry=entry)


def test_text_stays_exact_and_local_keys_are_not_urls() -> None:
    local = extract_article(doc("file:///tmp/in.jsonl#3"))
    assert local.text == "Sample Headline For The Test\nSample body text written for this test."
    assert local.title == "Sample Headline For The Test"
    assert local.url is None
    linked = extract_article(doc("file:///tmp/in.jsonl#3", entry_url="https://x.example/a"))
    assert linked.url == "https://x.example/a"
    assert extract_article(doc("https://x.example/b")).url == "https://x.example/b"
    # Without an id or URL, the id is a hash of the text: the same text, the same id.
    assert extract_article(doc("file:///elsewhere.txt")).id == local.id
