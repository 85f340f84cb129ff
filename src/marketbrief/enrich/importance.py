"""How much an article matters, 0..1: the number that ranks a briefing.

A transparent formula, not a model (docs/importance.md has it with examples):

    content  = 0.45·event + 0.25·company + 0.10·breadth + 0.10·tone + 0.10·ahead
    coverage = 1 − 0.6^(independent sources − 1)
    base     = 0.05 + 0.55·content + 0.25·coverage + 0.15·source
    importance = base · (0.3 + 0.7·novelty) · (0.5 + 0.5·2^(−age / 24 h))

- **event**: the strongest event, its type's weight (``EVENT_WEIGHT``: market-moving types most)
  times its confidence;
- **company**: how squarely it is about a listed company (the primary company's relevance, half
  the best relevance when no company is primary); **breadth**: companies touched (5 or more = 1);
  **tone**: strength of its sentiment; **ahead**: it dates something to come;
- **coverage**: independent sources covering its story (1 → 0, 2 → 0.4, 3 → 0.64, 5 → 0.87);
- **source**: the weight of who published it (``data/source_weights.toml``, 0.5 when unknown);
- **novelty**: share of new facts it brought to its story (1 for the first article, 0 for a
  pure repeat); **age**: how long before the newest article (or the briefing) it appeared.

Properties the tests hold it to: the result is in 0..1; more independent sources never lower it;
a pure repeat scores below the original, however much later the repeat comes (novelty scales
by 0.3..1 and recency only by 0.5..1, so a repeat keeps at most 0.6 of the original's score).

``score_importance`` without a context scores an article on its own (one source of unknown
weight, all new, fresh); the story stage scores it again once its story is known.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from marketbrief.model import CompanyLink, CompanyRole, Event, KeyDate, Sentiment

# Event types that move prices on their own weigh most; routine updates least.
EVENT_WEIGHT: dict[str, float] = {
    "earnings_results": 1.0,
    "guidance_change": 1.0,
    "mna": 1.0,
    "bankruptcy_restructuring": 1.0,
    "central_bank": 1.0,
    "clinical_trial": 0.85,
    "regulatory_decision": 0.85,
    "legal_regulatory_action": 0.8,
    "geopolitical_conflict": 0.8,
    "policy_trade": 0.8,
    "macro_release": 0.8,
    "credit_rating_action": 0.75,
    "equity_offering": 0.7,
    "debt_credit_event": 0.7,
    "management_change": 0.7,
    "contract_award": 0.7,
    "analyst_action": 0.6,
    "buyback": 0.6,
    "dividend": 0.55,
    "stock_split": 0.55,
    "index_change": 0.55,
    "insider_activist": 0.6,
    "operational_disruption": 0.65,
    "workforce_labor": 0.55,
    "product_event": 0.5,
    "partnership_jv": 0.5,
    "operating_update": 0.5,
    "trading_action": 0.4,
}
UNKNOWN_EVENT_WEIGHT = 0.4

FLOOR = 0.05  # every article ranks above nothing, so that novelty and recency still order it
CONTENT_WEIGHT = 0.55
COVERAGE_WEIGHT = 0.25
SOURCE_WEIGHT = 0.15
COVERAGE_BASE = 0.6  # each further independent source closes 40% of the remaining gap
REPEAT_FACTOR = 0.3  # what a pure repeat keeps of its score, against 1.0 for all-new
STALE_FACTOR = 0.5  # what a long-past article keeps, against 1.0 for a fresh one
RECENCY_HALF_LIFE = timedelta(hours=24)
SOURCE_WEIGHTS_FILE = "source_weights.toml"


@dataclass(frozen=True, slots=True)
class StoryContext:
    """What the article's story adds to its importance."""

    independent_sources: int = 1  # sources covering the story that do not repeat another's copy
    novelty: float = 1.0  # 0..1, share of new facts the article brought to its story
    age: timedelta = timedelta(0)  # how long before "now" (the newest article) it appeared
    source_weight: float | None = None  # None: the unknown-source default


def score_importance(
    companies: Sequence[CompanyLink],
    events: Sequence[Event],
    sentiment: Sentiment,
    key_dates: Sequence[KeyDate],
    context: StoryContext | None = None,
) -> float:
    """Importance in 0..1 of an article with these findings, in its story's ``context``."""
    context = context or StoryContext()
    content = content_score(companies, events, sentiment, key_dates)
    sources = max(context.independent_sources, 1)
    coverage = 1.0 - COVERAGE_BASE ** (sources - 1)
    weight = source_weights().default if context.source_weight is None else context.source_weight
    base = (
        FLOOR
        + CONTENT_WEIGHT * content
        + COVERAGE_WEIGHT * coverage
        + SOURCE_WEIGHT * _unit(weight)
    )
    novelty = REPEAT_FACTOR + (1.0 - REPEAT_FACTOR) * _unit(context.novelty)
    hours = max(context.age.total_seconds(), 0.0) / 3600
    half_life = RECENCY_HALF_LIFE.total_seconds() / 3600
    recency = STALE_FACTOR + (1.0 - STALE_FACTOR) * math.pow(2.0, -hours / half_life)
    return round(_unit(base * novelty * recency), 4)


def content_score(
    companies: Sequence[CompanyLink],
    events: Sequence[Event],
    sentiment: Sentiment,
    key_dates: Sequence[KeyDate],
) -> float:
    """What the article itself says, 0..1: event, company, breadth, tone, dates ahead."""
    event = max(
        (EVENT_WEIGHT.get(e.type, UNKNOWN_EVENT_WEIGHT) * _unit(e.confidence) for e in events),
        default=0.0,
    )
    primary = max((c.relevance for c in companies if c.role is CompanyRole.PRIMARY), default=None)
    company = (
        primary if primary is not None else 0.5 * max((c.relevance for c in companies), default=0.0)
    )
    breadth = min(len(companies), 5) / 5
    ahead = 1.0 if any(k.relation == "future" and k.range is not None for k in key_dates) else 0.0
    score = 0.45 * event + 0.25 * _unit(company) + 0.1 * breadth
    score += 0.1 * _unit(abs(sentiment.score)) + 0.1 * ahead
    return _unit(score)


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0) if value == value else 0.0  # NaN counts as nothing


# ── source weights ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class SourceWeights:
    default: float
    hosts: Mapping[str, float]
    names: Mapping[str, float]

    def weight(self, url: str | None, name: str | None) -> float:
        """The weight of a source known by its URL (host and parent domains) or its name."""
        host = (urlsplit(url).hostname or "") if url else ""
        host = host.lower().removeprefix("www.")
        while host:
            if host in self.hosts:
                return self.hosts[host]
            host = host.partition(".")[2] if host.count(".") > 1 else ""
        if name:
            words = f" {' '.join(name.casefold().split())} "
            found = [w for key, w in self.names.items() if f" {key} " in words]
            if found:
                return max(found)
        return self.default


@cache
def source_weights() -> SourceWeights:
    """The bundled source weights (``data/source_weights.toml``)."""
    path = resources.files("marketbrief.enrich").joinpath("data", SOURCE_WEIGHTS_FILE)
    data = tomllib.loads(path.read_text("utf-8"))
    return SourceWeights(
        default=float(data["default"]),
        hosts={k.lower(): float(v) for k, v in data["hosts"].items()},
        names={" ".join(k.casefold().split()): float(v) for k, v in data["names"].items()},
    )


def source_weight(url: str | None, name: str | None) -> float:
    """How much a source weighs, 0..1, from its URL or name (``default`` when unknown)."""
    return source_weights().weight(url, name)
