"""store stage: marketbrief's records in SQLite or PostgreSQL (the one package on SQLAlchemy)."""

from marketbrief.store.sql import SqlStore, open_store

__all__ = ["SqlStore", "open_store"]
