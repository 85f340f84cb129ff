"""Entities: people, organisations and events found by rules, merged with the knowledge base's.

``data/entity_sentences.txt`` is marketbrief's own sample text (written for these tests, not
taken from any article): 108 sentences with every PERSON, ORG and EVENT mention marked by hand.
The first 78 were written alongside the rules; the last 30 were written and marked before the
rules first saw them (first run: P 0.95, R 0.83; after two general fixes, a legal form such as
"Co." joining a company's name and "Club" as a head word: P 0.97, R 0.88). Precision and recall
on the whole set are held above floors.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketbrief.enrich import entities as entities_module
from marketbrief.enrich.entities import find_entities, read_names
from marketbrief.enrich.kb import KnowledgeBase, load_kb

SENTENCES = Path(__file__).resolve().parent / "data" / "entity_sentences.txt"
SCORED = frozenset({"PERSON", "ORG", "EVENT"})


@dataclass(frozen=True)
class Sample:
    text: str
    expected: tuple[tuple[str, str], ...]  # (text, type), one per mention


def read_samples() -> list[Sample]:
    lines = [
        line
        for line in SENTENCES.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    samples = []
    for text, marks in zip(lines[::2], lines[1::2], strict=True):
        assert marks.startswith("="), f"no '=' line after {text!r}"
        body = marks[1:].strip()
        expected = tuple(
            (item.rsplit("/", 1)[0], item.rsplit("/", 1)[1]) for item in body.split("; ") if item
        )
        samples.append(Sample(text, expected))
    return samples


SAMPLES = read_samples()


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


def found(text: str, kb: KnowledgeBase) -> list[tuple[str, str]]:
    return [(e.span.text, e.type) for e in find_entities(text, kb) if e.type in SCORED]


def score(kb: KnowledgeBase) -> tuple[float, float, dict[str, tuple[int, int, int]]]:
    """Micro precision and recall over the set, and (true, predicted, gold) counts per type."""
    counts: dict[str, list[int]] = {kind: [0, 0, 0] for kind in SCORED}
    for sample in SAMPLES:
        gold, predicted = Counter(sample.expected), Counter(found(sample.text, kb))
        for (_, kind), n in (gold & predicted).items():
            counts[kind][0] += n
        for (_, kind), n in predicted.items():
            counts[kind][1] += n
        for (_, kind), n in gold.items():
            counts[kind][2] += n
    true, predicted_total, gold_total = (sum(c[i] for c in counts.values()) for i in range(3))
    per_type = {kind: (c[0], c[1], c[2]) for kind, c in counts.items()}
    return true / predicted_total, true / gold_total, per_type


# ── the sample set ───────────────────────────────────────────────────────────────────────────


def test_the_sample_set_is_large_and_well_formed() -> None:
    assert len(SAMPLES) >= 40
    assert len({s.text for s in SAMPLES}) == len(SAMPLES)
    for sample in SAMPLES:
        for mention, kind in sample.expected:
            assert kind in SCORED, (sample.text, kind)
            assert sample.text.count(mention) >= sum(
                1 for m, _ in sample.expected if m == mention
            ), (sample.text, mention)


def test_precision_and_recall_on_the_sample_set(kb: KnowledgeBase) -> None:
    # Measured on the whole set (PERSON, ORG and EVENT together): P 0.99, R 0.95. The set is
    # written by the rules' authors, so it flatters them: the 30 sentences written blind scored
    # P 0.95 / R 0.83 at first sight, which is about what to expect of new text. The floors sit
    # a few points under the measured figures: a change that loses 6 of the 179 marked mentions
    # (R < 0.92), or adds 5 wrong ones (P < 0.97), fails here and gets looked at.
    precision, recall, per_type = score(kb)
    assert precision >= 0.97, (precision, per_type)
    assert recall >= 0.92, (recall, per_type)
    for kind, (true, predicted, gold) in per_type.items():
        assert predicted and true / predicted >= 0.9, (kind, per_type)
        assert true / gold >= 0.8, (kind, per_type)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the knowledge base wins on overlap: the company is ORG, the person next to it PERSON
        ("Apple CEO Tim Cook spoke.", [("Apple", "ORG"), ("Tim Cook", "PERSON")]),
        # a place inside an institution's or an event's name is part of the name
        (
            "The Bank of England sent staff to the Paris Air Show.",
            [("Bank of England", "ORG"), ("Paris Air Show", "EVENT")],
        ),
        # a company's legal form belongs to its name
        ("Walt Disney Co. said ticket sales rose.", [("Walt Disney Co.", "ORG")]),
        # a surname alone is a person only after the full name
        ("Roe said sales rose.", []),
        (
            "Jane Roe, 61, retired. Roe said sales rose.",
            [("Jane Roe", "PERSON"), ("Roe", "PERSON")],
        ),
        # a firm named in full is later named short
        (
            "Quillfield Capital lost money, a spokesman for Quillfield said.",
            [("Quillfield Capital", "ORG"), ("Quillfield", "ORG")],
        ),
        # sentence-initial words, months, weekdays and descriptions are not names
        ("Shares of small banks fell on Monday.", []),
        ("Central Bank officials said in March that Pension Fund rules would change.", []),
    ],
)
def test_behaviours(text: str, expected: list[tuple[str, str]], kb: KnowledgeBase) -> None:
    assert found(text, kb) == expected


def test_a_headline_line_gives_no_rule_people(kb: KnowledgeBase) -> None:
    text = "Powell Signals Patience as Traders Look Past July Meeting\nMarkets were calm."
    assert [e for e in find_entities(text, kb) if e.type == "PERSON"] == []
    # …but a surname met in the text is that person in its headline too
    text = "Powell Signals Patience\nFed Chair Jerome Powell said rates would stay high."
    people = [e.span.text for e in find_entities(text, kb) if e.type == "PERSON"]
    assert people == ["Powell", "Jerome Powell"]


def test_the_title_helps_but_gives_no_entities(kb: KnowledgeBase) -> None:
    title = "Jane Roe, chief executive of Quillfield Capital, quits"
    assert find_entities("Shares rose on Monday.", kb, title=title) == ()


def test_nothing_is_tagged_in_trailing_chrome(kb: KnowledgeBase) -> None:
    article = "Jane Roe, chief executive of Quillfield Capital, said demand was strong.\n"
    chrome = "Latest Articles\nFederal Reserve Chair Jerome Powell Speaks\nSubscribe"
    entities = find_entities(article + chrome, kb)
    assert entities and all(e.span.end <= len(article) for e in entities)


def test_the_name_list_is_well_formed() -> None:
    names = read_names(
        (Path(entities_module.__file__).parent / "data" / entities_module.NAMES_FILE).read_text(
            encoding="utf-8"
        )
    )
    assert len(names) > 300
    assert {"Federal Reserve", "OPEC", "Super Bowl", "Black Friday"} <= names.keys()
    assert set(names.values()) <= {"ORG", "EVENT", "GPE", "NONE"}


def test_a_bad_name_list_row_is_an_error() -> None:
    with pytest.raises(ValueError, match="bad row"):
        read_names("name,type\nFederal Reserve,BANK\n")
    with pytest.raises(ValueError, match="bad row"):
        read_names("name,type\nFederal Reserve,ORG,extra\n")


# ── any text ─────────────────────────────────────────────────────────────────────────────────

_WORDS = [
    "said",
    "Mr.",
    "Jane",
    "Roe",
    "Chief",
    "Executive",
    "of",
    "the",
    "Bank",
    "England",
    "Fed",
    "President",
    "Joe",
    "Biden",
    "Federal",
    "Reserve",
    "Apple",
    "CEO",
    "Tim",
    "Cook",
    "Super",
    "Bowl",
    "and",
    "Commission",
    "Securities",
    "Exchange",
    "(QRG)",
    "QRG",
    "analyst",
    "at",
    "Quillfield",
    "Capital",
    "Inc.",
    "'s",
    ",",
    ".",
    "\n",
    "von",
    "der",
    "&",
    "Day",
    "Prime",
    "Paris",
    "Air",
    "Show",
    "who",
    "Hurricane",
    "U.S.",
    "told",
    "Latest Articles",
    "é",
    "’s",
]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(_WORDS), max_size=60).map(" ".join),
        st.lists(st.sampled_from(_WORDS), max_size=60).map("".join),
    )
)
def test_any_text(text: str) -> None:
    kb = load_kb()
    entities = find_entities(text, kb)
    previous_end = 0
    for entity in entities:
        assert 0 <= entity.span.start < entity.span.end <= len(text)
        assert text[entity.span.start : entity.span.end] == entity.span.text
        assert entity.span.start >= previous_end  # in order, none overlapping
        previous_end = entity.span.end
        assert entity.type in {"PERSON", "ORG", "GPE", "PRODUCT", "EVENT"}
    assert find_entities(text, kb) == entities  # deterministic
