"""The negative set: ordinary sentences full of words that are also company names or tickers.

``data/negative_sentences.txt`` was written for marketbrief (no third-party text). Every
sentence uses "apple", "target", "visa", "gap", "shell", "ford", "patriot", "amazon", "delta",
"chase", "block", "square", "best buy" … in their ordinary sense: none may link a company, and
none may give an organisation entity.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from marketbrief.enrich.companies import link_companies
from marketbrief.enrich.entities import find_entities
from marketbrief.enrich.kb import KnowledgeBase, load_kb

NEGATIVE = Path(__file__).resolve().parent / "data" / "negative_sentences.txt"


def read_sentences() -> list[str]:
    lines = NEGATIVE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


SENTENCES = read_sentences()


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


def test_the_set_is_large_and_has_no_repeats() -> None:
    assert len(SENTENCES) >= 200
    assert len(set(SENTENCES)) == len(SENTENCES)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_an_ordinary_sentence_links_no_company(sentence: str, kb: KnowledgeBase) -> None:
    companies, _ = link_companies(sentence, kb)
    assert [c.ticker for c in companies] == []


@pytest.mark.parametrize("sentence", SENTENCES)
def test_an_ordinary_sentence_has_no_organisation(sentence: str, kb: KnowledgeBase) -> None:
    organisations = [e.span.text for e in find_entities(sentence, kb) if e.type == "ORG"]
    assert organisations == []


def test_the_same_words_as_names_do_link(kb: KnowledgeBase) -> None:
    # The set means something only if the linker still finds the companies themselves.
    text = (
        "Apple shares rose after the iPhone maker beat estimates, while Target cut its "
        "forecast and Ford Motor Co recalled trucks; Best Buy and Visa Inc also reported."
    )
    found = {c.ticker for c in link_companies(text, kb)[0]}
    assert {"AAPL", "TGT", "F", "BBY", "V"} <= found
