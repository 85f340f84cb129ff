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
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from marketbrief.enrich.sentences import find_chrome_start, is_boilerplate, split_sentences
from marketbrief.errors import ConfigError
from marketbrief.model import EVENT_TYPES, Event, Span

RULES_FILE = "event_rules.toml"

__all__ = ["EventRules", "default_event_rules", "detect_events", "parse_event_rules"]


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A compiled alternation; ``folded`` is the same without IGNORECASE, for lower-cased
    text (about twice as fast), when nothing in it depends on case."""

    exact: re.Pattern[str]
    folded: re.Pattern[str] | None

    def on(self, text: _Text) -> tuple[re.Pattern[str], str]:
        """The regex to use and the string to run it on."""
        if self.folded is not None and text.lowered is not None:
            return self.folded, text.lowered
        return self.exact, text.original


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


@dataclass(frozen=True, slots=True)
class _Hit:
    type: str
    base: float  # the rule's weight: how telling the words are
    weight: float  # effective weight, after position, title and order factors
    start: int  # into text, or into the title when ``in_title``
    end: int
    in_title: bool


_ESCAPE = re.compile(r"\\.")


def _alternation(patterns: list[str], *, case: bool, key: str) -> _Pattern:
    body = "|".join(f"(?:{p})" for p in patterns)
    # Whole words only; not inside a hashtag, mention or cashtag ("#economy", "$CPI").
    body = rf"(?<![\w#@$])(?:{body})(?![\w])"
    try:
        exact = re.compile(body, 0 if case else re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"bad pattern: {exc}", key=key) from exc
    unescaped = _ESCAPE.sub("", body)
    caseless = not case and "(?-i" not in body and unescaped == unescaped.lower()
    return _Pattern(exact, re.compile(body) if caseless else None)


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
            rules.append(
                _Rule(
                    type=type_name,
                    weight=float(weight),
                    pattern=_alternation(patterns, case=case, key=rkey),
                    requires=_alternation(requires, case=False, key=rkey) if requires else None,
                    unless=_alternation(unless, case=False, key=rkey) if unless else None,
                )
            )
    numbers: dict[str, float] = {}
    subordinate: _Pattern | None = None
    for name, value in settings.items():
        key = f"{source}:settings.{name}"
        if name == "subordinate":
            words = _strings(value, key)
            subordinate = _alternation(words, case=False, key=key) if words else None
        elif name in _NUMBER_SETTINGS and isinstance(value, int | float):
            numbers[name] = float(value)
        else:
            raise ConfigError("unknown setting or not a number", key=key)
    return EventRules(
        rules=tuple(rules),
        min_confidence=numbers.get("min_confidence", 0.34),
        title_factor=numbers.get("title_factor", 1.3),
        position_decay=numbers.get("position_decay", 0.06),
        position_floor=numbers.get("position_floor", 0.55),
        repeat_decay=numbers.get("repeat_decay", 0.5),
        order_bonus=numbers.get("order_bonus", 0.06),
        subordinate=subordinate,
        subordinate_factor=numbers.get("subordinate_factor", 1.0),
    )


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


@cache
def default_event_rules() -> EventRules:
    """The packaged rule set, read and compiled once."""
    text = resources.files("marketbrief.enrich").joinpath("data", RULES_FILE).read_text("utf-8")
    return parse_event_rules(text)


def _match_sentence(
    rules: EventRules, sentence: str, offset: int, factor: float, *, in_title: bool
) -> list[_Hit]:
    hits: list[_Hit] = []
    length = max(len(sentence), 1)
    text = _Text.of(sentence)
    turn = len(sentence)  # where a subordinate clause begins (not at the very start)
    if rules.subordinate is not None:
        regex, target = rules.subordinate.on(text)
        found = next((m for m in regex.finditer(target) if m.start() > 0), None)
        if found is not None:
            turn = found.start()
    for rule in rules.rules:
        regex, target = rule.pattern.on(text)
        first = regex.search(target)
        if first is None:
            continue
        if rule.requires is not None and not _occurs(rule.requires, text):
            continue
        if rule.unless is not None and _occurs(rule.unless, text):
            continue
        for match in regex.finditer(target, first.start()):
            if match.end() == match.start():
                continue
            early = 1.0 + rules.order_bonus * (1.0 - match.start() / length)
            if match.start() >= turn:
                early *= rules.subordinate_factor
            weight = min(rule.weight * factor * early, 0.99)
            hits.append(
                _Hit(
                    rule.type,
                    rule.weight,
                    weight,
                    offset + match.start(),
                    offset + match.end(),
                    in_title,
                )
            )
    return hits


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


def detect_events(
    text: str, *, title: str | None = None, rules: EventRules | None = None
) -> tuple[Event, ...]:
    """The event types ``text`` (and its ``title``) report, most confident first.

    Each event's evidence is a ``[start, end)`` span into ``text`` with the words that matched.
    Pure; ``rules`` defaults to the packaged rule set.
    """
    rules = rules or default_event_rules()
    cut = find_chrome_start(text)
    hits: list[_Hit] = []
    position = 0
    for start, end in split_sentences(text):
        if end > cut:
            break
        sentence = text[start:end]
        if is_boilerplate(sentence):
            continue
        factor = max(rules.position_floor, 1.0 - rules.position_decay * position)
        hits.extend(_match_sentence(rules, sentence, start, factor, in_title=False))
        position += 1
    if title and title.strip():
        hits.extend(_match_sentence(rules, title, 0, rules.title_factor, in_title=True))

    by_type: dict[str, list[_Hit]] = {}
    for hit in hits:
        by_type.setdefault(hit.type, []).append(hit)
    events: list[Event] = []
    for type_name, type_hits in by_type.items():
        distinct = _distinct(type_hits)
        confidence = _combine([h.weight for h in distinct], rules.repeat_decay)
        if confidence < rules.min_confidence:
            continue
        evidence = _evidence(text, cut, title or "", distinct)
        if evidence is not None:
            events.append(Event(type_name, round(min(confidence, 0.99), 4), evidence))
    events.sort(key=lambda e: (-e.confidence, e.evidence.start, e.type))
    return tuple(events)


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
