"""Settings: precedence flag > env > TOML > default, validation, and the documentation page."""

import importlib.util
from pathlib import Path

import pytest

from marketbrief.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_precedence_flag_over_env_over_toml_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "marketbrief.toml"
    config.write_text('http_timeout = 3.5\nuser_agent = "from-toml"\npoll_interval = 60\n')
    monkeypatch.setenv("MARKETBRIEF_HOME", str(tmp_path))
    monkeypatch.setenv("MARKETBRIEF_HTTP_TIMEOUT", "7")
    monkeypatch.setenv("MARKETBRIEF_POLL_INTERVAL", "120")
    settings = load_settings(config, poll_interval=30.0)
    assert settings.poll_interval == 30.0  # flag
    assert settings.http_timeout == 7.0  # env over TOML
    assert settings.user_agent == "from-toml"  # TOML over default
    assert settings.http_max_redirects == 5  # default


def test_home_toml_is_read_and_database_defaults_to_sqlite_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "marketbrief.toml").write_text("http_max_redirects = 2\n")
    monkeypatch.delenv("MARKETBRIEF_CONFIG", raising=False)
    monkeypatch.setenv("MARKETBRIEF_HOME", str(tmp_path))
    settings = load_settings()
    assert settings.http_max_redirects == 2
    assert settings.db_url == f"sqlite:///{tmp_path / 'marketbrief.db'}"
    monkeypatch.setenv("MARKETBRIEF_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert load_settings().db_url == "postgresql+psycopg://u@h/db"


def test_bad_values_are_value_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETBRIEF_HTTP_TIMEOUT", "-1")
    with pytest.raises(ValueError, match="http_timeout"):
        load_settings()
    monkeypatch.delenv("MARKETBRIEF_HTTP_TIMEOUT")
    with pytest.raises(ValueError, match=r"extra|not permitted|forbidden"):
        Settings(no_such_setting=1)  # type: ignore[call-arg]


def test_every_setting_is_documented() -> None:
    spec = importlib.util.spec_from_file_location(
        "settings_doc", ROOT / "scripts" / "settings_doc.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == module.render(), "docs/settings.md is stale: run scripts/settings_doc.py"
    for name in Settings.model_fields:
        assert f"`{name}`" in page


def test_the_alert_window_default_is_the_selections() -> None:
    from marketbrief.curate.alerts import FRESH_FOR

    assert Settings().alert_fresh_for == FRESH_FOR.total_seconds()
