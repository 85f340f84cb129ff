"""Named entities: people, organisations, places, products and events, with spans.

No statistical model. Two sources, merged:

* **the knowledge base** (``marketbrief.enrich.companies.find_mentions``): company names,
  tickers, former names and subsidiaries are ORG; products, brands and programs PRODUCT (EVENT
  when the name list below calls them events: "Prime Day"); curated people PERSON; places from
  the gazetteer GPE. Theme phrases are not entities.
* **rules** over runs of capitalised words, with the cue words of ``data/entity_cues.toml`` and
  the names of ``data/entity_names.csv`` (organisations that are not listed companies, events):

  - a listed name ("Federal Reserve", "OPEC", "Super Bowl", "Black Friday");
  - PERSON: a name after a title ("President Joe Biden", "Fed Chair Jerome Powell", "Mr.
    Powell") or a role ("analyst Matt O'Connor"); a full name next to a verb of saying ("Jane
    Roe said", ", said Jane Roe"), in an apposition ("Jane Roe, chief executive of …", "Jane
    Roe, 54,"), or opening with a common given name; later, the surname alone ("Roe said");
  - ORG / EVENT: capitalised words ending in an institution's head word ("Harvard University",
    "Securities and Exchange Commission", "Bank of England") or an event's ("Paris Air Show",
    "Jackson Hole Economic Symposium"); a capitalised name after "analyst at", "chief
    executive of"; a name that defines an acronym ("Quillfield Research Group (QRG)") and the
    acronym's later uses.

Where they overlap the knowledge base wins ("Apple CEO Tim Cook": Apple ORG, Tim Cook PERSON),
except that a place inside a longer name the rules found is part of that name ("Bank of
England", "Paris Air Show"). The rules stay silent on headline-style Title Case lines and
shouted lines (where capitals say nothing), and nothing is tagged in trailing site chrome
(``sentences.find_chrome_start``). Spans never overlap and point into the text.
"""

from __future__ import annotations

import bisect
import csv
import functools
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import ahocorasick

from marketbrief.enrich.companies import Mention, MentionKind, find_mentions
from marketbrief.enrich.kb import AliasKind, KnowledgeBase
from marketbrief.enrich.sentences import find_chrome_start
from marketbrief.model import Entity, Span

CUES_FILE = "entity_cues.toml"
NAMES_FILE = "entity_names.csv"

_ALIAS_TYPES = {
    AliasKind.PRODUCT: "PRODUCT",
    AliasKind.BRAND: "PRODUCT",
    AliasKind.PROGRAM: "PRODUCT",
    AliasKind.PERSON: "PERSON",
}


def find_entities(text: str, kb: KnowledgeBase, *, title: str | None = None) -> tuple[Entity, ...]:
    """PERSON / ORG / GPE / PRODUCT / EVENT spans of ``text``, in order, none overlapping.

    ``title`` is passed on to ``find_mentions`` (it confirms ambiguous company names; its own
    mentions are not returned); giving the same title as ``link_companies`` got also lets the
    two share one look-up of the knowledge base.
    """
    cues = _cues()
    known = _kb_entities(text, kb, cues, title)
    body = text[: find_chrome_start(text)]
    found = _Finder(body, cues, known).run()
    return tuple(Entity(Span(s, e, text[s:e]), kind) for s, e, kind in found)


# ── the knowledge base's entities ────────────────────────────────────────────────────────────


def _kb_entities(
    text: str, kb: KnowledgeBase, cues: _Cues, title: str | None
) -> list[tuple[int, int, str]]:
    entities: list[tuple[int, int, str]] = []
    last: tuple[int, int] | None = None
    for mention in find_mentions(text, kb, title=title):
        kind = _entity_type(mention)
        if kind is None or (mention.start, mention.end) == last:
            continue  # one entity per span ("Patriot" links two companies)
        last = (mention.start, mention.end)
        end = mention.end
        if kind == "PRODUCT" and cues.names.get(text[mention.start : end]) == "EVENT":
            kind = "EVENT"  # "Prime Day" is Amazon's, and an event
        elif kind == "ORG" and (legal := _LEGAL_AFTER.match(text, end)):
            end = legal.end()  # "Walt Disney Co.": the firm's name with its legal form
        entities.append((mention.start, end, kind))
    return entities


