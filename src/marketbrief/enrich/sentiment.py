"""Good or bad news: article sentiment and the sentiment of the sentences about one company.

A lexicon method built for financial news (``data/sentiment_lexicon.tsv``), because there the
polarity of a word often depends on what it moves: "revenue rose" is good, "losses rose" bad,
"cuts guidance" bad, "cuts costs" good. So the lexicon has, besides plain cue words ("beat",
"downgrade", "bankruptcy"), *direction* words (rise, fall, raise, cut) and *quantities* of
which more is good (revenue, guidance, price target) or bad (losses, unemployment, costs); a
direction next to a quantity is scored as the pair. On top of that:

- negation ("did not beat", "no longer", "failed to") flips what follows within three words;
- boosters ("sharply", "record") and hedges ("slightly", "may") scale the nearest cue;
- after a turn ("but", "however") a clause counts more and the one before it less;
- a signed percentage ("+4.3%", "-2.5%") is a move of the subject;
- questions count less (a headline asking "Can X rally?" asserts nothing);
- the title counts twice, lead sentences more than later ones.

Sentence scores are summed and squashed to -1..1; a label needs the score past a neutral band
tuned on the development data (see ``evals/classify.md``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from marketbrief.enrich.sentences import find_chrome_start, is_boilerplate, split_sentences
from marketbrief.errors import ConfigError
from marketbrief.model import Sentiment

LEXICON_FILE = "sentiment_lexicon.tsv"

# Tuned on the development set (twitter-financial-news sentiment, train split): a score inside
# (-NEGATIVE_AT, POSITIVE_AT) is neutral. Financial news is mostly neutral, so one mild cue is
# not enough to call it.
POSITIVE_AT = 0.35
NEGATIVE_AT = 0.35
# raw / sqrt(raw² + SQUASH): raw 1 → 0.45, raw 2 → 0.71, raw 4 → 0.89.
SQUASH = 4.0
TITLE_WEIGHT = 2.0
QUESTION_FACTOR = 0.6
NEGATION_REACH = 3  # words after a negator that it can flip
BOOSTER_REACH = 2
BINDING_REACH = 3  # words between a direction and the quantity it moves
PAIR_FACTOR = 1.2  # a direction with its quantity says more than either alone
TRANSITIVE_ALONE = 0.6  # "cuts" with no object in reach: what was cut is unknown
NUMBER_FACTOR = 1.5  # "up 12%": a quantified move

__all__ = [
    "Lexicon",
    "default_lexicon",
    "parse_lexicon",
    "score_company_sentiment",
    "score_sentiment",
]

_KINDS = frozenset(
    {
        "cue",
        "up",
        "down",
        "raise",
        "cut",
        "high",
        "low",
        "good",
        "bad",
        "negator",
        "booster",
        "contrast",
    }
)


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str
    value: float
    alone: float = 0.0  # for quantities: the polarity when nothing moves them


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Terms (tuples of words) to entries; ``longest`` is the most words in one term."""

    entries: dict[tuple[str, ...], _Entry]
    longest: int
    # Derived from ``entries``: per first word, the most words in a term that starts with it
    # (matching tries no longer terms there, and none at a word that starts no term).
    reach: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.reach:
            for term in self.entries:
                if len(term) > self.reach.get(term[0], 0):
                    self.reach[term[0]] = len(term)


def _inflections(stem: str) -> set[str]:
    forms = {stem, stem + "s", stem + "es", stem + "ed", stem + "d", stem + "ing", stem + "er"}
    if stem.endswith("e"):
        forms |= {stem[:-1] + "ing", stem[:-1] + "ed"}
    if stem.endswith("y"):
        forms |= {stem[:-1] + "ies", stem[:-1] + "ied"}
    if len(stem) >= 3 and stem[-1] not in "aeiouwxy" and stem[-2] in "aeiou":
        forms |= {stem + stem[-1] + "ed", stem + stem[-1] + "ing", stem + stem[-1] + "er"}
    return forms


