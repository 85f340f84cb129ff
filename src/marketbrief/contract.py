"""The analysis contract ``marketbrief.analysis/1`` (DESIGN.md §5): records to JSON and back.

The JSON Schema of the contract is ``schemas/analysis-1.schema.json``; a test validates real
output against it. Nothing here does I/O.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from marketbrief.model import (
    ANALYSIS_SCHEMA,
    Analysis,
    Article,
    ArticleId,
    CompanyLink,
    CompanyRole,
    Entity,
    Event,
    KeyDate,
    SectorLink,
    Sentiment,
    Span,
    StoryId,
)

JSON = dict[str, Any]


def format_instant(at: datetime | None) -> str | None:
    """An aware instant as ISO 8601 UTC with a ``Z``; naive instants are taken as UTC."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(text: str | None) -> datetime | None:
    """ISO 8601 (date or date-time, ``Z`` or offset) to an aware UTC instant."""
    if not text:
        return None
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _span(span: Span) -> JSON:
    return {"span": [span.start, span.end], "text": span.text}


def _event_json(event: Event) -> JSON:
    obj: JSON = {
        "type": event.type,
        "confidence": _round(event.confidence),
        "evidence": _span(event.evidence),
    }
    if event.direction is not None:  # optional: only the types with a direction carry it
        obj["direction"] = event.direction
    return obj


def _round(value: float) -> float:
    return round(float(value), 4)


def analysis_to_json(analysis: Analysis) -> JSON:
    """The contract object for one analysis, ready for ``json.dumps``."""
    article = analysis.article
    return {
        "schema": ANALYSIS_SCHEMA,
        "id": article.id,
        "url": article.url,
        "source": article.source,
        "title": article.title,
        "published_at": format_instant(article.published_at),
        "language": article.language,
        "text": article.text,
        "summary": analysis.summary,
        "companies": [
            {
                "ticker": c.ticker,
                "name": c.name,
                "exchange": c.exchange,
                "role": c.role.value,
                "relevance": _round(c.relevance),
                "sentiment": None if c.sentiment is None else _round(c.sentiment),
                "mentions": [_span(m) for m in c.mentions],
                "why": c.why,
            }
            for c in analysis.companies
        ],
        "sectors": [
            {"name": s.name, "relevance": _round(s.relevance), "why": s.why}
            for s in analysis.sectors
        ],
        "entities": [
            {"span": [e.span.start, e.span.end], "text": e.span.text, "type": e.type}
            for e in analysis.entities
        ],
        "events": [_event_json(e) for e in analysis.events],
        "sentiment": {
            "label": analysis.sentiment.label,
            "score": _round(analysis.sentiment.score),
        },
        "key_dates": [
            {
                "span": [k.span.start, k.span.end],
                "text": k.span.text,
                "type": k.type,
                "value": k.value,
                "range": None if k.range is None else [d.isoformat() for d in k.range],
                "event": k.event,
                "relation": k.relation,
            }
            for k in analysis.key_dates
        ],
        "importance": _round(analysis.importance),
        "story_id": analysis.story_id,
    }


def _read_span(obj: JSON) -> Span:
    start, end = obj["span"]
    return Span(int(start), int(end), str(obj["text"]))


def analysis_from_json(obj: JSON, article: Article | None = None) -> Analysis:
    """Read a contract object back; ``article`` supplies what the contract does not carry."""
    if obj.get("schema") != ANALYSIS_SCHEMA:
        raise ValueError(f"not a {ANALYSIS_SCHEMA} object: schema={obj.get('schema')!r}")
    if article is None:
        article = Article(
            id=ArticleId(str(obj["id"])),
            url=obj.get("url"),
            title=obj.get("title"),
            text=str(obj.get("text") or ""),
            language=obj.get("language"),
            published_at=parse_instant(obj.get("published_at")),
            source=obj.get("source"),
        )
    sentiment = obj.get("sentiment") or {"label": "neutral", "score": 0.0}
    return Analysis(
        article=article,
        summary=str(obj.get("summary") or ""),
        companies=tuple(
            CompanyLink(
                ticker=c["ticker"],
                name=c["name"],
                exchange=c.get("exchange"),
                role=CompanyRole(c["role"]),
                relevance=float(c["relevance"]),
                why=c.get("why") or "",
                mentions=tuple(_read_span(m) for m in c.get("mentions", ())),
                sentiment=c.get("sentiment"),
            )
            for c in obj.get("companies", ())
        ),
        sectors=tuple(
            SectorLink(s["name"], float(s["relevance"]), s.get("why") or "")
            for s in obj.get("sectors", ())
        ),
        entities=tuple(Entity(_read_span(e), e["type"]) for e in obj.get("entities", ())),
        events=tuple(
            Event(e["type"], float(e["confidence"]), _read_span(e["evidence"]), e.get("direction"))
            for e in obj.get("events", ())
        ),
        sentiment=Sentiment(sentiment["label"], float(sentiment["score"])),
        key_dates=tuple(
            KeyDate(
                span=_read_span(k),
                type=k["type"],
                value=k["value"],
                range=None
                if k.get("range") is None
                else (date.fromisoformat(k["range"][0]), date.fromisoformat(k["range"][1])),
                event=k.get("event"),
                relation=k["relation"],
            )
            for k in obj.get("key_dates", ())
        ),
        importance=float(obj.get("importance") or 0.0),
        story_id=None if obj.get("story_id") is None else StoryId(str(obj["story_id"])),
    )