# A legal form right after a company's name is part of the name ("Walt Disney Co.").
_LEGAL_AFTER = re.compile(
    r"(?:,? | & )(?:Inc\.?|Corp\.?|Co\.|Cos\.|Ltd\.?|LLC|L\.P\.|[Pp]lc|PLC|AG|N\.V\.|S\.A\."
    r"|Corporation|Incorporated|Limited)(?![\w&'’-])"
)


def _entity_type(mention: Mention) -> str | None:
    if mention.kind is MentionKind.PLACE:
        return "GPE"
    if mention.kind is MentionKind.THEME:
        return None
    if mention.alias is not None:
        return _ALIAS_TYPES.get(mention.alias.kind, "ORG")
    return "ORG"


# ── cue words and names (data files) ─────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class _Cues:
    """The contents of ``data/entity_cues.toml`` and ``data/entity_names.csv``, ready to use."""

    titles: Mapping[str, tuple[tuple[str, ...], ...]]  # first word → title phrases, longest first
    title_words: frozenset[str]  # every word of every title
    weak_titles: frozenset[str]
    roles: frozenset[str]
    reporting: frozenset[str]
    speaker_before: re.Pattern[str]
    apposition: frozenset[str]
    given: frozenset[str]
    given_words: frozenset[str]
    not_name: frozenset[str]
    leading: frozenset[str]
    org_heads: frozenset[str]
    of_heads: frozenset[str]
    title_of: frozenset[str]  # titles that continue with "of" ("Secretary of State")
    org_generic: frozenset[str]
    event_heads: frozenset[str]
    careful_heads: frozenset[str]
    storm_words: Mapping[str, tuple[tuple[str, ...], ...]]
    event_generic: frozenset[str]
    roles_at: frozenset[str]
    roles_of: frozenset[str]
    after_of_name: frozenset[str]
    firm_tails: frozenset[str]
    abbreviations: frozenset[str]
    breakers: frozenset[str]
    date_words: frozenset[str]
    particles: frozenset[str]
    joining: frozenset[str]  # the particles and "&"
    suffixes: frozenset[str]
    run: re.Pattern[str]  # a run of capitalised words, particles and "&" between them
    names: Mapping[str, str]  # listed name → ORG | EVENT | GPE | NONE
    automaton: Any = field(repr=False)


def _words(table: Mapping[str, Any], key: str) -> frozenset[str]:
    return frozenset(str(w) for w in table[key])


def _phrases(words: frozenset[str]) -> Mapping[str, tuple[tuple[str, ...], ...]]:
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in words:
        parts = tuple(phrase.split())
        by_first.setdefault(parts[0], []).append(parts)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in by_first.items()}


@functools.cache
def _cues() -> _Cues:
    data = resources.files("marketbrief.enrich").joinpath("data")
    toml = tomllib.loads(data.joinpath(CUES_FILE).read_text("utf-8"))
    names = read_names(data.joinpath(NAMES_FILE).read_text("utf-8"))
    words, person = toml["text"], toml["person"]
    org, event = toml["organisation"], toml["event"]
    titles = _words(person, "titles")
    automaton = ahocorasick.Automaton()
    for name in names:
        automaton.add_word(name, name)
    automaton.make_automaton()
    speaker = "|".join(
        re.escape(w) for w in sorted(person["speaker_before"], key=len, reverse=True)
    )
    particles = _words(words, "particles")
    particle_words = "|".join(sorted(particles, key=len, reverse=True))
    return _Cues(
        titles=_phrases(titles),
        title_words=frozenset(w for t in titles for w in t.split()),
        weak_titles=_words(person, "weak_titles"),
        roles=_words(person, "roles"),
        reporting=_words(person, "reporting_verbs"),
        speaker_before=re.compile(rf"(?:^|[^\w])(?:{speaker}),? $", re.IGNORECASE),
        apposition=_words(person, "apposition_roles"),
        given=_words(person, "given_names"),
        given_words=_words(person, "given_names_also_words"),
        not_name=_words(person, "not_name_words"),
        leading=_words(person, "leading_words"),
        org_heads=_words(org, "heads"),
        of_heads=_words(org, "of_heads"),
        title_of=frozenset(t.split()[0] for t in titles if " of " in t),
        org_generic=_words(org, "generic_modifiers"),
        event_heads=_words(event, "heads"),
        careful_heads=_words(event, "careful_heads"),
        storm_words=_phrases(_words(event, "storm_words")),
        event_generic=_words(event, "generic_modifiers"),
        roles_at=_words(org, "roles_at"),
        roles_of=_words(org, "roles_of"),
        after_of_name=_words(org, "after_of_name"),
        firm_tails=_words(org, "firm_tails"),
        abbreviations=_words(words, "abbreviations"),
        breakers=_words(words, "breakers"),
        date_words=_words(words, "date_words"),
        particles=particles,
        joining=particles | {"&"},
        suffixes=_words(words, "suffixes"),
        run=re.compile(rf"{_CAPITAL}(?:(?: (?:{particle_words}))* (?:& )?{_CAPITAL})*"),
        names=names,
        automaton=automaton,
    )


