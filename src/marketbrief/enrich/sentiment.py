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

The lexicon alone misses much of how finance news says good or bad ("reels in expectations",
"points to bookings weakness"), so by default a small learned model (``models/sentiment.npz``,
see ``classifier.py`` and ``models/MODEL.md``) reads the title and the lead sentences (a short
text whole, as the headlines it learned from), with the lexicon's score of each as features.
Article label and score come from its probabilities averaged over those parts (the title counts
twice, later sentences less); ``use_model=False`` gives the lexicon alone (the default with a
lexicon of one's own: the model learned from the packaged one's scores).

A company's sentiment reads only the sentences that mention it, and in a sentence of several
clauses ("X was cut to sell, while rival Y was raised to buy") only the clauses that do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from marketbrief.enrich.events import rule_features
from marketbrief.enrich.sentences import find_chrome_start, is_boilerplate, split_sentences
from marketbrief.errors import ConfigError
from marketbrief.model import Sentiment

if TYPE_CHECKING:  # numpy and the model load on first use, not at import
    import numpy as np
    import numpy.typing as npt

    from marketbrief.enrich.classifier import LinearClassifier

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

MODEL_NAME = "sentiment"
# The model learned from headlines and posts: a text up to this long is read whole, a longer
# one as its title and first ``MODEL_SENTENCES`` sentences.
SHORT_TEXT = 400
MODEL_SENTENCES = 3
COMPANY_UNITS = 4  # most sentences (or clauses) read for one company
# An article's score (the polar parts' mean polarity) makes a label from here: on the
# development headlines, p(positive) - p(negative) >= 0.4 agrees with the likeliest class on
# all but 0.5% of them.
ARTICLE_POLAR_AT = 0.4

