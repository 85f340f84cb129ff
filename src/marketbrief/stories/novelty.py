"""What a new article adds to its story: new facts versus repetition (pure, incremental).

A story remembers the facts of its articles: the content-word pairs of their sentences, their
numbers, their names and their words. A new article's sentence is new when fewer than half of
its word pairs were seen before in the story; a number is new when the story had not stated it;
a name when the story had not named it and had not used all of its words (so that a headline
in capitals does not make every word a new name).
Novelty is the weighted share of new items:

    novelty = (0.5·new sentences + 0.25·new numbers + 0.25·new names) / weights present

so 1.0 is all new (the first article of a story always is), 0.0 a pure repeat. Memory is capped
per story (``MAX_PAIRS``, ``MAX_ITEMS``): past the cap a story stops learning, and later facts
count as new rather than being forgotten silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketbrief.stories.text import Facts

SENTENCE_WEIGHT = 0.5
NUMBER_WEIGHT = 0.25
NAME_WEIGHT = 0.25
KNOWN_SHARE = 0.5  # a sentence with at least this share of known word pairs repeats the story
MAX_PAIRS = 20_000
MAX_ITEMS = 2_000
MAX_ADDED = 12  # new numbers and names kept per article for "what changed"
MAX_NEW_SENTENCES = 5


@dataclass(frozen=True, slots=True)
class Assessment:
    """How new one article is to its story, and what it added."""

    novelty: float  # 0..1
    added: tuple[str, ...]  # new numbers and names, as written
    new_sentences: tuple[tuple[int, int], ...]  # spans of new sentences in the article text


class StoryKnowledge:
    """The facts one story has stated so far."""

    __slots__ = ("names", "numbers", "pairs", "terms")

    def __init__(self) -> None:
        self.pairs: set[str] = set()
        self.numbers: set[str] = set()
        self.names: set[str] = set()
        self.terms: set[str] = set()

    def assess(self, facts: Facts) -> Assessment:
        """Novelty of ``facts`` against what the story knows (nothing is learnt here)."""
        parts: list[tuple[float, float]] = []
        new_spans = []
        if facts.sentences:
            for span, pairs in facts.sentences:
                known = sum(1 for pair in pairs if pair in self.pairs)
                if known < KNOWN_SHARE * len(pairs):
                    new_spans.append(span)
            parts.append((SENTENCE_WEIGHT, len(new_spans) / len(facts.sentences)))
        new_numbers = [written for n, written in facts.numbers.items() if n not in self.numbers]
        new_names = [
            written
            for name, written in facts.names.items()
            if name not in self.names and not all(w in self.terms for w in name.split())
        ]
        if facts.numbers:
            parts.append((NUMBER_WEIGHT, len(new_numbers) / len(facts.numbers)))
        if facts.names:
            parts.append((NAME_WEIGHT, len(new_names) / len(facts.names)))
        weight = sum(w for w, _ in parts)
        novelty = sum(w * share for w, share in parts) / weight if weight else 0.0
        added = tuple((new_numbers + new_names)[:MAX_ADDED])
        return Assessment(round(novelty, 4), added, tuple(new_spans[:MAX_NEW_SENTENCES]))

    def absorb(self, other: StoryKnowledge) -> None:
        """Know what ``other`` knows too (two stories became one)."""
        self.pairs |= other.pairs
        self.numbers |= other.numbers
        self.names |= other.names
        self.terms |= other.terms

    def learn(self, facts: Facts) -> None:
        for _, pairs in facts.sentences:
            if len(self.pairs) >= MAX_PAIRS:
                break
            self.pairs.update(pairs)
        if len(self.numbers) < MAX_ITEMS:
            self.numbers.update(facts.numbers)
        if len(self.names) < MAX_ITEMS:
            self.names.update(facts.names)
        if len(self.terms) < MAX_PAIRS:
            self.terms.update(facts.terms)