_TYPES = frozenset({"ORG", "EVENT", "GPE", "NONE"})


def read_names(text: str, source: str = NAMES_FILE) -> dict[str, str]:
    """The ``name,type`` rows of a name list (``#`` lines are comments); ValueError if bad."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    names: dict[str, str] = {}
    for row in csv.DictReader(lines):
        name, kind = (row.get("name") or "").strip(), (row.get("type") or "").strip()
        if not name or kind not in _TYPES or None in row:
            raise ValueError(f"{source}: bad row {row!r}")
        names[name] = kind
    return names


# ── runs of capitalised words ────────────────────────────────────────────────────────────────

# A word that starts with a capital (checked again with str.isupper for non-ASCII letters).
# The run pattern built from it has no look-behind, which would slow the search down: a run that
# starts inside a word ("iPhone") is skipped instead.
_CAPITAL = r"[A-ZÀ-ÖØ-Þ][\w'’.&-]*"
_INSIDE_WORD = frozenset("'’.&@#$-_")
_INITIALS = re.compile(r"(?:[A-Z]\.)+[A-Z]?")
_CONNECTORS = {
    " of ": ("of",),
    " of the ": ("of", "the"),
    " for ": ("for",),
    " for the ": ("for", "the"),
    " on ": ("on",),
}
_SENTENCE_START = re.compile(r"""(?:^|[.!?:;\n])[\s"'“‘`(\[*•–—-]*$""")
_WORD_BEFORE = re.compile(r"([A-Za-z][\w-]*),? $")
_AFTER_VERB = re.compile(
    r" (?:also |later |previously |then |has |had |have |recently |once |further )?([a-z]+)"
)
_AFTER_APPOSITION = re.compile(
    r", (?:\d{1,3}, )?(?:(?:a|an|the|its|his|her|their|our|former|then|now|also|longtime|"
    r"currently|recently|previously) )?([A-Za-z][\w.-]*)"
)
_AFTER_AGE = re.compile(r", \d{1,3}(?:,| years)|\s\([RDI]-")
_AFTER_ACRONYM = re.compile(r" \(([A-Z][A-Z&]{1,7})\)")
_ROLE_AT_ENDS = ("at ", "with ", "of ", "the ")
# After a name: it goes on ("Brothers to the Rescue") or is someone's ("Elian's relatives").
_NAME_GOES_ON = re.compile(
    r"['’]s\b| (?:to|of|for|and|on|the|de|&)(?: the)? [A-Z]|, [A-Z][\w.]* (?:&|and) [A-Z]"
)
_NEXT_WORD = re.compile(r" ([a-z]+)")
_LONG_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]{3,}")
_SHOUT = re.compile(r"[A-Z]{3}")
_LOWER_WORD = re.compile(r"\b[a-z]+\b")
_LOWER_RUN = re.compile(r"[a-z]{3}")


