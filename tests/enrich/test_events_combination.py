"""How the rules and the packaged model combine on news that must come out right whatever the
topic labels of the training data say (an IPO's pricing is an offering, not "company news"), how
a sure rule limits what the model may add, and the sentence-level rules for price levels, units
sold and contributions. Sentences written for these tests (made-up companies)."""

from __future__ import annotations

import pytest
from hand_models import hand_model

from marketbrief.enrich.events import detect_events, event_direction

CLASSES = ("Company | Product News", "IPO", "Legal | Regulation", "Stock Commentary")


def test_beside_a_sure_rule_the_model_adds_no_unsupported_guess() -> None:
    text = "Lumen Labs prices its initial public offering at $18 a share."
    model = hand_model(
        {"lumen": "Company | Product News", "labs": "Company | Product News"}, CLASSES
    )
    events = detect_events(text, classifier=model)
    assert [e.type for e in events] == ["equity_offering"]


def test_beside_a_sure_rule_the_model_adds_a_type_whose_words_the_rules_saw() -> None:
    # "new product" is a weak product cue (too weak alone); the model reads company news.
    text = "Lumen Labs prices its initial public offering to fund a new product."
    rules_only = detect_events(text, use_model=False)
    assert [e.type for e in rules_only] == ["equity_offering"]
    model = hand_model({"fund": "Company | Product News"}, CLASSES)
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
        "Cedar Motors closed as high as $61.05 on Friday, its best level in two years.",
        "Falcon shares finished the session down 40 cents at $18.90.",
        "Shares of Lumen Labs rose 2.4 per cent to $71.10.",
        "Even so, the stock suffered a 7% tumble by noon.",
        "Worries about its debt are dragging on the stock.",
    ],
)
def test_a_share_price_level_or_move_is_a_trading_action(sentence: str) -> None:
    assert "trading_action" in [e.type for e in detect_events(sentence, use_model=False)]


@pytest.mark.parametrize(
    "sentence",
    [
        "The deal closed at $5 billion last week.",
        "Cedar Motors sold 41,200 vans in July, down 2.8% from a year ago.",
        "Brent crude closed at $81.20 a barrel.",
    ],
)
def test_amounts_that_are_not_a_share_price_are_no_trading_action(sentence: str) -> None:
    assert "trading_action" not in [e.type for e in detect_events(sentence, use_model=False)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Cedar Motors sold 2,340 copies of its new coupe in June.",
        "Van sales reaching 58,100 units led the month.",
        "About 12,000 vehicles were sold in the quarter.",
    ],
)
def test_units_sold_are_an_operating_update(sentence: str) -> None:
    assert "operating_update" in [e.type for e in detect_events(sentence, use_model=False)]


@pytest.mark.parametrize(
    "sentence",
    [
        "The cruise arm generates most of the group's operating profit.",
        "Licensing brings in 30% of operating income.",
    ],
)
def test_what_a_business_contributes_is_not_a_results_report(sentence: str) -> None:
    assert "earnings_results" not in [e.type for e in detect_events(sentence, use_model=False)]


def test_a_reported_profit_is_still_a_results_report() -> None:
    sentence = "Quarterly net income rose to $310 million from $260 million."
    assert "earnings_results" in [e.type for e in detect_events(sentence, use_model=False)]


def test_a_company_name_is_not_a_bombardment() -> None:
    sentence = "Regional jets such as Bombardier's sell well in Canada."
    assert "geopolitical_conflict" not in [e.type for e in detect_events(sentence, use_model=False)]
    shelling = "Artillery bombarded the port city overnight."
    assert "geopolitical_conflict" in [e.type for e in detect_events(shelling, use_model=False)]


@pytest.mark.parametrize(
    ("headline", "event_type"),
    [
        ("Streamly loses 2 million subscribers in the spring", "operating_update"),
        ("The Snapline photo app is coming to Android next month", "product_event"),
        ("Harbor Group is combining its two shipping units", "mna"),
        ("Pine Lending plans three new branch openings in Ohio", "product_event"),
        ("Skyway places a mega order for 40 regional jets", "contract_award"),
        ("Cedar Health opens two clinics in Denver", "product_event"),
        ("Wintrow Stores lifts starting pay to $16 for warehouse workers", "workforce_labor"),
    ],
)
def test_company_news_told_in_other_words(headline: str, event_type: str) -> None:
    assert event_type in [e.type for e in detect_events(headline, use_model=False)]


def test_a_minimum_wage_law_is_not_a_company_pay_decision() -> None:
    sentence = "Lawmakers vote to raise the state minimum wage for hourly workers to $15."
    assert "workforce_labor" not in [e.type for e in detect_events(sentence, use_model=False)]
