"""The one typed ``Settings``: command-line flag > ``MARKETBRIEF_*`` env > TOML file > default.

The TOML file is the one named by ``MARKETBRIEF_CONFIG`` (or ``--config``), else
``<home>/marketbrief.toml`` when it exists. Every setting is documented in ``docs/settings.md``
(a test keeps the two in step). Secrets are ``SecretStr`` and are masked when shown.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "MARKETBRIEF_"


def default_home() -> Path:
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "marketbrief"


class Settings(BaseSettings):
    """Everything an operator can set. Read only here; passed everywhere else as a value."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, validate_default=True
    )

    config_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("config_file", ENV_PREFIX + "CONFIG"),
        description="The TOML settings file (MARKETBRIEF_CONFIG); default: <home>/marketbrief.toml "
        "when it exists.",
    )
    home: Path = Field(
        default_factory=default_home,
        description="Workspace folder: the SQLite database, the outbox and briefings live here.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; default: SQLite at <home>/marketbrief.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    sqlite_synchronous: str = Field(
        default="NORMAL",
        pattern="^(OFF|NORMAL|FULL|EXTRA)$",
        description="SQLite PRAGMA synchronous. NORMAL with WAL never corrupts the database; a "
        "power cut may lose the last transactions, which the next poll fetches again.",
    )
    user_agent: str = Field(
        default="marketbrief/0.1 (self-hosted market-news reader; "
        "+https://github.com/marketbrief/marketbrief)",
        description="The User-Agent sent with every request; say who runs it and how to reach you.",
    )
    http_timeout: float = Field(default=20.0, gt=0, description="Seconds per HTTP request.")
    http_max_bytes: int = Field(
        default=10_000_000,
        gt=0,
        description="Largest response body accepted, counted after decompression (stops gzip "
        "bombs).",
    )
    http_max_redirects: int = Field(default=5, ge=0, description="Redirects followed at most.")
    http_per_host_concurrency: int = Field(
        default=2, ge=1, description="Requests in flight to one host at a time."
    )
    http_per_host_delay: float = Field(
        default=1.0, ge=0, description="Seconds between the starts of two requests to one host."
    )
    http_concurrency: int = Field(default=16, ge=1, description="Requests in flight in all.")
    allow_private_addresses: bool = Field(
        default=False,
        description="Allow fetching loopback, private and link-local addresses. Off by default "
        "(SSRF guard); turn on only for local testing.",
    )
    respect_robots: bool = Field(
        default=True, description="Obey robots.txt for page fetches (feeds are always allowed)."
    )
    poll_interval: float = Field(
        default=1800.0, gt=0, description="Seconds between two polls of a healthy source."
    )
    backoff_base: float = Field(
        default=300.0, gt=0, description="Seconds to wait after a source's first failure."
    )
    backoff_max: float = Field(
        default=86400.0, gt=0, description="Longest wait between retries of a failing source."
    )
    max_entries_per_poll: int = Field(
        default=100, ge=1, description="Articles fetched from one feed in one poll at most."
    )
    kb_aliases_file: Path | None = Field(
        default=None,
        description="An operator's own aliases CSV (alias, ticker, kind, why, context), added to "
        "the knowledge base; a row replaces packaged rows of the same alias, an empty ticker "
        "stops an alias from linking.",
    )
    mail_from: str = Field(
        default="marketbrief <marketbrief@localhost>",
        description="The From address of briefing emails.",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="Where mail goes: smtp://[user:password@]host[:port] (STARTTLS when the "
        "server offers it), smtps://… (TLS from the start). Options as query parameters: "
        "starttls=auto|require|never, verify=false (tests only), cafile=PATH, timeout=SECONDS, "
        "helo=NAME. Unset: messages are written as .eml files to <home>/outbox.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The web reader's address as readers reach it: links in emails (confirm, "
        "unsubscribe, article pages) start with it.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs confirmation, sign-in and unsubscribe tokens and session cookies. "
        "Unset: a random key is made once and kept in <home>/secret.key (mode 0600).",
    )
    send_rate: float = Field(
        default=5.0, gt=0, description="Emails sent per second at most (SMTP rate limit)."
    )
    send_max_lateness: float = Field(
        default=6 * 3600.0,
        gt=0,
        description="Seconds after its due time that a briefing is still sent; later ones are "
        "skipped (recorded), not sent in a burst.",
    )
    alerts_per_day: int = Field(
        default=10,
        ge=1,
        description="Alerts to one reader (cadence alerts) in any 24 hours at most; the stories "
        "past it are skipped (recorded), the most important go first.",
    )
    alert_fresh_for: float = Field(
        default=6 * 3600.0,
        gt=0,
        description="Seconds after its first article that a story may still alert; older "
        "stories (a sender that was down, a reader who just confirmed) do not.",
    )
    send_retries: int = Field(
        default=5, ge=0, description="Retries of a temporary SMTP failure (4xx, lost connection)."
    )
    bounce_limit: int = Field(
        default=3,
        ge=1,
        description="Permanent failures (5xx) after which an address is suppressed.",
    )
    confirm_rate: int = Field(
        default=3,
        ge=1,
        description="Confirmation or sign-in emails to one address per hour at most.",
    )

    comments_anonymous: bool = Field(
        default=False,
        description="Let visitors who are not signed in comment under a name they give (their "
        "comments are held for moderation until one is approved). Off: only signed-in readers "
        "comment.",
    )
    comments_edit_window: float = Field(
        default=900.0,
        gt=0,
        description="Seconds after posting during which a reader may edit or delete a comment.",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses or CIDR networks of reverse proxies whose X-Forwarded-For is "
        'believed (e.g. ["127.0.0.1/32"]); the client is the rightmost address in it that is '
        "not a trusted proxy. Empty: X-Forwarded-For is ignored and the peer address is the "
        "client.",
    )
    operator_emails: list[str] = Field(
        default=[],
        description="Email addresses of the operators: readers signed in with one of them may "
        "moderate comments (approve, hide, restore, ban).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        # an address or a network (host bits set are a mistake worth telling)
        return [str(ipaddress.ip_network(item.strip(), strict=True)) for item in value]

    @field_validator("operator_emails")
    @classmethod
    def _lower_case(cls, value: list[str]) -> list[str]:
        return [item.strip().lower() for item in value if item.strip()]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = config_file_path(init_settings(), env_settings())
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)

    @property
    def db_url(self) -> str:
        """The database URL in force."""
        return self.database_url or f"sqlite:///{self.home / 'marketbrief.db'}"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def briefings_dir(self) -> Path:
        return self.home / "briefings"

    @property
    def secret_key_file(self) -> Path:
        return self.home / "secret.key"

    def shown(self) -> dict[str, Any]:
        """The settings as a person may see them: secrets masked."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            shown[name] = value if isinstance(value, bool | int | float | None) else str(value)
        return shown


def config_file_path(init: dict[str, Any], env: dict[str, Any]) -> Path | None:
    explicit = init.get("config_file") or os.environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        return Path(explicit)
    home = init.get("home") or env.get("home") or default_home()
    candidate = Path(home) / "marketbrief.toml"
    return candidate if candidate.is_file() else None


def load_settings(config: Path | None = None, **flags: Any) -> Settings:
    """Settings from flags (those not None), env and the TOML file, in that order."""
    given = {k: v for k, v in flags.items() if v is not None}
    if config is not None:
        given["config_file"] = config
    return Settings(**given)