@dataclass(slots=True)
class _Segment:
    """A run of capitalised words (with joining particles) that may name one thing."""

    words: list[str]
    starts: list[int]
    ends: list[int]
    closed: bool = False  # ended by a possessive or a sentence's period: nothing joins after
    of_at: int = -1  # index of the head word a connector follows ("Bank" of "Bank of England")

    def span(self, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
        hi = len(self.words) if hi is None else hi
        return self.starts[lo], self.ends[hi - 1]


@dataclass(slots=True)
class _Candidate:
    start: int
    end: int
    kind: str
    rank: int  # 0 a listed name, 1 a back-reference, 2 a rule
    cue: str = ""  # for people: what made it a person


class _Finder:
    """The rule-based entities of one text, merged with the knowledge base's."""

    def __init__(self, body: str, cues: _Cues, known: list[tuple[int, int, str]]) -> None:
        self.body = body
        self.cues = cues
        self.known = sorted(k for k in known if k[1] <= len(body))
        self.candidates: list[_Candidate] = []
        self.surnames: set[str] = set()
        self.full_names: set[str] = set()
        self.named: dict[str, str] = {}  # acronyms and firms' short names met: "QRG", "Nestle"
        self._line_kind: dict[int, int] = {}
        self._lower_words: frozenset[str] | None = None

    # ── the whole text ──

    def run(self) -> list[tuple[int, int, str]]:
        self._listed_names()
        segments = list(self._segments())
        left: list[_Segment] = []
        for segment in segments:
            if self._line(segment.starts[0]) != _PROSE or not self._classify(segment):
                left.append(segment)
        for start, end, kind in self.known:
            if kind == "PERSON":
                self._remember_person(self.body[start:end].split())
        for segment in left:
            self._refer_back(segment)
        return self._merge()

    def _listed_names(self) -> None:
        body, names = self.body, self.cues.names
        for last, name in self.cues.automaton.iter(body):
            start, end = last + 1 - len(name), last + 1
            if (start > 0 and (body[start - 1].isalnum() or body[start - 1] in "&'’-")) or (
                end < len(body) and (body[end].isalnum() or body[end] in "&+")
            ):
                continue
            if self._line(start) == _SHOUTED:
                continue
            self.candidates.append(_Candidate(start, end, names[name], 0))

    def _segments(self) -> Iterator[_Segment]:
        """The runs of capitalised words, split at possessives, sentence ends and compounds,
        and joined across "of", "for", "on" after a head word ("Bank of England")."""
        previous: _Segment | None = None
        for segment in self._split_runs():
            if previous is not None and self._join(previous, segment):
                continue
            if previous is not None:
                yield previous
            previous = segment
        if previous is not None:
            yield previous

    def _join(self, previous: _Segment, segment: _Segment) -> bool:
        if previous.closed:
            return False
        gap = self.body[previous.ends[-1] : segment.starts[0]]
        head = previous.words[-1]
        joiners = _CONNECTORS.get(gap)
        of_head = head in self.cues.of_heads or head in self.cues.title_of
        if joiners is not None and segment.words[0] in self.cues.date_words:
            return False  # "the State Department on Sunday"
        if joiners is not None and of_head and previous.of_at < 0:
            previous.of_at = len(previous.words) - 1
        elif (
            gap == " and "
            and len(previous.words) <= 3
            and len(segment.words) >= 2
            and segment.words[-1] in self.cues.of_heads
            and all(w not in self.cues.leading for w in previous.words[1:])
            and not self._named(previous)
            and not self._named(segment)
        ):
            joiners = ("and",)  # "Securities and Exchange Commission"
        else:
            return False
        position = previous.ends[-1] + 1
        for word in joiners:
            previous.words.append(word)
            previous.starts.append(position)
            previous.ends.append(position + len(word))
            position += len(word) + 1
        previous.words += segment.words
        previous.starts += segment.starts
        previous.ends += segment.ends
        previous.closed = segment.closed
        return True

    def _named(self, segment: _Segment) -> bool:
        """Whether the knowledge base or the name list names ``segment`` as it stands."""
        span = segment.span()
        at = bisect.bisect_left(self.known, span)
        known = at < len(self.known) and self.known[at][:2] == span
        return known or self.body[span[0] : span[1]] in self.cues.names

    def _split_runs(self) -> list[_Segment]:
        leading, body = self.cues.leading, self.body
        segments: list[_Segment] = []
        for run in self.cues.run.finditer(body):
            text, start = run.group(), run.start()
            if start and (body[start - 1].isalnum() or body[start - 1] in _INSIDE_WORD):
                continue  # "iPhone", "eBay"
            if " " not in text:  # one word (most runs): a fast path
                word, closed = self._core(text) if not text[-1].isalnum() else (text, False)
                if word and word not in leading and not _compound(word):
                    segments.append(_Segment([word], [start], [start + len(word)], closed))
                continue
            segment = _Segment([], [], [])
            for piece in text.split(" "):
                word, closed = self._core(piece)
                if not word or not (
                    word[0].isupper() or word in self.cues.particles or word == "&"
                ):
                    closed = True
                elif _compound(word):
                    closed = True  # "London-based": an adjective, not part of a name
                else:
                    if word in self.cues.breakers and segment.words:
                        self._keep(segment, segments)
                        segment = _Segment([], [], [])
                    segment.words.append(word)
                    segment.starts.append(start)
                    segment.ends.append(start + len(word))
                start += len(piece) + 1
                if closed:
                    segment.closed = True
                    self._keep(segment, segments)
                    segment = _Segment([], [], [])
            self._keep(segment, segments)
        return segments

    def _core(self, piece: str) -> tuple[str, bool]:
        """A run's word without a possessive or a sentence's final period, and whether it ends
        the name ("Powell's", "Powell.")."""
        word, closed = piece, False
        if word.endswith(("'s", "’s")):
            word, closed = word[:-2], True
        elif word.endswith(("'", "’")):
            word, closed = word.rstrip("'’"), True
        if (
            word.endswith(".")
            and word not in self.cues.abbreviations
            and not _INITIALS.fullmatch(word)
        ):
            word, closed = word.rstrip("."), True
        return word, closed

    def _keep(self, segment: _Segment, segments: list[_Segment]) -> None:
        """Add ``segment`` without particles or "&" at its ends, if anything is left."""
        words, joining = segment.words, self.cues.joining
        while words and words[-1] in joining:
            words.pop()
            segment.starts.pop()
            segment.ends.pop()
        while words and words[0] in joining:
            del words[0], segment.starts[0], segment.ends[0]
        if words:
            segments.append(segment)

    # ── one run ──

    def _classify(self, segment: _Segment) -> bool:
        """Add what ``segment`` names; False when it names nothing the first pass can tell."""
        cues = self.cues
        words = segment.words
        lo = 0
        while lo < len(words) and (words[lo] in cues.leading or words[lo] in self.cues.particles):
            lo += 1
        if lo == len(words):
            return True
        if lo == len(words) - 1:  # one word: only a role before it can tell what it is
            return self._after_role(segment, lo, words[lo:])
        if (
            lo == 0
            and len(words) > 2
            and words[0].isalpha()
            and self._opens_sentence(segment, 0)
            and self.body[segment.starts[1] : segment.ends[-1]] in cues.names
        ):
            lo = 1  # "Replied State Department …": the first word only opens the sentence
        if self._titled_person(segment, lo):
            return True
        return self._plain(segment, lo, len(words))

    def _titled_person(self, segment: _Segment, lo: int) -> bool:
        """A name after a title inside the run ("Fed Chair Jerome Powell"); the words before
        the title are classified on their own ("Fed")."""
        words, cues = segment.words, self.cues
        for i in range(lo, len(words)):
            for title in cues.titles.get(words[i], ()):
                end = i + len(title)
                if tuple(words[i:end]) != title or end >= len(words):
                    continue
                end = self._title_end(words, end)  # "Deputy Ambassador", "CEO and President"
                name = words[end:]
                if not self._is_name(name):
                    continue
                weak = len(title) == 1 and title[0] in cues.weak_titles
                if weak and len(name) == 1 and (i == lo and self._opens_sentence(segment, i)):
                    continue
                if name[0] in self.cues.particles:
                    continue
                start, stop = segment.span(end)
                self.candidates.append(_Candidate(start, stop, "PERSON", 2, "title"))
                self._remember_person(name)
                if i > lo:
                    self._plain(segment, lo, i)
                return True
        return False

    def _title_end(self, words: Sequence[str], end: int) -> int:
        """Where a title that may go on with more titles ends ("Deputy Ambassador Peter")."""
        while end < len(words):
            for title in self.cues.titles.get(words[end], ()):
                if tuple(words[end : end + len(title)]) == title:
                    end += len(title)
                    break
            else:
                return end
        return end

    def _plain(self, segment: _Segment, lo: int, hi: int) -> bool:
        words = segment.words[lo:hi]
        while words and words[-1] in self.cues.particles:
            words.pop()
            hi -= 1
        if not words:
            return True
        start, end = segment.span(lo, hi)
        kind = self._by_head(segment, words, lo)
        if kind is not None:
            self._add_named(start, end, kind, words)
            return True
        named = self.named.get(" ".join(words))
        if named is not None:
            self.candidates.append(_Candidate(start, end, named, 1))
            return True
        if (
            len(words) >= 2
            and self._is_name(words)
            and self._person_cue(segment, words, lo, start, end)
        ):
            return True
        if self._after_role(segment, lo, words):
            return True
        acronym = _AFTER_ACRONYM.match(self.body, end)
        if acronym and _initials(words) == acronym.group(1) and len(words) >= 2:
            self._add_named(start, end, "ORG", words)
            return True
        return False

    def _after_role(self, segment: _Segment, lo: int, words: list[str]) -> bool:
        """ORG for a name after "analyst at", "chief executive of" ("… at Quillfield")."""
        start, end = segment.span(lo, lo + len(words))
        body = self.body
        if not body.endswith(_ROLE_AT_ENDS, max(0, start - 5), start):
            return False
        role = self._role_before(body[max(0, start - 40) : start].split())
        if (
            not role
            or words[0] in self.cues.given
            or all(w in self.cues.not_name for w in words)
            or _NAME_GOES_ON.match(body, end)
        ):
            return False
        after = _NEXT_WORD.match(body, end)
        if role == "of" and after and after.group(1) not in self.cues.after_of_name:
            return False  # "head of OTC trading"
        self._add_named(start, end, "ORG", words)
        return True

    def _role_before(self, words: list[str]) -> str:
        """The preposition when the words before a name end in a role and "at", "with" or
        "of" (and "the"): "analyst at", "chief executive of the"; else ""."""
        if words and words[-1] == "the":
            words = words[:-1]
        if len(words) < 2:
            return ""
        preposition, role = words[-1], words[-2].lower()
        if preposition in ("at", "with") and role in self.cues.roles_at:
            return preposition
        if preposition == "of" and role in self.cues.roles_of:
            return preposition
        return ""

    def _by_head(self, segment: _Segment, words: list[str], lo: int) -> str | None:
        """ORG or EVENT when the words end in a head word and have a name word of their own."""
        cues = self.cues
        if len(words) >= 2 and words[0] in cues.storm_words:
            for storm in cues.storm_words[words[0]]:
                rest = words[len(storm) :]
                if tuple(words[: len(storm)]) == storm and rest and self._is_name(rest):
                    return "EVENT"  # "Hurricane Katrina"
        at = segment.of_at - lo
        if 0 <= at < len(words) - 2 and words[at] in cues.of_heads:
            return "ORG"  # "Bank of England", "University of Michigan"
        head = words[-1]
        modifiers = [w for w in words[:-1] if w not in self.cues.particles and w != "&"]
        if not modifiers:
            return None
        if head in cues.event_heads:
            if all(m in cues.event_generic for m in modifiers):
                return None
            if head in cues.careful_heads and (
                modifiers[0] in cues.given or modifiers[0] in self.surnames
            ):
                return None  # "Doris Day"
            return "EVENT"
        if head in cues.org_heads:
            if len(modifiers) == 1 and modifiers[0] in cues.org_generic:
                return None  # "Central Bank", "Hedge Fund"
            if all(m in cues.title_words for m in modifiers):
                return None  # "Chief Executive Officer"
            return "ORG"
        return None

    def _add_named(self, start: int, end: int, kind: str, words: Sequence[str]) -> None:
        self.candidates.append(_Candidate(start, end, kind, 2))
        acronym = _AFTER_ACRONYM.match(self.body, end)
        if acronym and _initials(words) == acronym.group(1):
            self.named[acronym.group(1)] = kind
            self.candidates.append(_Candidate(acronym.start(1), acronym.end(1), kind, 2))
        # "Ogden Projects Inc." is later "Ogden Projects"; "Polly Peck International Inc." is
        # "Polly Peck"
        short = list(words)
        while len(short) > 1 and short[-1] in self.cues.firm_tails:
            short.pop()
            if short[0] not in self.cues.leading and short[-1] not in self.cues.particles:
                self.named.setdefault(" ".join(short), kind)

    def _person_cue(
        self, segment: _Segment, words: list[str], lo: int, start: int, end: int
    ) -> bool:
        if len(words) < 2:
            return False
        cues, body = self.cues, self.body
        cue = ""
        before = body[max(0, start - 30) : start]
        word = _WORD_BEFORE.search(before)
        if word and word.group(1).lower() in cues.roles:
            cue = "role"
        elif cues.speaker_before.search(before):
            cue = "verb"
        else:
            verb = _AFTER_VERB.match(body, end)
            apposition = _AFTER_APPOSITION.match(body, end)
            if verb and verb.group(1) in cues.reporting:
                cue = "verb"
            elif (apposition and apposition.group(1).lower() in cues.apposition) or (
                _AFTER_AGE.match(body, end)
            ):
                cue = "apposition"
            elif words[0] in cues.given and (
                words[0] not in cues.given_words or not self._opens_sentence(segment, lo)
            ):
                cue = "given"
        if not cue:
            return False
        self.candidates.append(_Candidate(start, end, "PERSON", 2, cue))
        self._remember_person(words)
        return True

    # ── second pass: names met before ──

    def _refer_back(self, segment: _Segment) -> None:
        words = segment.words
        prose = self._line(segment.starts[0]) == _PROSE
        if prose:
            lo = 0
            while lo < len(words) and words[lo] in self.cues.leading:
                lo += 1
            if lo == len(words):
                return
            rest = words[lo:]
            if len(rest) == 1 and rest[0] not in self.named and rest[0] not in self.surnames:
                return
            start, end = segment.span(lo)
            named = self.named.get(" ".join(rest))
            if named is not None:
                self.candidates.append(_Candidate(start, end, named, 1))
            elif " ".join(rest) in self.full_names or (
                len(rest) == 1 and self._surname_here(rest[0], segment, lo)
            ):
                self.candidates.append(_Candidate(start, end, "PERSON", 1, "back"))
            return
        # A headline or a short line: a surname met in the text is that person ("Roe Says …").
        for i, word in enumerate(words):
            if word not in self.cues.not_name and self._surname_here(word, segment, i):
                start, end = segment.span(i, i + 1)
                self.candidates.append(_Candidate(start, end, "PERSON", 1, "back"))

    def _surname_here(self, word: str, segment: _Segment, i: int) -> bool:
        if word not in self.surnames:
            return False
        if self._opens_sentence(segment, i) or self._line(segment.starts[i]) != _PROSE:
            # A sentence's first word may be an ordinary word that is also the name ("Price").
            if self._lower_words is None:
                self._lower_words = frozenset(_LOWER_WORD.findall(self.body))
            return word.lower() not in self._lower_words
        return True

    def _remember_person(self, words: Sequence[str]) -> None:
        names = [w for w in words if w not in self.cues.suffixes]
        if not names:
            return
        surname = names[-1]
        if len(surname) > 1 and surname[0].isupper() and not _INITIALS.fullmatch(surname):
            self.surnames.add(surname)
        if len(words) >= 2:
            self.full_names.add(" ".join(words))

    # ── merging ──

    def _merge(self) -> list[tuple[int, int, str]]:
        """The knowledge base's entities and the rules', none overlapping (see module doc)."""
        known = self.known
        starts = [k[0] for k in known]
        ends = [k[1] for k in known]
        dropped: set[int] = set()
        survivors: list[_Candidate] = []
        for cand in self.candidates:
            first = bisect.bisect_right(ends, cand.start)
            last = bisect.bisect_left(starts, cand.end)
            clash = range(first, last)
            if all(self._swallows(cand, known[i]) for i in clash):
                survivors.append(cand)
        survivors.sort(key=lambda c: (c.start - c.end, c.rank, c.start))
        taken: list[tuple[int, int]] = []
        chosen: list[_Candidate] = []
        for cand in survivors:
            at = bisect.bisect_left(taken, (cand.start, cand.start))
            if at > 0 and taken[at - 1][1] > cand.start:
                continue
            if at < len(taken) and taken[at][0] < cand.end:
                continue
            taken.insert(at, (cand.start, cand.end))
            chosen.append(cand)
        result: list[tuple[int, int, str]] = []
        for cand in chosen:
            if cand.kind == "NONE":
                continue
            first = bisect.bisect_right(ends, cand.start)
            last = bisect.bisect_left(starts, cand.end)
            dropped.update(range(first, last))
            result.append((cand.start, cand.end, cand.kind))
        result.extend(k for i, k in enumerate(known) if i not in dropped)
        result.sort()
        return result

    def _swallows(self, cand: _Candidate, known: tuple[int, int, str]) -> bool:
        """Whether a rule's name may contain a knowledge-base entity it overlaps."""
        start, end, kind = known
        if kind != "GPE" or not (cand.start <= start and end <= cand.end):
            return False
        if (start, end) == (cand.start, cand.end):
            return False
        if cand.kind == "PERSON":
            # "Austin Goolsbee" yes, "China Daily" no: a place opens a name only as a given name
            return cand.cue in ("title", "back") or self.body[start:end] in self.cues.given
        return cand.kind != "NONE"

    # ── small tests ──

    def _is_name(self, words: Sequence[str]) -> bool:
        """Whether ``words`` can be a person's name ("Jerome Powell", "Ursula von der Leyen")."""
        if (
            not words
            or len(words) > 5
            or words[0] in self.cues.particles
            or words[-1] in self.cues.particles
        ):
            return False
        if words[0] in self.cues.suffixes or words[0] in self.cues.title_words:
            return False
        cues = self.cues
        plain = 0
        for i, word in enumerate(words):
            if word in self.cues.particles or (i and word in self.cues.suffixes):
                continue
            if word == "May" and i and i == len(words) - 1:
                plain += 1  # "Theresa May"
                continue
            if word in cues.not_name or word in cues.leading or word == "&":
                return False
            if _INITIALS.fullmatch(word) or (i == 0 and len(word) == 2 and word.isupper()):
                continue  # "J.", "J.P.", "JD Vance"
            plain_word = (
                word[0].isupper() and not word.isupper() and word.replace("-", "").isalpha()
            )
            if not plain_word and not _NAME_WORD.fullmatch(word):
                return False  # "O'Connor" and "McDonald" are names, "G20" and "NASA" are not
            plain += 1
        return plain > 0

    def _opens_sentence(self, segment: _Segment, i: int) -> bool:
        start = segment.starts[i]
        return _SENTENCE_START.search(self.body, max(0, start - 6), start) is not None

    def _line(self, position: int) -> int:
        """What the line around ``position`` is: prose, a headline-style line or shouted."""
        lo = self.body.rfind("\n", 0, position) + 1
        kind = self._line_kind.get(lo)
        if kind is None:
            hi = self.body.find("\n", position)
            line = self.body[lo : hi if hi >= 0 else len(self.body)].strip()
            kind = _line_kind(line)
            self._line_kind[lo] = kind
        return kind


_PROSE, _HEADLINE, _SHOUTED = 0, 1, 2
_SENTENCE_END = (".", "!", "?", '"', "”", "'", "’", ":", ")", ".)")
# Words of names that are not plain capitalised words: "O'Connor", "McDonald", "d'Estaing".
_NAME_WORD = re.compile(r"(?:[A-Z][a-z]?['’])?[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:-[A-Z][a-z]+)*")


def _line_kind(line: str) -> int:
    if _SHOUT.search(line) and not _LOWER_RUN.search(line):
        return _SHOUTED
    if line.endswith(_SENTENCE_END):
        return _PROSE  # a paragraph full of names is still prose; headlines have no period
    heads = [w[0] for w in _LONG_WORD.findall(line)]
    # Too short to tell (a heading, a byline), or Title Case: a headline.
    if len(heads) < 3 or sum(c.isupper() for c in heads) >= 0.7 * len(heads):
        return _HEADLINE
    return _PROSE


def _compound(word: str) -> bool:
    """Whether ``word`` is a compound adjective ("London-based", "U.S.-listed")."""
    return "-" in word and any(p[:1].islower() for p in word.split("-")[1:])


def _initials(words: Sequence[str]) -> str:
    return "".join(w[0] for w in words if w[:1].isupper() and w != "&")
