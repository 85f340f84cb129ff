"""How much an article matters, 0..1, from what the other enrichers found.

A transparent weighted sum, not a model: the strongest event (market-moving types weigh more),
how squarely it is about listed companies, how strong the tone is, and whether it dates
something ahead. Story size (how many sources cover it) is added later, at curation.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def score_importance(
    companies: Sequence[CompanyLink],
    events: Sequence[Event],
    sentiment: Sentiment,
    key_dates: Sequence[KeyDate],
) -> float:
    event = max((EVENT_WEIGHT.get(e.type, 0.4) * e.confidence for e in events), default=0.0)
    primary = max((c.relevance for c in companies if c.role is CompanyRole.PRIMARY), default=0.0)
    breadth = min(len(companies), 5) / 5
    ahead = 1.0 if any(k.relation == "future" and k.range is not None for k in key_dates) else 0.0
    score = 0.45 * event + 0.25 * primary + 0.1 * breadth + 0.1 * abs(sentiment.score)
    score += 0.1 * ahead
    return round(min(max(score, 0.0), 1.0), 4)