__all__ = [
    "Lexicon",
    "default_lexicon",
    "lexicon_features",
    "model_features",
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
    # Sentences already scored, and texts whose model features are known: the article's
    # sentiment, then each company's, read the same lead sentences (bounded: _MEMO).
    scored: dict[str, tuple[float, float, bool]] = field(
        default_factory=dict, compare=False, repr=False
    )
    features: dict[str, tuple[float, ...]] = field(default_factory=dict, compare=False, repr=False)

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


def _score_items(items: list[_Item | str]) -> tuple[float, float, bool]:
    """Sums of the positive and of the negative polarities of one sentence's items, and
    whether any item had one."""
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
    positive = negative = 0.0
    found = False
    for i, item in polar:
        if item.value:
            found = True
            value = item.value * factors[i]
            if value > 0:
                positive += value
            else:
                negative += value
    return positive, negative, found


def _sentence_parts(sentence: str, lexicon: Lexicon) -> tuple[float, float, bool]:
    """The positive and negative sums of a sentence (a question's damped) and whether it has
    any cue."""
    known = lexicon.scored.get(sentence)
    if known is not None:
        return known
    positive, negative, found = _score_items(_match(_tokens(sentence, lexicon), lexicon))
    if sentence.rstrip().endswith("?"):
        positive *= QUESTION_FACTOR
        negative *= QUESTION_FACTOR
    _remember(lexicon.scored, sentence, (positive, negative, found))
    return positive, negative, found


_MEMO = 4096  # texts a lexicon remembers the scores and features of


def _remember(memo: dict[str, Any], key: str, value: Any) -> None:
    if len(memo) >= _MEMO:
        memo.clear()
    memo[key] = value


def _score_sentence(sentence: str, lexicon: Lexicon) -> tuple[float, bool]:
    positive, negative, found = _sentence_parts(sentence, lexicon)
    return positive + negative, found


def _squash(raw: float) -> float:
    return raw / math.sqrt(raw * raw + SQUASH)


def _label(score: float, positive_at: float = POSITIVE_AT, negative_at: float = NEGATIVE_AT) -> str:
    if score >= positive_at:
        return "positive"
    if score <= -negative_at:
        return "negative"
    return "neutral"


# the article's sentiment and each of its companies' ask for the same text's sentences
@lru_cache(maxsize=64)
def _body_sentences(text: str) -> tuple[tuple[int, int], ...]:
    cut = find_chrome_start(text)
    return tuple(
        (start, end)
        for start, end in split_sentences(text)
        if end <= cut and not is_boilerplate(text[start:end])
    )


def _lexicon_parts(
    text: str, title: str | None, lexicon: Lexicon
) -> tuple[float, float, float, bool]:
    """The lexicon's score of an article (-1..1), of its good and of its bad news alone, and
    whether any sentence had a cue."""
    scored: list[tuple[float, float, float, bool]] = []
    if title and title.strip():
        scored.append((TITLE_WEIGHT, *_sentence_parts(title, lexicon)))
    for position, (start, end) in enumerate(_body_sentences(text)):
        weight = 1.0 / (1.0 + 0.1 * position)  # the lead says what the story is
        scored.append((weight, *_sentence_parts(text[start:end], lexicon)))
    positive = negative = weights = 0.0
    for weight, good, bad, found in scored:
        if found:
            positive += weight * good
            negative += weight * bad
            weights += weight
    if weights:
        # Long texts add up many cues; dividing by the root of their weight keeps one strong
        # sentence decisive in a headline and many mild ones from saturating an article.
        root = math.sqrt(max(weights, 1.0))
        positive /= root
        negative /= root
    return _squash(positive + negative), _squash(positive), _squash(negative), weights > 0


def lexicon_features(text: str, *, lexicon: Lexicon | None = None) -> tuple[float, ...]:
    """The model's dense features of one text (a headline, a sentence): the lexicon's score,
    its positive and negative parts, the score of the good and of the bad news alone, whether
    any cue was found, and whether the text asks a question."""
    score, good, bad, found = _lexicon_parts(text, None, lexicon or default_lexicon())
    question = text.rstrip().endswith("?")
    return (
        score,
        max(score, 0.0),
        min(score, 0.0),
        good,
        bad,
        1.0 if found else 0.0,
        1.0 if question else 0.0,
    )


def model_features(text: str, *, lexicon: Lexicon | None = None) -> tuple[float, ...]:
    """All dense features of the model for one text: ``lexicon_features`` and what the event
    rules found (an analyst's downgrade, a dividend cut: events carry much of finance's tone)."""
    lexicon = lexicon or default_lexicon()
    features = lexicon.features.get(text)
    if features is None:
        features = (*lexicon_features(text, lexicon=lexicon), *rule_features(text))
        _remember(lexicon.features, text, features)
    return features


def _model(classifier: LinearClassifier | None) -> LinearClassifier:
    if classifier is not None:
        return classifier
    from marketbrief.enrich.classifier import load_classifier

    return load_classifier(MODEL_NAME)


def _polarity(
    model: LinearClassifier, probabilities: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    return probabilities[:, model.index("positive")] - probabilities[:, model.index("negative")]


def score_sentiment(
    text: str,
    *,
    title: str | None = None,
    lexicon: Lexicon | None = None,
    classifier: LinearClassifier | None = None,
    use_model: bool | None = None,
) -> Sentiment:
    """The tone of an article: a label (positive, negative, neutral) and a score in -1..1.

    ``classifier`` defaults to the packaged model; ``use_model=False`` scores with the lexicon
    alone, which is the default when a ``lexicon`` is given (the model learned from the
    packaged lexicon's scores)."""
    if use_model is None:
        use_model = lexicon is None
    lexicon = lexicon or default_lexicon()
    if not use_model:
        score = _lexicon_parts(text, title, lexicon)[0]
        return Sentiment(_label(score), round(score, 4))
    units: list[str] = []
    weights: list[float] = []
    dense: list[tuple[float, ...]] = []
    if title and title.strip():
        units.append(title)
        weights.append(TITLE_WEIGHT)
        dense.append(model_features(title, lexicon=lexicon))
    sentences = _body_sentences(text)
    if sentences and sentences[-1][1] - sentences[0][0] <= SHORT_TEXT:
        body = text[sentences[0][0] : sentences[-1][1]]
        units.append(body)
        weights.append(1.0)
        dense.append(model_features(body, lexicon=lexicon))
    else:
        for position, (start, end) in enumerate(sentences[:MODEL_SENTENCES]):
            units.append(text[start:end])
            weights.append(1.0 / (1.0 + 0.1 * position))
            dense.append(model_features(text[start:end], lexicon=lexicon))
    if not units:
        return Sentiment("neutral", 0.0)
    model = _model(classifier)
    probabilities = model.probabilities(units, dense)
    if len(units) == 1:  # a headline or a post, as the model learned: its likeliest class
        label = model.classes[int(probabilities[0].argmax())]
        score = round(float(_polarity(model, probabilities)[0]), 4)
    else:
        # An article: most of its sentences state facts, so the mean of the parts' classes is
        # nearly always neutral. Its tone is that of its polar parts: each part's polarity,
        # weighted by its place and by how far it is from neutral.
        polar = (1.0 - probabilities[:, model.index("neutral")]) * weights
        polarity = _polarity(model, probabilities)
        score = round(float(polar @ polarity / max(float(polar.sum()), 1e-9)), 4)
        label = _label(score, ARTICLE_POLAR_AT, ARTICLE_POLAR_AT)
    # the sign of the label must show in the score even when rounded
    if label == "positive":
        score = max(score, 0.0001)
    elif label == "negative":
        score = min(score, -0.0001)
    return Sentiment(label, score)


_CLAUSE = re.compile(
    r";|,?\s+(?:but|while|whereas|although|though|however|yet|unlike)\s+",
    re.IGNORECASE,
)


def _company_units(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentences of ``text`` that mention one of ``spans``; in a sentence of several
    clauses, only the clauses that do."""
    units: list[tuple[int, int]] = []
    for start, end in _body_sentences(text):
        if not any(s < end and start < e for s, e in spans):
            continue
        bounds = [start]
        for match in _CLAUSE.finditer(text, start, end):
            bounds += [match.start(), match.end()]
        bounds.append(end)
        clauses = [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if b > a]
        if len(clauses) > 1:
            units += [(a, b) for a, b in clauses if any(s < b and a < e for s, e in spans)]
        else:
            units.append((start, end))
    return units[:COMPANY_UNITS]


def score_company_sentiment(
    text: str,
    spans: Sequence[tuple[int, int]],
    *,
    lexicon: Lexicon | None = None,
    classifier: LinearClassifier | None = None,
    use_model: bool | None = None,
) -> float | None:
    """Sentiment (-1..1) of the sentences of ``text`` that contain one of ``spans`` (of the
    clauses that do, in a sentence of several).

    ``None`` when no span falls in a sentence, or when none of those sentences says anything
    good or bad (no lexicon cue, and the model finds each one neutral).
    """
    if use_model is None:
        use_model = lexicon is None
    lexicon = lexicon or default_lexicon()
    units = _company_units(text, spans)
    scored = [_score_sentence(text[a:b], lexicon) for a, b in units]
    if not use_model:
        found = [value for value, cue in scored if cue]
        if not found:
            return None
        return round(_squash(sum(found) / math.sqrt(len(found))), 4)
    if not units:
        return None
    model = _model(classifier)
    probabilities = model.probabilities(
        [text[a:b] for a, b in units],
        [model_features(text[a:b], lexicon=lexicon) for a, b in units],
    )
    neutral = model.index("neutral")
    if not any(cue for _, cue in scored) and bool((probabilities.argmax(axis=1) == neutral).all()):
        return None
    return round(float(_polarity(model, probabilities).mean()), 4)
