"""Named entities from the knowledge base: organisations, products, people and places.

No statistical model: an entity is a span the knowledge base explains (see
``marketbrief.enrich.companies.find_mentions``). Company names, tickers, former names and
subsidiaries are ORG; products, brands and programs PRODUCT; curated people PERSON; places from
the gazetteer (countries, U.S. states, major cities, regions) GPE. Theme phrases are not entities.
"""

from __future__ import annotations

from marketbrief.enrich.companies import Mention, MentionKind, find_mentions
from marketbrief.enrich.kb import AliasKind, KnowledgeBase
from marketbrief.model import Entity, Span

_ALIAS_TYPES = {
    AliasKind.PRODUCT: "PRODUCT",
    AliasKind.BRAND: "PRODUCT",
    AliasKind.PROGRAM: "PRODUCT",
    AliasKind.PERSON: "PERSON",
}


def find_entities(text: str, kb: KnowledgeBase) -> tuple[Entity, ...]:
    """ORG / PRODUCT / PERSON / GPE spans of ``text``, in order, none overlapping."""
    entities: list[Entity] = []
    last: tuple[int, int] | None = None
    for mention in find_mentions(text, kb):
        kind = _entity_type(mention)
        if kind is None or (mention.start, mention.end) == last:
            continue  # one entity per span ("Patriot" links two companies)
        last = (mention.start, mention.end)
        entities.append(
            Entity(Span(mention.start, mention.end, text[mention.start : mention.end]), kind)
        )
    return tuple(entities)


def _entity_type(mention: Mention) -> str | None:
    if mention.kind is MentionKind.PLACE:
        return "GPE"
    if mention.kind is MentionKind.THEME:
        return None
    if mention.alias is not None:
        return _ALIAS_TYPES.get(mention.alias.kind, "ORG")
    return "ORG"
