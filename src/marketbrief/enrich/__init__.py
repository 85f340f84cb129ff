"""Enrich: what an article says — companies, sectors, entities, events, tone, key dates (pure)."""
