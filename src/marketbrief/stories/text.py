"""What story grouping reads in an article: weighted terms, sentences, numbers and names (pure).

Terms are content words: lower-cased, English function words and reporting verbs dropped, a
plural ``-s`` taken off. Only the title and the lead count (``LEAD_WORDS`` content words of the
body): the lead is where a news article says what happened, and it keeps a 2,000-word feature
and a two-line wire brief comparable under one similarity threshold. Title words count twice
and numbers one and a half times: numbers are what tells two developments of the same topic
apart ("magnitude 6.1 … Aceh" vs "magnitude 7.2 … Sumatra"). Names are not boosted: on business
news the commonest names are the companies, which every story about a company shares, and a
boost merged more different developments of one company (measured on SENTiVENT articles).

Facts are what novelty compares: content-word pairs of each sentence, numbers, and names.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

LEAD_WORDS = 30  # content words of the body that make an article's terms
TITLE_WEIGHT = 2.0
NUMBER_WEIGHT = 1.5

# Function words, auxiliaries and the reporting verbs every article has. Lower-case.
_STOP_WORDS = """
    a about above across after again against all almost along already also although always am
    among an and another any anyone anything are around as at away back be became because become
    been before being below between both but by can cannot could did do does doing done down
    during each either else enough even ever every few for from further get gets got had has
    have having he her here hers herself him himself his how however i if in into is it its
    itself just least less let like made make many may me might more most much must my myself
    near need neither never no nor not now of off often on once one only or other others otherwise
    our ours ourselves out over own per perhaps rather same several shall she should since so
    some someone something still such than that the their theirs them themselves then there
    these they this those though through thus to too toward towards under until up upon us very
    via was we well were what whatever when where whether which while who whom whose why will
    with within without would yet you your yours yourself yourselves
    s t ll ve re d m don didn doesn isn wasn aren weren won wouldn shouldn couldn hasn haven hadn
    said says say saying told tell tells according reported reports reporting added adding
    mr mrs ms dr inc corp co ltd llc plc
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W\d_]+(?:['’][^\W\d_]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n+")


_NOT_PLURAL = frozenset(("news", "series", "species", "means", "always", "perhaps", "sometimes"))


def stem(word: str) -> str:
    """A light stem of a lower-case word: possessive and plural endings off, nothing more."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 3 and word.endswith("s") and word not in _NOT_PLURAL:
        if word.endswith("ies") and len(word) > 4:
            return word[:-3] + "y"
        if word.endswith("sses"):
            return word[:-2]
        if not word.endswith(("ss", "us", "is", "ous")):
            return word[:-1]
    return word


def normalize_number(token: str) -> str:
    """``1,200`` and ``1200`` are one number; a trailing ``%`` stays (5 and 5% differ)."""
    return token.replace(",", "")


@dataclass(frozen=True, slots=True)
class Token:
    """A content word or number of a text, with where it is and how it was written."""

    term: str  # lower-case stem, or a normalised number
    start: int
    end: int
    is_name: bool  # capitalised inside a sentence
    is_number: bool


# Lower-case word → its term, "" for a word that is not content; bounded, as a cache.
_TERMS: dict[str, str] = {}
_MAX_TERMS = 500_000


def _term_of(lower: str) -> str:
    term = _TERMS.get(lower)
    if term is None:
        term = "" if lower in STOP_WORDS or len(lower) < 2 else stem(lower)
        if term in STOP_WORDS:
            term = ""
        if len(_TERMS) >= _MAX_TERMS:
            _TERMS.clear()
        _TERMS[lower] = term
    return term


def content_tokens(text: str, *, limit: int | None = None) -> list[Token]:
    """Content words and numbers of ``text`` in order (at most ``limit`` of them)."""
    tokens: list[Token] = []
    append = tokens.append
    for match in _TOKEN.finditer(text):
        raw = match.group()
        start, end = match.span()
        if raw[0].isdigit():
            append(Token(normalize_number(raw), start, end, False, True))
        else:
            term = _term_of(raw.lower())
            if not term:
                continue
            append(Token(term, start, end, raw[0].isupper() and _inside(text, start), False))
        if limit is not None and len(tokens) >= limit:
            break
    return tokens


def _inside(text: str, start: int) -> bool:
    """Not where a sentence's first word would be (a capital there is no sign of a name)."""
    before = text[max(0, start - 3) : start].rstrip(" \t\"'“‘(")
    return bool(before) and before[-1] not in ".!?:\n…"


def article_terms(title: str, text: str) -> dict[str, float]:
    """Term weights of an article: its title (twice) and the lead of its body, numbers
    boosted."""
    weights: dict[str, float] = {}
    for source, base, limit in ((title, TITLE_WEIGHT, None), (text, 1.0, LEAD_WORDS)):
        for token in content_tokens(source, limit=limit):
            weight = base * NUMBER_WEIGHT if token.is_number else base
            weights[token.term] = weights.get(token.term, 0.0) + weight
    return weights


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` spans of the sentences of ``text``: breaks at ``.!?`` before a capital
    or a digit, and at line ends. Rough on abbreviations, which novelty can afford."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        _add_span(text, start, match.start(), spans)
        start = match.end()
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


@dataclass(frozen=True, slots=True)
class Facts:
    """What an article states, in forms that can be compared with what a story already has."""

    sentences: tuple[tuple[tuple[int, int], frozenset[str]], ...]  # span, content-word pairs
    numbers: dict[str, str]  # normalised → as written
    names: dict[str, str]  # its words' stems, space-separated → as written
    terms: frozenset[str]  # every content word (stem) and number


def article_facts(title: str, text: str, keys: Iterable[str] = ()) -> Facts:
    """Sentences (as content-word pairs), numbers and names of ``text`` (the title's names and
    numbers too, and the linked tickers as names)."""
    sentences: list[tuple[tuple[int, int], frozenset[str]]] = []
    numbers: dict[str, str] = {}
    names: dict[str, str] = {}
    terms: set[str] = set()
    for source, is_body in ((title, False), (text, True)):
        for start, end in split_sentences(source):
            sentence = source[start:end]
            raw = _TOKEN.findall(sentence)
            found = [normalize_number(r) if r[0].isdigit() else _term_of(r.lower()) for r in raw]
            found = [t for t in found if t]
            terms.update(found)
            for r in raw:
                if r[0].isdigit():
                    numbers.setdefault(normalize_number(r), r)
            _collect_names(sentence, names)
            if is_body and len(found) >= 3:
                pairs = frozenset([f"{a} {b}" for a, b in itertools.pairwise(found)])
                sentences.append(((start, end), pairs))
    for key in keys:
        names.setdefault("$" + key.lower(), key)
    return Facts(tuple(sentences), numbers, names, frozenset(terms))


_NAME_RUN = re.compile(r"[A-Z][\w&'’.-]*(?: [A-Z][\w&'’.-]*)*")


def _collect_names(sentence: str, names: dict[str, str]) -> None:
    """Runs of capitalised words, the sentence's first word left out (it is capitalised
    anyway), keyed by their words' terms."""
    for match in _NAME_RUN.finditer(sentence):
        written = match.group().rstrip(".-")
        if not _inside(sentence, match.start()):
            _, _, written = written.partition(" ")
        words = written.split()
        while words and not _term_of(words[0].lower()):
            words.pop(0)
        if not words:
            continue
        key = " ".join(t for t in (_term_of(w.lower()) for w in words) if t)
        names.setdefault(key, " ".join(words))
