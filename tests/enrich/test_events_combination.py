"""How the rules and the packaged model combine on news that must come out right whatever the
topic labels of the training data say (an IPO's pricing is an offering, not "company news"), how
a sure rule limits what the model may add, and the sentence-level rules for price levels, units
sold and contributions. Sentences written for these tests (made-up companies)."""

from __future__ import annotations

import numpy as np
import pytest

from marketbrief.enrich.classifier import LinearClassifier
from marketbrief.enrich.events import detect_events, event_direction
from marketbrief.model import EVENT_TYPES

CLASSES = ("Company | Product News", "IPO", "Legal | Regulation", "Stock Commentary")


def hand_model(words: dict[str, str]) -> LinearClassifier:
    """A classifier whose every listed word points hard at one class (dense features unused)."""
    vocabulary = {f"w:{w}": i for i, w in enumerate(words)}
    weights = np.zeros((len(vocabulary), len(CLASSES)))
    for word, cls in words.items():
        weights[vocabulary[f"w:{word}"], CLASSES.index(cls)] = 40.0
    return LinearClassifier(
        name="events",
        classes=CLASSES,
        dense=tuple(f"rule:{t}" for t in EVENT_TYPES),
        vocabulary=vocabulary,
        idf=np.ones(len(vocabulary)),
        term_weights=weights,
        term_scale=np.ones(len(CLASSES)),
        dense_weights=np.zeros((len(EVENT_TYPES), len(CLASSES))),
        bias=np.zeros(len(CLASSES)),
        block_scale=(1.0, 1.0),
        meta={},
    )


def test_beside_a_sure_rule_the_model_adds_no_unsupported_guess() -> None:
    text = "Lumen Labs prices its initial public offering at $18 a share."
    model = hand_model({"lumen": "Company | Product News", "labs": "Company | Product News"})
    events = detect_events(text, classifier=model)
    assert [e.type for e in events] == ["equity_offering"]


def test_beside_a_sure_rule_the_model_adds_a_type_whose_words_the_rules_saw() -> None:
    # "new product" is a weak product cue (too weak alone); the model reads company news.
    text = "Lumen Labs prices its initial public offering to fund a new product."
    rules_only = detect_events(text, use_model=False)
    assert [e.type for e in rules_only] == ["equity_offering"]
    model = hand_model({"fund": "Company | Product News"})
    events = detect_events(text, classifier=model)
    assert {e.type for e in events} == {"equity_offering", "product_event"}
    added = next(e for e in events if e.type == "product_event")
    assert text[added.evidence.start : added.evidence.end] == added.evidence.text


@pytest.mark.parametrize(
    "headline",
    [
        "Lumen Labs prices initial public offering at $18 a share",
        "Quarry Tech prices upsized IPO of 11.5 million shares",
        "Harbor Foods announces pricing of public offering of common stock",
        "Cedar Bio files for initial public offering on Nasdaq",
    ],
)
def test_an_offering_comes_first_as_an_offering(headline: str) -> None:
    events = detect_events(headline)
    assert events, headline
    assert events[0].type == "equity_offering", events
    assert "product_event" not in [e.type for e in events]


@pytest.mark.parametrize(
    "headline",
    [
        "FDA approves Genova Bio's migraine drug",
        "Cedar Bio wins FDA approval for its heart failure therapy",
        "European Commission approves Solace Health's eczema treatment",
    ],
)
def test_an_approval_comes_first_as_a_regulatory_decision(headline: str) -> None:
    events = detect_events(headline)
    assert events and events[0].type == "regulatory_decision", events


@pytest.mark.parametrize(
    ("headline", "direction"),
    [
        ("Northwind raises guidance after a strong quarter", "up"),
        ("Orchard Retail lowers its full-year guidance", "down"),
        ("Maple Utilities reaffirms its annual outlook", "unchanged"),
    ],
)
def test_guidance_comes_first_with_its_direction(headline: str, direction: str) -> None:
    events = detect_events(headline)
    assert events and events[0].type == "guidance_change", events
    assert event_direction(events[0]) == direction


@pytest.mark.parametrize(
    "sentence",
    [
        "Cedar Motors closed as low as $27.41 last week, a level not seen since 2015.",
        "Falcon shares ended the day up 13 cents at $34.64.",
        "Shares of Lumen Labs fell 5.9 per cent to $22.22.",
        "All that said, the shares actually took a 3% dip.",
        "Its reliance on one aging drug is weighing on its shares.",
    ],
)
def test_a_share_price_level_or_move_is_a_trading_action(sentence: str) -> None:
    assert "trading_action" in [e.type for e in detect_events(sentence, use_model=False)]


@pytest.mark.parametrize(
    "sentence",
    [
        "The deal closed at $5 billion last week.",
        "Cedar Motors sold 60,004 pickups in May, down 4.2% from a year ago.",
        "Brent crude closed at $81.20 a barrel.",
    ],
)
def test_amounts_that_are_not_a_share_price_are_no_trading_action(sentence: str) -> None:
    assert "trading_action" not in [e.type for e in detect_events(sentence, use_model=False)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Cedar Motors sold 1,061 examples of its new sedan in May.",
        "Truck sales reaching 99,237 units were the bright spot.",
        "About 12,000 vehicles were sold in the quarter.",
    ],
)
def test_units_sold_are_an_operating_update(sentence: str) -> None:
    assert "operating_update" in [e.type for e in detect_events(sentence, use_model=False)]


@pytest.mark.parametrize(
    "sentence",
    [
        "The parks business provides more than half of the group's operating profit.",
        "The studio brings in 16% of operating income.",
    ],
)
def test_what_a_business_contributes_is_not_a_results_report(sentence: str) -> None:
    assert "earnings_results" not in [e.type for e in detect_events(sentence, use_model=False)]


def test_a_reported_profit_is_still_a_results_report() -> None:
    sentence = "Net income for the quarter was $700 million, up from $545 million a year ago."
    assert "earnings_results" in [e.type for e in detect_events(sentence, use_model=False)]


def test_a_company_name_is_not_a_bombardment() -> None:
    sentence = "The engine is also the lone option on planes such as Bombardier's C Series."
    assert "geopolitical_conflict" not in [e.type for e in detect_events(sentence, use_model=False)]
    shelling = "Artillery bombarded the port city overnight."
    assert "geopolitical_conflict" in [e.type for e in detect_events(shelling, use_model=False)]


@pytest.mark.parametrize(
    ("headline", "event_type"),
    [
        ("Streamly sheds 1 million users in the second quarter", "operating_update"),
        ("Snapline says its app is finally coming to desktop", "product_event"),
        ("Harbor Group is merging two units that oversee its infrastructure funds", "mna"),
        ("Pine Lending celebrates five new office openings across the Carolinas", "product_event"),
        ("Skyway may split its blockbuster order between two planemakers", "contract_award"),
        ("Cedar Hotels opens its first hotel in Thailand", "product_event"),
        ("Wintrow Bank to raise its minimum wage for hourly employees to $18", "workforce_labor"),
    ],
)
def test_company_news_told_in_other_words(headline: str, event_type: str) -> None:
    assert event_type in [e.type for e in detect_events(headline, use_model=False)]


def test_a_minimum_wage_law_is_not_a_company_pay_decision() -> None:
    sentence = "Lawmakers vote to raise the state minimum wage for hourly workers to $15."
    assert "workforce_labor" not in [e.type for e in detect_events(sentence, use_model=False)]
