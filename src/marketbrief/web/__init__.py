"""The web reader and its JSON API (FastAPI, server-rendered): ``create_app``."""

from marketbrief.web.app import create_app

__all__ = ["create_app"]
