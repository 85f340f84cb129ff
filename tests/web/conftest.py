"""A web app over a fresh workspace, and a test client that keeps cookies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketbrief.core import MarketBrief, make_marketbrief
from marketbrief.settings import load_settings
from marketbrief.web import create_app


@pytest.fixture
def brief(workspace: Path) -> Iterator[MarketBrief]:
    with make_marketbrief(load_settings()) as facade:
        yield facade


@pytest.fixture
def client(brief: MarketBrief) -> Iterator[TestClient]:
    with TestClient(create_app(brief.settings, brief=brief)) as test_client:
        yield test_client
