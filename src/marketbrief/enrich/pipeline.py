"""Article → Analysis: every enricher in order, pure (the knowledge base is an argument)."""

from __future__ import annotations

from dataclasses import replace

from marketbrief.enrich.companies import link_companies
from marketbrief.enrich.entities import find_entities
from marketbrief.enrich.events import detect_events, event_direction
from marketbrief.enrich.importance import score_importance
from marketbrief.enrich.kb import KnowledgeBase
from marketbrief.enrich.key_dates import fiscal_year_for, tag_key_dates
from marketbrief.enrich.sentiment import score_company_sentiment, score_sentiment
from marketbrief.enrich.summary import summarize
from marketbrief.model import Analysis, Article


def enrich_article(article: Article, kb: KnowledgeBase) -> Analysis:
    """Everything marketbrief says about ``article``; spans point into ``article.text``."""
    text, title = article.text, article.title
    as_of = article.published_at.date() if article.published_at else None
    companies, sectors = link_companies(text, kb, title=title, as_of=as_of)
    companies = tuple(
        replace(
            c,
            sentiment=score_company_sentiment(text, [(m.start, m.end) for m in c.mentions]),
        )
        for c in companies
    )
    events = tuple(
        replace(e, direction=event_direction(e)) for e in detect_events(text, title=title)
    )
    sentiment = score_sentiment(text, title=title)
    # fiscal quarters and years follow the calendar of the company the article is about
    primary = next((c.ticker for c in companies if c.role == "primary"), None)
    key_dates = tag_key_dates(text, article.published_at, fiscal_year=fiscal_year_for(primary))
    return Analysis(
        article=article,
        summary=summarize(text, title=title),
        companies=companies,
        sectors=sectors,
        entities=find_entities(text, kb, title=title),
        events=events,
        sentiment=sentiment,
        key_dates=key_dates,
        importance=score_importance(companies, events, sentiment, key_dates),
    )
