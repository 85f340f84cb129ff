"""The events prefilter is an optimisation only: with it or without it, the same events.

The prefilter is derived automatically from the rules file, so a rule edited later could need
words the derivation gets wrong; this property test catches that on text built from the rules'
own vocabulary, in random case.
"""

from __future__ import annotations

import dataclasses
import re
from importlib import resources

from hypothesis import given, settings
from hypothesis import strategies as st

from marketbrief.enrich.events import default_event_rules, detect_events

RULES = default_event_rules()
UNFILTERED = dataclasses.replace(RULES, prefilter=None)
VOCABULARY = sorted(
    set(
        re.findall(
            r"[A-Za-z][A-Za-z'-]{1,}",
            (resources.files("marketbrief.enrich") / "data" / "event_rules.toml").read_text(
                encoding="utf-8"
            ),
        )
    )
)
FILLER = ["the", "a", "of", "shares", "Inc.", "said", "on", "in", "$3 billion", "."]
words = st.sampled_from(VOCABULARY) | st.sampled_from(FILLER)
cased = st.tuples(words, st.sampled_from(["lower", "title", "upper", "keep"])).map(
    lambda pair: {"lower": pair[0].lower(), "title": pair[0].title(), "upper": pair[0].upper()}.get(
        pair[1], pair[0]
    )
)
sentences = st.lists(cased, min_size=3, max_size=40).map(" ".join)


def test_the_vocabulary_is_rich_enough_to_matter() -> None:
    assert len(VOCABULARY) > 200
    found = {e.type for e in detect_events(" ".join(VOCABULARY), rules=UNFILTERED)}
    assert len(found) >= 10  # the generated texts do trigger rules


@settings(max_examples=300, deadline=None)
@given(st.lists(sentences, min_size=1, max_size=4).map(". ".join), st.none() | sentences)
def test_prefilter_never_changes_the_events(text: str, title: str | None) -> None:
    assert detect_events(text, title=title, rules=RULES) == detect_events(
        text, title=title, rules=UNFILTERED
    )
