"""What kind of event an article reports: the 28 event types of DESIGN.md §6, with evidence.

Rules are data (``data/event_rules.toml``): per type, weighted regular expressions that must
match whole words, optional cue words that must co-occur in the same sentence, and negative cues
that veto a match. Scoring is transparent:

- a match counts its rule's weight, times a position factor (the lead sentences carry an
  article's topic; later sentences count less), times the title factor when it is in the title,
  plus a small bonus for coming early in its sentence (headlines put the main event first);
- a type's confidence combines its matches as a noisy-or in which each further match counts
  less (``repeat_decay``), so one strong cue or several weak ones are needed;
- a type is reported when its confidence reaches ``min_confidence``.

Evidence spans always point into ``text``: a match found only in the title is anchored on the
same words in the text, else on the type's best match in the text, else the type is dropped.
Trailing site chrome (newsletter boxes, "Comments") and boilerplate lines are never read.

Rules are precise where news uses set phrases; much of it does not ("reels in expectations",
"a breakout year"), so by default a small learned model (``models/events.npz``; see
``classifier.py`` and ``models/MODEL.md``) reads the title and the lead sentences (a short text
whole) with what the rules found in each as features. It predicts the topic classes of the
headlines it learned from, each covering some event types (``[model]`` in the rule file):

- a rule event's confidence becomes ``model_weight * p(its class) + (1 - model_weight) * rule
  confidence`` (a sure rule's: ``precise_weight`` instead): the model ranks the types, the
  rules pick the type within a class and carry the evidence words;
- a class the model finds likely (``min_probability``) that no rule event covers is reported
  as the type of it whose words the rules saw (too few to report it alone), else, when no rule
  is sure of another type and the model is surer (``unsupported_probability``), as the class's
  first type; its evidence is the sentence the model found most telling;
- ``use_model=False`` gives the rules alone.

Speed: a rule's regex is searched only in sentences that contain literal words its matches
cannot do without, read from the compiled patterns and found in one Aho-Corasick pass per
sentence (see "prefilter" below); the hits are exactly those of searching every rule.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

import ahocorasick

from marketbrief.enrich.sentences import find_chrome_start, is_boilerplate, split_sentences
from marketbrief.errors import ConfigError
from marketbrief.model import EVENT_TYPES, Event, Span

if TYPE_CHECKING:  # numpy and the model load on first use, not at import
    from marketbrief.enrich.classifier import LinearClassifier

RULES_FILE = "event_rules.toml"
MODEL_NAME = "events"
# The model learned from headlines and posts: a text up to this long is read whole, a longer
# one as its title and first ``MODEL_SENTENCES`` sentences.
SHORT_TEXT = 400
MODEL_SENTENCES = 3
# The model's class probabilities of lead sentence k count 1 - MODEL_DECAY * k (at least
# MODEL_FLOOR): the title and the first sentence say what an article is about; a later
# sentence's topic ("trade tensions put off tourists") is context.
MODEL_DECAY = 0.25
MODEL_FLOOR = 0.3

__all__ = [
    "EventRules",
    "default_event_rules",
    "detect_events",
    "event_direction",
    "parse_event_rules",
    "rule_features",
]


class _Pattern:
    """An alternation, checked when the rules are read and compiled when first searched: most
    rules meet few sentences that hold their words, and compiling is most of loading.

    The folded form is the same without IGNORECASE, for lower-cased text (about twice as
    fast), when nothing in it depends on case; the exact form runs on the original text."""

    __slots__ = ("_body", "_caseless", "_exact", "_flags", "_folded", "_key", "_tree")

    def __init__(self, body: str, flags: int, *, caseless: bool, tree: Any, key: str) -> None:
        self._body, self._flags, self._caseless, self._key = body, flags, caseless, key
        self._tree = tree  # ``re``'s parse tree of the body, until the first compile uses it
        self._exact: re.Pattern[str] | None = None
        self._folded: re.Pattern[str] | None = None

    def on(self, text: _Text) -> tuple[re.Pattern[str], str]:
        """The regex to use and the string to run it on."""
        if self._caseless and text.lowered is not None:
            if self._folded is None:
                self._folded = self._compile(0)
            return self._folded, text.lowered
        if self._exact is None:
            self._exact = self._compile(self._flags)
        return self._exact, text.original

    def _compile(self, flags: int) -> re.Pattern[str]:
        tree, self._tree = self._tree, None
        try:
            if tree is not None:
                try:
                    return cast("re.Pattern[str]", _compile_tree(tree, flags))
                except Exception:  # the private compiler changed: compile from the text
                    pass
            return re.compile(self._body, flags)
        except re.error as exc:  # what checking the parse tree could not foresee
            raise ConfigError(f"bad pattern: {exc}", key=self._key) from exc


@dataclass(frozen=True, slots=True)
class _Text:
    original: str
    lowered: str | None  # same offsets as ``original``; None when lower-casing moves them

    @classmethod
    def of(cls, text: str) -> _Text:
        lowered = text.lower()
        return cls(text, lowered if len(lowered) == len(text) else None)


@dataclass(frozen=True, slots=True)
class _Rule:
    type: str
    weight: float
    pattern: _Pattern  # all the rule's patterns as one alternation, word-bounded
    requires: _Pattern | None  # one of these must occur in the same sentence
    unless: _Pattern | None  # none of these may occur in the same sentence
    needs: _Ways = ((),)  # literal strings every match contains (see the prefilter below)


@dataclass(frozen=True, slots=True)
class EventRules:
    """A compiled rule set and its scoring settings (see ``data/event_rules.toml``)."""

    rules: tuple[_Rule, ...]
    min_confidence: float = 0.34
    title_factor: float = 1.3
    position_decay: float = 0.06
    position_floor: float = 0.55
    repeat_decay: float = 0.5
    order_bonus: float = 0.06
    # Matches after one of these words count ``subordinate_factor`` times: "shares fall after
    # earnings miss" is first of all a price move.
    subordinate: _Pattern | None = None
    subordinate_factor: float = 1.0
    # The model's classes, each with the event types it covers (the first is reported when
    # only the model finds the class); a class with none is "no event" (market commentary).
    model_classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    model_weight: float = 0.75
    min_probability: float = 0.5
    # a rule event this confident means the model adds no type of a class no rule found, and
    # its confidence moves by the model's only with ``precise_weight``
    precise_rule: float = 0.7
    precise_weight: float = 0.3
    # per class: the probability needed when no rule saw any of its types' words
    unsupported_probability: dict[str, float] = field(default_factory=dict)
    # per type: (direction, the words that say it), see ``event_direction``
    directions: dict[str, tuple[tuple[str, _Pattern], ...]] = field(default_factory=dict)
    # sentence → its matches (see ``_match_sentence``)
    matches: dict[str, tuple[_Match, ...]] = field(default_factory=dict, compare=False, repr=False)
    # Which rules can match a sentence, from the literal words their patterns need (derived from
    # ``rules``; a rule set built without one tries every rule everywhere).
    prefilter: _Prefilter | None = field(default=None, compare=False, repr=False)


_Match = tuple[str, float, float, int, int]


@dataclass(frozen=True, slots=True)
class _Hit:
    type: str
    base: float  # the rule's weight: how telling the words are
    weight: float  # effective weight, after position, title and order factors
    raw: float  # weight after the order factor only: as if the sentence were the whole text
    start: int  # into text, or into the title when ``in_title``
    end: int
    in_title: bool


_ESCAPE = re.compile(r"\\.")

# ``re``'s own parser and compiler (private modules): a pattern is parsed once, when the rules
# are read, to check it and to read its literals; the tree is compiled when first needed. The
# tree does not depend on IGNORECASE (only the compiler does), so it serves either form.
try:
    _parse_regex: Any = importlib.import_module("re._parser").parse
    _compile_tree: Any = importlib.import_module("re._compiler").compile
except (ImportError, AttributeError):  # another Python's internals: compile when read
    _parse_regex = _compile_tree = None


def _alternation(
    patterns: list[str], *, case: bool, key: str, read: bool = False
) -> tuple[_Pattern, _Ways]:
    """The patterns as one word-bounded alternation, and (when ``read``) what its matches
    contain. ``ConfigError`` when a pattern is not a valid regular expression."""
    body = "|".join(f"(?:{p})" for p in patterns)
    # Whole words only; not inside a hashtag, mention or cashtag ("#economy", "$CPI").
    body = rf"(?<![\w#@$])(?:{body})(?![\w])"
    flags = 0 if case else re.IGNORECASE
    unescaped = _ESCAPE.sub("", body)
    caseless = not case and "(?-i" not in body and unescaped == unescaped.lower()
    tree = None
    try:
        if _parse_regex is None:
            re.compile(body, flags)
        else:
            tree = _parse_regex(body, 0)
            _check_lookbehinds(tree)
    except re.error as exc:
        raise ConfigError(f"bad pattern: {exc}", key=key) from exc
    pattern = _Pattern(body, flags, caseless=caseless, tree=tree, key=key)
    return pattern, _find_ways(tree) if read else _ANYTHING


def _check_lookbehinds(items: Any) -> None:
    """Raise ``re.error`` as compiling would: the parser accepts a look-behind of variable
    width, the compiler does not."""
    for op, av in getattr(items, "data", items):
        name = op.name
        if name in ("ASSERT", "ASSERT_NOT"):
            direction, body = av
            if direction < 0:
                low, high = body.getwidth()
                if low != high:
                    raise re.error("look-behind requires fixed-width pattern")
            _check_lookbehinds(body)
        elif name == "BRANCH":
            for branch in av[1]:
                _check_lookbehinds(branch)
        elif name == "SUBPATTERN":
            _check_lookbehinds(av[3])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _check_lookbehinds(av[2])
        elif name == "ATOMIC_GROUP":
            _check_lookbehinds(av)
        elif name == "GROUPREF_EXISTS":
            for branch in av[1:]:
                if branch is not None:
                    _check_lookbehinds(branch)


def _strings(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError("expected a list of non-empty strings", key=key)
    return list(value)


def parse_event_rules(toml_text: str, *, source: str = RULES_FILE) -> EventRules:
    """Compile a rule file (the format of ``data/event_rules.toml``); ``ConfigError`` if bad."""
    try:
        data = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", key=source) from exc
    settings = data.get("settings", {})
    types = data.get("types", {})
    if not isinstance(settings, dict) or not isinstance(types, dict):
        raise ConfigError("[settings] and [types] must be tables", key=source)
    rules: list[_Rule] = []
    for type_name, spec in types.items():
        key = f"{source}:types.{type_name}"
        if type_name not in EVENT_TYPES:
            raise ConfigError(f"unknown event type {type_name!r}", key=key)
        if not isinstance(spec, dict):
            raise ConfigError("expected a table", key=key)
        type_unless = _strings(spec.get("unless"), f"{key}.unless")
        for i, rule in enumerate(spec.get("rules", [])):
            rkey = f"{key}.rules[{i}]"
            weight = rule.get("weight")
            if not isinstance(weight, int | float) or not 0 < weight <= 1:
                raise ConfigError("weight must be a number in (0, 1]", key=rkey)
            patterns = _strings(rule.get("patterns"), f"{rkey}.patterns")
            if not patterns:
                raise ConfigError("a rule needs at least one pattern", key=rkey)
            case = bool(rule.get("case", False))
            requires = _strings(rule.get("requires"), f"{rkey}.requires")
            unless = _strings(rule.get("unless"), f"{rkey}.unless") + type_unless
            pattern, needs = _alternation(patterns, case=case, key=rkey, read=True)
            rules.append(
                _Rule(
                    type=type_name,
                    weight=float(weight),
                    pattern=pattern,
                    requires=_alternation(requires, case=False, key=rkey)[0] if requires else None,
                    unless=_alternation(unless, case=False, key=rkey)[0] if unless else None,
                    needs=needs,
                )
            )
    model_classes, model_numbers, unsupported = _parse_model(data.get("model", {}), source)
    directions = _parse_directions(data.get("directions", {}), source)
    numbers: dict[str, float] = {}
    subordinate: _Pattern | None = None
    for name, value in settings.items():
        key = f"{source}:settings.{name}"
        if name == "subordinate":
            words = _strings(value, key)
            subordinate = _alternation(words, case=False, key=key)[0] if words else None
        elif name in _NUMBER_SETTINGS and isinstance(value, int | float):
            numbers[name] = float(value)
        else:
            raise ConfigError("unknown setting or not a number", key=key)
    return EventRules(
        rules=tuple(rules),
        prefilter=_build_prefilter(rules),
        min_confidence=numbers.get("min_confidence", 0.34),
        title_factor=numbers.get("title_factor", 1.3),
        position_decay=numbers.get("position_decay", 0.06),
        position_floor=numbers.get("position_floor", 0.55),
        repeat_decay=numbers.get("repeat_decay", 0.5),
        order_bonus=numbers.get("order_bonus", 0.06),
        subordinate=subordinate,
        subordinate_factor=numbers.get("subordinate_factor", 1.0),
        model_classes=model_classes,
        model_weight=model_numbers.get("weight", 0.75),
        min_probability=model_numbers.get("min_probability", 0.5),
        precise_rule=model_numbers.get("precise_rule", 0.7),
        precise_weight=model_numbers.get("precise_weight", 0.3),
        unsupported_probability=unsupported,
        directions=directions,
    )


def _parse_directions(spec: Any, source: str) -> dict[str, tuple[tuple[str, _Pattern], ...]]:
    """The ``[directions.<type>]`` tables: direction name → patterns."""
    key = f"{source}:directions"
    if not isinstance(spec, dict):
        raise ConfigError("[directions] must be a table", key=key)
    directions: dict[str, tuple[tuple[str, _Pattern], ...]] = {}
    for type_name, table in spec.items():
        tkey = f"{key}.{type_name}"
        if type_name not in EVENT_TYPES or not isinstance(table, dict):
            raise ConfigError("expected a table named for an event type", key=tkey)
        directions[type_name] = tuple(
            (name, _alternation(_strings(words, f"{tkey}.{name}"), case=False, key=tkey)[0])
            for name, words in table.items()
        )
    return directions


_MODEL_NUMBERS = frozenset({"weight", "min_probability", "precise_rule", "precise_weight"})


def _parse_model(
    spec: Any, source: str
) -> tuple[dict[str, tuple[str, ...]], dict[str, float], dict[str, float]]:
    """The ``[model]`` table: ``weight``, ``min_probability``, ``classes`` and
    ``unsupported_probability``."""
    key = f"{source}:model"
    if not isinstance(spec, dict):
        raise ConfigError("[model] must be a table", key=key)
    numbers: dict[str, float] = {}
    classes: dict[str, tuple[str, ...]] = {}
    unsupported: dict[str, float] = {}
    for name, value in spec.items():
        if name == "unsupported_probability" and isinstance(value, dict):
            for cls, number in value.items():
                if not isinstance(number, int | float) or not 0 <= number <= 1:
                    raise ConfigError("must be a number in 0..1", key=f"{key}.{name}.{cls}")
                unsupported[cls] = float(number)
        elif name == "classes" and isinstance(value, dict):
            for cls, types in value.items():
                listed = _strings(types, f"{key}.classes.{cls}") if types else []
                unknown = [t for t in listed if t not in EVENT_TYPES]
                if unknown:
                    raise ConfigError(f"unknown event types {unknown}", key=f"{key}.classes.{cls}")
                classes[cls] = tuple(listed)
        elif name in _MODEL_NUMBERS and isinstance(value, int | float):
            if not 0 <= value <= 1:
                raise ConfigError("must be in 0..1", key=f"{key}.{name}")
            numbers[name] = float(value)
        else:
            raise ConfigError("unknown setting or not a number", key=f"{key}.{name}")
    unknown = sorted(set(unsupported) - set(classes))
    if unknown:
        raise ConfigError(f"unknown classes {unknown}", key=f"{key}.unsupported_probability")
    return classes, numbers, unsupported


_NUMBER_SETTINGS = frozenset(
    {
        "min_confidence",
        "title_factor",
        "position_decay",
        "position_floor",
        "repeat_decay",
        "order_bonus",
        "subordinate_factor",
    }
)


# ── prefilter: the words a rule's matches must contain ────────────────────────────────────────
#
# Most rules match few sentences, and a failing search still costs a scan of the sentence per
# rule. So each rule's compiled pattern is read (its ``re`` parse tree) for literal strings that
# every match contains, as "one of these strings, and one of those, …" for each way it can match;
# one Aho-Corasick pass over a sentence then finds the rules worth searching. The condition is
# necessary, never sufficient: a rule it lets through is searched as before, so the hits are the
# same as searching every rule.
#
# The strings are ASCII and lower-cased and are looked for in the lower-cased sentence. That is
# sound for every rule, whichever string its regex runs on and with or without IGNORECASE, as long
# as the sentence holds none of the four characters that case-insensitive matching equates with an
# ASCII letter while lower-casing does not make them one ("İ", "ı", "ſ", the Kelvin sign): for any
# other character, matching an ASCII letter in any case means being that letter, which lower-case
# keeps in place. A sentence with one of them is searched with every rule.

_CASE_TWIN = re.compile("[\u0130\u0131\u017f\u212a]")
_MAX_STRINGS = 64  # most strings an exact set may hold before it is cut into requirements
_MAX_WAYS = 128  # most alternatives a requirement may list before they are merged into one
_STRONG = 2  # strings this long are rare enough in a sentence to be worth looking for

# "Every match contains, for one of the ways, one string of each set"; ``((),)``: nothing known.
_Ways = tuple[tuple[frozenset[str], ...], ...]
_ANYTHING: _Ways = ((),)


@dataclass(frozen=True, slots=True)
class _Need:
    """What a node of a parse tree matches: exactly one of ``exact`` (when known and few), and
    in any case a text that satisfies ``ways``."""

    exact: frozenset[str] | None
    ways: _Ways

    @classmethod
    def of(cls, strings: frozenset[str]) -> _Need:
        return cls(strings, _ways_of(strings))


def _ways_of(strings: frozenset[str]) -> _Ways:
    return _ANYTHING if "" in strings or not strings else ((strings,),)


@dataclass(frozen=True, slots=True)
class _Prefilter:
    automaton: Any  # ahocorasick.Automaton: literal string → its index
    # per literal: the rules one of whose ways is a single set that holds it
    rules_of: tuple[frozenset[int], ...]
    # per literal: the sets of longer ways that hold it
    sets_of: tuple[tuple[int, ...], ...]
    # per set: (rule index, the other sets of that way) for the longer ways keyed on it
    ways_by_set: dict[int, tuple[tuple[int, frozenset[int]], ...]]
    always: frozenset[int]  # rules with no literal to look for: searched everywhere

    def rules_for(self, lowered: str) -> set[int]:
        """Indexes of the rules that may match the sentence whose lower-case is ``lowered``."""
        rules = set(self.always)
        present: set[int] = set()
        for literal in {literal for _, literal in self.automaton.iter(lowered)}:
            rules |= self.rules_of[literal]
            present.update(self.sets_of[literal])
        for set_id in present:
            for rule, others in self.ways_by_set.get(set_id, ()):
                if rule not in rules and present.issuperset(others):
                    rules.add(rule)
        return rules


_NOTHING = frozenset({""})
_UNKNOWN = _Need(None, _ANYTHING)
_ZERO_WIDTH = _Need(_NOTHING, _ANYTHING)


def _selectivity(strings: frozenset[str]) -> tuple[int, int]:
    return min(len(s) for s in strings), -len(strings)


def _merge(ways: _Ways) -> _Ways:
    """One way that each of ``ways`` implies: the union of each one's most selective set."""
    if any(not way for way in ways):
        return _ANYTHING
    return ((frozenset().union(*(max(way, key=_selectivity) for way in ways)),),)