def parse_lexicon(tsv_text: str, *, source: str = LEXICON_FILE) -> Lexicon:
    """Read a lexicon in the format of ``data/sentiment_lexicon.tsv``; ``ConfigError`` if bad."""
    explicit: dict[tuple[str, ...], _Entry] = {}
    inflected: dict[tuple[str, ...], _Entry] = {}
    for number, line in enumerate(tsv_text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        key = f"{source}:{number}"
        if len(fields) not in (3, 4):
            raise ConfigError("expected term, kind, value[, alone]", key=key)
        term, kind = fields[0].strip().lower(), fields[1].strip()
        if kind not in _KINDS or not term:
            raise ConfigError(f"unknown kind {kind!r} or empty term", key=key)
        try:
            value = float(fields[2])
            alone = float(fields[3]) if len(fields) == 4 else 0.0
        except ValueError as exc:
            raise ConfigError("value and alone must be numbers", key=key) from exc
        entry = _Entry(kind, value, alone)
        words = term.split()
        if words[-1].endswith("*"):
            for form in _inflections(words[-1][:-1]):
                inflected.setdefault((*words[:-1], form), entry)
        else:
            explicit.setdefault(tuple(words), entry)
    entries = {**inflected, **explicit}  # a spelt-out term wins over an inflected form
    return Lexicon(entries=entries, longest=max((len(k) for k in entries), default=1))


@cache
def default_lexicon() -> Lexicon:
    """The packaged lexicon, read once."""
    text = resources.files("marketbrief.enrich").joinpath("data", LEXICON_FILE).read_text("utf-8")
    return parse_lexicon(text)


# ── tokens ───────────────────────────────────────────────────────────────────────────────────

_URL = re.compile(r"https?://\S+|www\.\S+|@\w+|#\w+")
_TOKEN = re.compile(
    r"""(?P<cash>\$[a-z][a-z.]{0,6}(?![\w]))
      | (?P<pct>[+\-−]\s?\d+(?:[.,]\d+)?\s?%)
      | (?P<num>[$€£]?\d+(?:[.,]\d+)*%?[a-z]{0,3})
      | (?P<word>(?:\d+-)?[a-z&]+(?:['\-][a-z&]+)*)
      | (?P<comma>,)
      | (?P<punct>[;:!?()|–—]|\.(?!\d)|\s-\s)""",
    re.VERBOSE,
)
_BREAK = "<p>"
_COMMA = "<c>"
_BREAKS = frozenset({_BREAK, _COMMA})


def _tokens(sentence: str, lexicon: Lexicon) -> list[str]:
    """Lower-case words, "<c>" for commas and "<p>" for other clause punctuation, "+%"/"-%" for
    signed percentages and "<n>" for other numbers."""
    text = _URL.sub(" ", sentence.lower().replace("’", "'").replace("‘", "'"))
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        token = match.group(0)
        if kind == "word":
            if "-" in token and (token,) not in lexicon.entries:
                out.extend(part for part in token.split("-") if part)
            else:
                out.append(token)
        elif kind == "pct":
            out.append("-%" if token[0] in "-−" else "+%")
        elif kind == "num":
            out.append("<n>")
        elif kind == "comma":
            out.append(_COMMA)
        elif kind == "punct":
            out.append(_BREAK)
        # cashtags carry no polarity
    return out


@dataclass(slots=True)
class _Item:
    entry: _Entry
    value: float = 0.0
    bound: bool = False  # a quantity a direction word moved: it has no value of its own


def _match(tokens: list[str], lexicon: Lexicon) -> list[_Item | str]:
    """The tokens with the longest lexicon terms matched; unmatched words stay strings."""
    out: list[_Item | str] = []
    entries, reach, count = lexicon.entries, lexicon.reach, len(tokens)
    i = 0
    while i < count:
        token = tokens[i]
        for size in range(min(reach.get(token, 0), count - i), 0, -1):
            entry = entries.get(tuple(tokens[i : i + size]) if size > 1 else (token,))
            if entry is not None:
                out.append(_Item(entry))
                i += size
                break
        else:
            if token in ("+%", "-%"):
                out.append(_Item(_Entry("move", 1.0 if token == "+%" else -1.0)))
            else:
                out.append(token)
            i += 1
    return out


def _near(
    items: list[_Item | str],
    at: int,
    reach: int,
    kinds: frozenset[str],
    *,
    after_first: bool = True,
) -> _Item | None:
    """The nearest item of ``kinds`` within ``reach`` words of ``at``, in the same clause;
    at equal distance the one after (``after_first``) or before it."""
    for distance in range(1, reach + 1):
        order = (at + distance, at - distance) if after_first else (at - distance, at + distance)
        for j in order:
            if not 0 <= j < len(items):
                continue
            lo, hi = min(at, j), max(at, j)
            if any(items[k] in _BREAKS for k in range(lo + 1, hi) if isinstance(items[k], str)):
                continue
            item = items[j]
            if isinstance(item, _Item) and item.entry.kind in kinds:
                return item
    return None


_QUANTITIES = frozenset({"good", "bad"})


def _subject(items: list[_Item | str], at: int) -> _Item | None:
    """The nearest free quantity before ``at`` in its sentence, across commas: the subject of
    a move told after it ("Earnings per share were 10 cents, down from 25 cents")."""
    for j in range(at - 1, -1, -1):
        item = items[j]
        if item == _BREAK:
            return None
        if isinstance(item, _Item):
            if item.entry.kind in _DIRECTIONS or item.entry.kind in _LEVELS:
                return None  # that move had its own subject
            if item.entry.kind in ("good", "bad") and not item.bound:
                return item
    return None


_DIRECTIONS = frozenset({"up", "down", "raise", "cut"})
_TRANSITIVE = frozenset({"raise", "cut"})
_LEVELS = frozenset({"high", "low"})
_POLAR = frozenset({"cue", "move", "good", "bad"}) | _DIRECTIONS | _LEVELS
LEVEL_REACH = 5  # words back from a level ("two-year low") to the move that reached it


def _is_number(item: _Item | str) -> bool:
    return item == "<n>" or (isinstance(item, _Item) and item.entry.kind == "move")


def _score_level(items: list[_Item | str], at: int, level: _Item) -> None:
    """A level reached ("record high"): it strengthens the move that reached it, else it is a
    move of the quantity it is about (a record low of unemployment is good news)."""
    for j in range(at - 1, max(at - 1 - LEVEL_REACH, -1), -1):
        before = items[j]
        if isinstance(before, str) and before in _BREAKS:
            break
        if isinstance(before, _Item) and before.entry.kind in _DIRECTIONS and before.value:
            before.value *= 1.0 + level.entry.value / 2
            return
    sign = 1.0 if level.entry.kind == "high" else -1.0
    quantity = _near(items, at, BINDING_REACH, _QUANTITIES, after_first=False)
    if quantity is None:
        level.value = sign * level.entry.value
    else:
        quantity.bound = True
        q_sign = 1.0 if quantity.entry.kind == "good" else -1.0
        level.value = sign * q_sign * PAIR_FACTOR * (level.entry.value + quantity.entry.value) / 2


def _score_items(items: list[_Item | str]) -> tuple[float, bool]:
    """Sum of the polarities of one sentence's items, and whether any item had one."""
    polar = [(i, it) for i, it in enumerate(items) if isinstance(it, _Item)]
    # 1. directions take their polarity from the quantity they move, else their own
    for i, item in polar:
        kind = item.entry.kind
        if kind in _DIRECTIONS:
            sign = 1.0 if kind in ("up", "raise") else -1.0
            transitive = kind in _TRANSITIVE
            quantity = _near(items, i, BINDING_REACH, _QUANTITIES, after_first=transitive)
            if quantity is None and not transitive:
                quantity = _subject(items, i)
            if quantity is None:
                item.value = sign * item.entry.value * (TRANSITIVE_ALONE if transitive else 1.0)
            else:
                quantity.bound = True
                q_sign = 1.0 if quantity.entry.kind == "good" else -1.0
                strength = PAIR_FACTOR * (item.entry.value + quantity.entry.value) / 2
                item.value = sign * q_sign * strength
            if any(_is_number(items[j]) for j in range(i + 1, min(i + 3, len(items)))):
                item.value *= NUMBER_FACTOR
        elif kind in ("cue", "move"):  # "move": a signed percentage, "+4%"
            item.value = item.entry.value
    for i, item in polar:
        if item.entry.kind in _LEVELS:
            _score_level(items, i, item)
    for _, item in polar:
        if item.entry.kind in _QUANTITIES and not item.bound:
            item.value = item.entry.alone
    # 2. boosters and hedges scale the nearest polar item
    for i, item in polar:
        if item.entry.kind == "booster":
            target = _near(items, i, BOOSTER_REACH, _POLAR)
            if target is not None:
                target.value *= item.entry.value
    # 3. negators flip the first polar item after them, within the clause
    for i, item in polar:
        if item.entry.kind == "negator":
            for j in range(i + 1, min(i + 1 + NEGATION_REACH, len(items))):
                after = items[j]
                if isinstance(after, str) and after in _BREAKS:
                    break
                if isinstance(after, _Item) and after.value:
                    after.value *= item.entry.value
                    break
    # 4. turns. After the last promoting turn ("but") a clause counts ``value`` times and what
    #    precedes it 1/``value``; a demoting turn ("despite", "after") scales its own clause,
    #    up to the next punctuation, by ``value`` and leaves the main clause as it is.
    factors = [1.0] * len(items)
    promoting = [(i, it.entry.value) for i, it in polar if it.entry.kind == "contrast"]
    but = [(i, v) for i, v in promoting if v > 1.0]
    if but:
        at, value = but[-1]
        factors = [1.0 / value if k < at else value for k in range(len(items))]
    for at, value in promoting:
        if value < 1.0:
            for k in range(at + 1, len(items)):
                item_k = items[k]
                if isinstance(item_k, str) and item_k in _BREAKS:
                    break
                factors[k] *= value
    total = 0.0
    found = False
    for i, item in polar:
        if item.value:
            found = True
            total += item.value * factors[i]
    return total, found


def _score_sentence(sentence: str, lexicon: Lexicon) -> tuple[float, bool]:
    items = _match(_tokens(sentence, lexicon), lexicon)
    total, found = _score_items(items)
    if sentence.rstrip().endswith("?"):
        total *= QUESTION_FACTOR
    return total, found


def _squash(raw: float) -> float:
    return raw / math.sqrt(raw * raw + SQUASH)


def _label(score: float) -> str:
    if score >= POSITIVE_AT:
        return "positive"
    if score <= -NEGATIVE_AT:
        return "negative"
    return "neutral"


def _body_sentences(text: str) -> list[tuple[int, int]]:
    cut = find_chrome_start(text)
    return [
        (start, end)
        for start, end in split_sentences(text)
        if end <= cut and not is_boilerplate(text[start:end])
    ]


def score_sentiment(
    text: str, *, title: str | None = None, lexicon: Lexicon | None = None
) -> Sentiment:
    """The tone of an article: a label (positive, negative, neutral) and a score in -1..1."""
    lexicon = lexicon or default_lexicon()
    raw = 0.0
    weights = 0.0
    scored: list[tuple[float, float, bool]] = []
    if title and title.strip():
        scored.append((TITLE_WEIGHT, *_score_sentence(title, lexicon)))
    for position, (start, end) in enumerate(_body_sentences(text)):
        weight = 1.0 / (1.0 + 0.1 * position)  # the lead says what the story is
        scored.append((weight, *_score_sentence(text[start:end], lexicon)))
    for weight, value, found in scored:
        if found:
            raw += weight * value
            weights += weight
    if weights:
        # Long texts add up many cues; dividing by the root of their weight keeps one strong
        # sentence decisive in a headline and many mild ones from saturating an article.
        raw /= math.sqrt(max(weights, 1.0))
    score = _squash(raw)
    return Sentiment(_label(score), round(score, 4))


def score_company_sentiment(
    text: str, spans: Sequence[tuple[int, int]], *, lexicon: Lexicon | None = None
) -> float | None:
    """Sentiment (-1..1) of the sentences of ``text`` that contain one of ``spans``.

    ``None`` when those sentences carry no sentiment cue (or no span falls in a sentence).
    """
    lexicon = lexicon or default_lexicon()
    chosen = [
        (start, end)
        for start, end in _body_sentences(text)
        if any(s < end and start < e for s, e in spans)
    ]
    raw = 0.0
    count = 0
    for start, end in chosen:
        value, found = _score_sentence(text[start:end], lexicon)
        if found:
            raw += value
            count += 1
    if not count:
        return None
    return round(_squash(raw / math.sqrt(count)), 4)
