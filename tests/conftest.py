"""Test-wide fixtures: every test gets its own workspace, never the user's real one."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def workspace(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("MARKETBRIEF_HOME", str(home))
    for name in ("MARKETBRIEF_CONFIG", "MARKETBRIEF_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def shared() -> Path:
    """The project's sibling ``../shared`` folder (evaluation data, fixtures), or a skip."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not found: evaluation data and fixtures live beside the repo")
    return SHARED


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"