def _either(options: list[_Ways]) -> _Ways:
    if any(not all(option) for option in options):  # one option is unconstrained
        return _ANYTHING
    # Too many ways: the options with the most are merged first, each into one.
    merged = list(options)
    for index in sorted(range(len(merged)), key=lambda i: -len(merged[i])):
        if sum(map(len, merged)) <= _MAX_WAYS:
            break
        merged[index] = _merge(merged[index])
    ways = tuple(way for option in merged for way in option)
    return _merge(ways) if len(ways) > _MAX_WAYS else ways


def _both(left: _Ways, right: _Ways) -> _Ways:
    """Both requirements: every pairing of their ways (the longer list merged first when the
    pairings would be too many)."""
    if len(left) < len(right):
        left, right = right, left
    if len(left) * len(right) > _MAX_WAYS:
        left = _merge(left)
    if len(left) * len(right) > _MAX_WAYS:
        right = _merge(right)
    if right == _ANYTHING:
        return left
    if left == _ANYTHING:
        return right
    return tuple(a + b for a in left for b in right)


def _joined(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    if len(left) * len(right) > _MAX_STRINGS:
        return None
    return frozenset(a + b for a in left for b in right)


def _need_of_sequence(items: Any) -> _Need:
    run = _NOTHING  # the exact strings of the items since the last unknown one
    tail: list[str] = []  # literal characters still to append to each of ``run``
    whole = True  # every item so far is exact, and their product fits
    ways = _ANYTHING
    for op, av in getattr(items, "data", items):
        name = op.name
        if name == "LITERAL":
            char = chr(av)
            if char.isascii():
                tail.append(char.lower())
                continue
            need = _UNKNOWN
        else:
            need = _need_of_item(name, av)
        if tail:
            suffix = "".join(tail)
            run = frozenset(r + suffix for r in run)
            tail.clear()
        if need.exact is not None:
            joined = _joined(run, need.exact)
            if joined is not None:
                run = joined
                continue
            ways, run = _both(ways, _ways_of(run)), need.exact
        else:
            ways, run = _both(_both(ways, _ways_of(run)), need.ways), _NOTHING
        whole = False
    if tail:
        suffix = "".join(tail)
        run = frozenset(r + suffix for r in run)
    if whole:
        return _Need.of(run)
    return _Need(None, _both(ways, _ways_of(run)))


def _need_of_chars(av: Any) -> _Need:
    chars: set[str] = set()
    for op, arg in av:
        kind = op.name
        if kind == "LITERAL":
            chars.add(chr(arg))
        elif kind == "RANGE" and arg[1] - arg[0] < _MAX_STRINGS:
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        else:  # a negation, a category (\w, \s, \d), a wide range
            return _UNKNOWN
    if not chars or len(chars) > _MAX_STRINGS or not all(c.isascii() for c in chars):
        return _UNKNOWN
    return _Need.of(frozenset(c.lower() for c in chars))


def _need_of_item(name: str, av: Any) -> _Need:
    if name == "LITERAL":
        char = chr(av)
        return _Need.of(frozenset({char.lower()})) if char.isascii() else _UNKNOWN
    if name == "IN":
        return _need_of_chars(av)
    if name == "BRANCH":
        options = [_need_of_sequence(branch) for branch in av[1]]
        exacts = [o.exact for o in options]
        if all(e is not None for e in exacts):
            union = frozenset().union(*(e for e in exacts if e is not None))
            if len(union) <= _MAX_STRINGS:
                return _Need.of(union)
        return _Need(None, _either([o.ways for o in options]))
    if name == "SUBPATTERN":
        return _need_of_sequence(av[3])
    if name == "ATOMIC_GROUP":
        return _need_of_sequence(av)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        least, most, body = av
        inner = _need_of_sequence(body)
        if least == 0:
            if most == 1 and inner.exact is not None:
                return _Need(inner.exact | _NOTHING, _ANYTHING)
            return _UNKNOWN
        if least == most and inner.exact is not None:
            repeated: frozenset[str] | None = _NOTHING
            for _ in range(least):
                repeated = _joined(repeated, inner.exact) if repeated is not None else None
            if repeated is not None:
                return _Need.of(repeated)
        return _Need(None, inner.ways)
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return _ZERO_WIDTH  # a word boundary, a lookahead or lookbehind
    return _UNKNOWN  # any character, a back-reference, a conditional, …


def _find_ways(tree: Any) -> _Ways:
    """What every match of the parse tree contains (see above); ``_ANYTHING`` when unsure."""
    if tree is None:
        return _ANYTHING
    try:
        ways = _need_of_sequence(tree).ways
    except Exception:  # a changed private API must not break matching: search everywhere
        return _ANYTHING
    # Short strings ("-", "a") occur in most sentences and cost a hit each: a way keeps the sets
    # of longer strings, or else its most selective set (each set is necessary on its own, so
    # any of them still is).
    kept = []
    for way in ways:
        strong = tuple(s for s in way if min(map(len, s)) >= _STRONG)
        kept.append(strong or (max(way, key=_selectivity),) if way else way)
    return tuple(kept)


def _build_prefilter(rules: list[_Rule]) -> _Prefilter | None:
    literals: dict[str, int] = {}
    rules_of: list[set[int]] = []
    sets_of: list[set[int]] = []
    sets: dict[frozenset[str], int] = {}
    ways_by_set: dict[int, list[tuple[int, frozenset[int]]]] = {}
    always: set[int] = set()

    def literal_id(literal: str) -> int:
        if literal not in literals:
            literals[literal] = len(literals)
            rules_of.append(set())
            sets_of.append(set())
        return literals[literal]

    for index, rule in enumerate(rules):
        if any(not way for way in rule.needs):
            always.add(index)
            continue
        for way in rule.needs:
            if len(way) == 1:
                for literal in way[0]:
                    rules_of[literal_id(literal)].add(index)
                continue
            ids: list[int] = []
            for strings in way:
                set_id = sets.setdefault(strings, len(sets))
                ids.append(set_id)
                for literal in strings:
                    sets_of[literal_id(literal)].add(set_id)
            # keyed on its most selective set, so the other sets are checked only when it occurs
            key = ids[way.index(max(way, key=_selectivity))]
            ways_by_set.setdefault(key, []).append((index, frozenset(ids) - {key}))
    if not literals:
        return None
    automaton = ahocorasick.Automaton()
    for literal, number in literals.items():
        automaton.add_word(literal, number)
    automaton.make_automaton()
    return _Prefilter(
        automaton=automaton,
        rules_of=tuple(frozenset(r) for r in rules_of),
        sets_of=tuple(tuple(sorted(ids)) for ids in sets_of),
        ways_by_set={k: tuple(v) for k, v in ways_by_set.items()},
        always=frozenset(always),
    )


@cache
def default_event_rules() -> EventRules:
    """The packaged rule set, read and compiled once."""
    text = resources.files("marketbrief.enrich").joinpath("data", RULES_FILE).read_text("utf-8")
    return parse_event_rules(text)


_MATCH_CACHE = 4096  # sentences whose matches a rule set remembers (events and sentiment both
# ask about the title and the lead sentences)


def _match_sentence(
    rules: EventRules, sentence: str, offset: int, factor: float, *, in_title: bool
) -> list[_Hit]:
    found = rules.matches.get(sentence)
    if found is None:
        found = _find_matches(rules, sentence)
        if len(rules.matches) >= _MATCH_CACHE:
            rules.matches.clear()
        rules.matches[sentence] = found
    return [
        _Hit(
            type_name,
            base,
            min(strength * factor, 0.99),
            min(strength, 0.99),
            offset + start,
            offset + end,
            in_title,
        )
        for type_name, base, strength, start, end in found
    ]


def _find_matches(rules: EventRules, sentence: str) -> tuple[_Match, ...]:
    """Every rule match in ``sentence``: type, rule weight, weight after the order factor,
    and the span in the sentence."""
    hits: list[_Match] = []
    length = max(len(sentence), 1)
    text = _Text.of(sentence)
    turn: int | None = None  # where a subordinate clause begins; found at the first match
    indexes: Any = range(len(rules.rules))
    if (
        rules.prefilter is not None
        and text.lowered is not None
        and (sentence.isascii() or _CASE_TWIN.search(sentence) is None)
    ):
        indexes = sorted(rules.prefilter.rules_for(text.lowered))
    for index in indexes:
        rule = rules.rules[index]
        regex, target = rule.pattern.on(text)
        first = regex.search(target)
        if first is None:
            continue
        if rule.requires is not None and not _occurs(rule.requires, text):
            continue
        if rule.unless is not None and _occurs(rule.unless, text):
            continue
        if turn is None:
            turn = _find_turn(rules, text)
        for match in regex.finditer(target, first.start()):
            if match.end() == match.start():
                continue
            early = 1.0 + rules.order_bonus * (1.0 - match.start() / length)
            if match.start() >= turn:
                early *= rules.subordinate_factor
            hits.append((rule.type, rule.weight, rule.weight * early, match.start(), match.end()))
    return tuple(hits)


def _find_turn(rules: EventRules, text: _Text) -> int:
    """Where a subordinate clause begins (not at the very start); the length when none does."""
    if rules.subordinate is not None:
        regex, target = rules.subordinate.on(text)
        found = next((m for m in regex.finditer(target) if m.start() > 0), None)
        if found is not None:
            return found.start()
    return len(text.original)


def _occurs(pattern: _Pattern, text: _Text) -> bool:
    regex, target = pattern.on(text)
    return regex.search(target) is not None


def _combine(weights: list[float], repeat_decay: float) -> float:
    """Noisy-or over a type's matches, strongest first, each further one counting less."""
    miss = 1.0
    for rank, weight in enumerate(sorted(weights, reverse=True)):
        miss *= 1.0 - weight * repeat_decay**rank
    return 1.0 - miss


def _distinct(hits: list[_Hit]) -> list[_Hit]:
    """The strongest hit of each place: overlapping matches of one type count once."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (-h.weight, h.start)):
        if not any(
            k.in_title == hit.in_title and k.start < hit.end and hit.start < k.end for k in kept
        ):
            kept.append(hit)
    return kept


@dataclass(frozen=True, slots=True)
class _Reading:
    """What the rules saw in a text: its body sentences with their hits, and the title's."""

    cut: int
    sentences: tuple[tuple[int, int, tuple[_Hit, ...]], ...]
    title_hits: tuple[_Hit, ...]

    def hits(self) -> list[_Hit]:
        return [h for _, _, hits in self.sentences for h in hits] + list(self.title_hits)


def _read(text: str, title: str | None, rules: EventRules) -> _Reading:
    cut = find_chrome_start(text)
    sentences: list[tuple[int, int, tuple[_Hit, ...]]] = []
    for start, end in split_sentences(text):
        if end > cut:
            break
        sentence = text[start:end]
        if is_boilerplate(sentence):
            continue
        factor = max(rules.position_floor, 1.0 - rules.position_decay * len(sentences))
        hits = _match_sentence(rules, sentence, start, factor, in_title=False)
        sentences.append((start, end, tuple(hits)))
    title_hits: tuple[_Hit, ...] = ()
    if title and title.strip():
        title_hits = tuple(_match_sentence(rules, title, 0, rules.title_factor, in_title=True))
    return _Reading(cut, tuple(sentences), title_hits)


def _confidences(hits: list[_Hit], rules: EventRules, *, raw: bool = False) -> dict[str, float]:
    """Each type's combined confidence over ``hits`` (``raw``: without position factors)."""
    by_type: dict[str, list[_Hit]] = {}
    for hit in hits:
        by_type.setdefault(hit.type, []).append(hit)
    return {
        type_name: _combine(
            [h.raw if raw else h.weight for h in _distinct(type_hits)], rules.repeat_decay
        )
        for type_name, type_hits in by_type.items()
    }


def _feature_vector(confidences: dict[str, float]) -> tuple[float, ...]:
    return tuple(confidences.get(t, 0.0) for t in EVENT_TYPES)


def rule_features(text: str, *, rules: EventRules | None = None) -> tuple[float, ...]:
    """The events model's dense features of one text: each event type's rule confidence
    (``model.EVENT_TYPES`` order), below the reporting threshold too."""
    rules = rules or default_event_rules()
    return _feature_vector(_confidences(_read(text, None, rules).hits(), rules))


def detect_events(
    text: str,
    *,
    title: str | None = None,
    rules: EventRules | None = None,
    classifier: LinearClassifier | None = None,
    use_model: bool = True,
) -> tuple[Event, ...]:
    """The event types ``text`` (and its ``title``) report, most confident first.

    Each event's evidence is a ``[start, end)`` span into ``text``: the words that matched, or
    for a type only the model found, the sentence it found most telling. Pure; ``rules``
    defaults to the packaged rule set, ``classifier`` to the packaged model (``use_model=False``
    for rules alone).
    """
    rules = rules or default_event_rules()
    reading = _read(text, title, rules)
    hits = reading.hits()
    by_type: dict[str, list[_Hit]] = {}
    for hit in hits:
        by_type.setdefault(hit.type, []).append(hit)
    confidences = _confidences(hits, rules)
    found: dict[str, tuple[float, Span]] = {}
    for type_name, type_hits in by_type.items():
        confidence = confidences[type_name]
        if confidence < rules.min_confidence:
            continue
        evidence = _evidence(text, reading.cut, title or "", _distinct(type_hits))
        if evidence is not None:
            found[type_name] = (confidence, evidence)
    if use_model and rules.model_classes:
        found = _with_model(text, title, reading, rules, found, classifier)
    events = [Event(t, round(min(c, 0.99), 4), evidence) for t, (c, evidence) in found.items()]
    events.sort(key=lambda e: (-e.confidence, e.evidence.start, e.type))
    return tuple(events)


def _with_model(
    text: str,
    title: str | None,
    reading: _Reading,
    rules: EventRules,
    found: dict[str, tuple[float, Span]],
    classifier: LinearClassifier | None,
) -> dict[str, tuple[float, Span]]:
    """The rule events re-weighed by the model, and the types only the model finds."""
    # what the rules saw in the text itself: a model-only type needs its evidence there
    confidences = _confidences([h for _, _, hits in reading.sentences for h in hits], rules)
    units: list[str] = []
    dense: list[tuple[float, ...]] = []
    spans: list[tuple[int, int] | None] = []  # into text; None for the title
    factors: list[float] = []
    if title and title.strip():
        units.append(title)
        dense.append(_feature_vector(_confidences(list(reading.title_hits), rules, raw=True)))
        spans.append(None)
        factors.append(1.0)
    sentences = reading.sentences
    if sentences and sentences[-1][1] - sentences[0][0] <= SHORT_TEXT:
        start, end = sentences[0][0], sentences[-1][1]
        body_hits = [h for _, _, hits in sentences for h in hits]
        units.append(text[start:end])
        dense.append(_feature_vector(_confidences(body_hits, rules)))
        spans.append((start, end))
        factors.append(1.0)
    else:
        for position, (start, end, hits) in enumerate(sentences[:MODEL_SENTENCES]):
            units.append(text[start:end])
            dense.append(_feature_vector(_confidences(list(hits), rules, raw=True)))
            spans.append((start, end))
            factors.append(max(MODEL_FLOOR, 1.0 - MODEL_DECAY * position))
    if not units:
        return found
    if classifier is None:
        from marketbrief.enrich.classifier import load_classifier

        classifier = load_classifier(MODEL_NAME)
    model = classifier
    weighted = (model.probabilities(units, dense).T * factors).T
    weight = rules.model_weight
    result: dict[str, tuple[float, Span]] = {}
    class_of = {t: c for c, types in rules.model_classes.items() for t in types}
    for type_name, (confidence, evidence) in found.items():
        cls = class_of.get(type_name)
        if cls is None or cls not in model.classes:
            result[type_name] = (confidence, evidence)
            continue
        p = float(weighted[:, model.index(cls)].max())
        # the model re-ranks what the rules found; where a rule is sure it has less to say
        w = rules.precise_weight if confidence >= rules.precise_rule else weight
        result[type_name] = (w * p + (1 - w) * confidence, evidence)
    # Where a rule is sure, the text says what happened in words the rules know, and a class
    # only the model sees is more likely the same news filed another way (an IPO's pricing as
    # "company news") than a second event: beside a sure rule the model adds a type only when
    # the rules saw some of that type's own words too (too few to report it alone).
    precise = any(confidence >= rules.precise_rule for confidence, _ in found.values())
    body = [i for i, span in enumerate(spans) if span is not None]
    for cls, types in rules.model_classes.items():
        if not types or cls not in model.classes or any(t in found for t in types):
            continue
        column = weighted[:, model.index(cls)]
        if not body:
            break
        # The evidence is a sentence of the text (a title the text never echoes shows nothing).
        best = max(body, key=lambda i: float(column[i]))
        p = float(column[best])
        # The words of one of the class's types, too few for the rules alone, pick the type;
        # with none, the class's first type needs a surer model.
        supported = [t for t in types if confidences.get(t, 0.0) > 0.0]
        if precise and not supported:
            continue
        needed = (
            rules.min_probability
            if supported
            else rules.unsupported_probability.get(cls, rules.min_probability)
        )
        if p < needed:
            continue
        start, end = spans[best] or (0, 0)
        type_name = max(supported, key=confidences.__getitem__) if supported else types[0]
        confidence = weight * p + (1 - weight) * confidences.get(type_name, 0.0)
        result[type_name] = (confidence, Span(start, end, text[start:end]))
    return result


def event_direction(event: Event, *, rules: EventRules | None = None) -> str | None:
    """Which way an event went, read from its evidence words: ``up``, ``down`` or
    ``unchanged`` for guidance, analyst and credit ratings and dividends, ``beat``, ``miss`` or
    ``in_line`` for results (``[directions]`` in the rule file); ``None`` when the type has no
    direction or its evidence does not say."""
    rules = rules or default_event_rules()
    text = _Text.of(event.evidence.text)
    best: tuple[int, str] | None = None
    for name, pattern in rules.directions.get(event.type, ()):
        regex, target = pattern.on(text)
        found = regex.search(target)
        if found is not None and (best is None or found.start() < best[0]):
            best = (found.start(), name)
    return best[1] if best is not None else None


def _evidence(text: str, cut: int, title: str, hits: list[_Hit]) -> Span | None:
    """The span in ``text`` that best shows the type; ``None`` when the text has none.

    The most telling words win (the rule weight), then the most prominent place.
    """
    ranked = sorted(hits, key=lambda h: (-h.base, -h.weight, h.start))
    best_text = next((h for h in ranked if not h.in_title), None)
    best = ranked[0]
    if best.in_title:
        words = title[best.start : best.end]
        found = re.search(re.escape(words), text[:cut], re.IGNORECASE)
        if found is not None:
            return Span(found.start(), found.end(), text[found.start() : found.end()])
    if best_text is None:
        return None
    return Span(best_text.start, best_text.end, text[best_text.start : best_text.end])
