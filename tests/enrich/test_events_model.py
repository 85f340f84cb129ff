"""Events with the learned model: how it re-weighs the rules, adds what they miss (with a
sentence of the text as evidence), leaves sure rules alone; directions; the [model] table."""

from __future__ import annotations

import pytest
from hand_models import hand_model

from marketbrief.enrich.events import (
    default_event_rules,
    detect_events,
    event_direction,
    parse_event_rules,
)
from marketbrief.errors import ConfigError
from marketbrief.model import EVENT_TYPES

FILLER = " ".join(f"The firm has {n} offices in the region and more abroad." for n in range(2, 12))


CLASSES = ("Personnel Change", "Macro", "Earnings", "Stock Movement", "Stock Commentary")


def test_the_model_adds_a_type_the_rules_miss_with_its_sentence_as_evidence() -> None:
    text = (
        "Coastal Airlines had a quiet spring. It will recruit pilots across the country. " + FILLER
    )
    model = hand_model({"recruit": "Personnel Change"}, CLASSES)
    assert detect_events(text, use_model=False) == ()
    events = detect_events(text, classifier=model)
    assert [e.type for e in events] == ["management_change"]
    evidence = events[0].evidence
    assert evidence.text == "It will recruit pilots across the country."
    assert text[evidence.start : evidence.end] == evidence.text
    assert 0 < events[0].confidence < 1


def test_commentary_is_no_event() -> None:
    text = "Coastal Airlines: three things to watch this week."
    model = hand_model({"watch": "Stock Commentary"}, CLASSES)
    assert detect_events(text, classifier=model) == ()


def test_a_sure_rule_is_not_overruled_by_a_class_only_the_model_sees() -> None:
    text = "Harbor Foods raises its quarterly dividend by 10 percent."
    model = hand_model({"harbor": "Macro", "foods": "Macro"}, CLASSES)
    events = detect_events(text, classifier=model)
    assert [e.type for e in events] == ["dividend"]
    assert events[0].evidence.text == "raises its quarterly dividend"
    assert events[0].confidence > 0.6  # the model does not see the class: a sure rule still is


def test_the_model_ranks_the_types_the_rules_found() -> None:
    text = "Lumen Labs stock jumps after earnings."
    rules_only = [e.type for e in detect_events(text, use_model=False)]
    assert set(rules_only) >= {"trading_action", "earnings_results"}
    for word, cls, first in (
        ("jumps", "Stock Movement", "trading_action"),
        ("earnings", "Earnings", "earnings_results"),
    ):
        ranked = detect_events(text, classifier=hand_model({word: cls}, CLASSES))
        assert ranked[0].type == first


def test_a_title_the_text_never_echoes_is_no_evidence() -> None:
    model = hand_model({"recruit": "Personnel Change"}, CLASSES)
    events = detect_events(
        "The company said little else.", title="Coastal to recruit", classifier=model
    )
    assert events == ()


def test_without_a_model_table_the_rules_work_alone() -> None:
    rules = parse_event_rules("[[types.dividend.rules]]\nweight = 0.9\npatterns = ['dividend']\n")
    events = detect_events("A dividend.", rules=rules)
    assert [e.type for e in events] == ["dividend"]


def test_every_type_belongs_to_one_model_class() -> None:
    classes = default_event_rules().model_classes
    listed = [t for types in classes.values() for t in types]
    assert sorted(listed) == sorted(EVENT_TYPES)


def test_the_model_table_is_checked() -> None:
    with pytest.raises(ConfigError) as unknown_type:
        parse_event_rules('[model.classes]\n"Earnings" = ["earnings", "guidance_change"]\n')
    assert unknown_type.value.key is not None
    assert "model.classes" in unknown_type.value.key
    with pytest.raises(ConfigError):
        parse_event_rules("[model]\nweight = 1.5\n")
    with pytest.raises(ConfigError):
        parse_event_rules("[model]\nmystery = 0.5\n")
    with pytest.raises(ConfigError):
        parse_event_rules('[model.unsupported_probability]\n"Nowhere" = 0.5\n')
    with pytest.raises(ConfigError):
        parse_event_rules("[directions.weather]\nup = ['sunny']\n")


@pytest.mark.parametrize(
    ("headline", "event_type", "direction"),
    [
        ("Northwind raises its full-year guidance", "guidance_change", "up"),
        ("Orchard Retail cuts its annual outlook", "guidance_change", "down"),
        ("Quarry Tech reaffirms its full-year guidance", "guidance_change", "unchanged"),
        ("Broker downgrades Lumen Labs to sell", "analyst_action", "down"),
        ("Analyst upgrades Vantage Chips to buy", "analyst_action", "up"),
        ("Harbor Foods beats profit estimates", "earnings_results", "beat"),
        ("Cedar Motors misses revenue estimates", "earnings_results", "miss"),
        ("Maple Utilities suspends its dividend", "dividend", "down"),
        ("Moody's downgrades Coastal Airlines to junk", "credit_rating_action", "down"),
        ("Salesforce agrees to acquire Quarrystone", "mna", None),
    ],
)
def test_events_carry_their_direction(
    headline: str, event_type: str, direction: str | None
) -> None:
    event = next(e for e in detect_events(headline) if e.type == event_type)
    assert event_direction(event) == direction
