"""Server settings from `PROMOVOLVE_` environment variables (and matching CLI flags)."""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from promovolve.domain.ledger import DEFAULT_IDEMPOTENCY_WINDOW_SECONDS

ENV_PREFIX = "PROMOVOLVE_"
DEFAULT_DATA_DIR = "./var"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
ADMIN_KEY_FILE = "admin.key"
SQLITE_FILE = "promovolve.db"
DEFAULT_RETENTION_DAYS = 2.0
DEFAULT_SETTLEMENT_WINDOW = 900


class SettingsError(ValueError):
    """A setting with a value the server cannot run with."""


class Settings(BaseSettings):
    """Every field is read from `PROMOVOLVE_<NAME>` (empty means unset); keyword arguments,
    which is how the CLI flags arrive, win over the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        extra="forbid",
        frozen=True,
        populate_by_name=True,
    )

    data_dir: Path = Path(DEFAULT_DATA_DIR)
    # Empty: an SQLite file in the data dir. Kept out of repr (passwords, the key).
    database_url: str = Field("", repr=False)
    admin_key: str | None = Field(None, repr=False)
    host: str = DEFAULT_HOST
    port: int = Field(DEFAULT_PORT, ge=1, le=65535)
    # Absolute base of tracking URLs (e.g. https://ads.example.com); default: the request's.
    public_url: str | None = None
    # Schema (PostgreSQL search_path) to keep tables in; None = the server's default.
    database_schema: str | None = None
    snapshot_interval_seconds: float = Field(
        5.0, gt=0, validation_alias=ENV_PREFIX + "SNAPSHOT_INTERVAL"
    )
    max_body_bytes: int = Field(64 * 1024, gt=0)
    tracking_ttl_seconds: int = Field(86400, gt=0, validation_alias=ENV_PREFIX + "TRACKING_TTL")
    # Most rows the group-commit writer puts in one transaction.
    write_batch_rows: int = Field(512, ge=1, le=100_000)
    # How long the budget ledger remembers a reservation id, so a retry is not charged twice.
    idempotency_window_seconds: float = Field(
        DEFAULT_IDEMPOTENCY_WINDOW_SECONDS,
        gt=0,
        validation_alias=ENV_PREFIX + "IDEMPOTENCY_WINDOW",
    )
    # Days raw reservations and events are kept (their counts stay in the aggregates).
    retention_days: float = Field(DEFAULT_RETENTION_DAYS, gt=0)
    # How long a reservation waits for its viewable-impression beacon before it is released;
    # None: 15 minutes, or the tracking TTL when that is shorter.
    settlement_window_seconds: float | None = Field(
        None, gt=0, validation_alias=ENV_PREFIX + "SETTLEMENT_WINDOW"
    )
    # A sample network and an article with the tag at /demo (`serve --demo`).
    demo: bool = False

    # Invalid traffic (docs/invalid-traffic.md): serves per second per source per site, with
    # a burst of two seconds' worth (0 = no cap); the same cap applies to each beacon kind.
    rate_limit: float = Field(20.0, ge=0)
    # Proxies (addresses or CIDR blocks, comma-separated) whose X-Forwarded-For is believed.
    trusted_proxies: str = ""
    # Replaces the shipped list of bot user-agent patterns (one regular expression a line).
    bot_patterns_file: Path | None = None
    # Hosts (comma-separated) whose Host header may name the tracking URLs' base.
    allowed_hosts: str = ""
    # Seconds a client has to send a whole request (headers and body) before it is dropped.
    request_timeout_seconds: float = Field(
        5.0, gt=0, validation_alias=ENV_PREFIX + "REQUEST_TIMEOUT"
    )
    # Seconds an idle keep-alive connection stays open.
    keep_alive_seconds: float = Field(5.0, gt=0, validation_alias=ENV_PREFIX + "KEEP_ALIVE")
    # Open connections at most; past it the longest-waiting idle or stalled one is dropped.
    max_connections: int = Field(4096, ge=16)
    # Domains on one publisher's blocklist at most.
    blocklist_max: int = Field(10_000, ge=1)

    # Shared hot state for many processes (redis://host:port/db); None = embedded, one process.
    redis_url: str | None = Field(None, repr=False)
    # Server processes on this machine sharing the port (`serve --workers`); more than one
    # needs Redis and PostgreSQL, since each is a full peer of the network.
    workers: int = Field(1, ge=1, le=256)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    @field_validator("settlement_window_seconds")
    @classmethod
    def _window_within_ttl(cls, value: float | None, info: ValidationInfo) -> float | None:
        # A beacon cannot come after its URL expired: a longer window would only wait longer.
        ttl = info.data.get("tracking_ttl_seconds")
        if value is not None and ttl is not None and value > ttl:
            raise ValueError(f"must be at most the tracking TTL ({ttl} s)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in value.split(","):  # a bad address stops the start, naming the setting
            if item.strip():
                ipaddress.ip_network(item.strip(), strict=False)
        return value

    @field_validator("bot_patterns_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @property
    def settlement_window(self) -> float:
        if self.settlement_window_seconds is not None:
            return self.settlement_window_seconds
        return float(min(DEFAULT_SETTLEMENT_WINDOW, self.tracking_ttl_seconds))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / SQLITE_FILE).resolve()}"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """The environment's settings; overrides (CLI flags) win when not None."""
        given = {k: v for k, v in overrides.items() if v is not None}
        try:
            return cls(**given)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise SettingsError(_describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    """The first problem in one line, naming the field and its environment variable."""
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        env = alias if isinstance(alias, str) else ENV_PREFIX + name.upper()
        if loc in (name, env):
            return f"bad setting {name} ({env}): {first['msg']}"
    return f"bad setting {loc}: {first['msg']}"


def ensure_admin_key(settings: Settings, announce: bool = True) -> str:
    """The admin key: the setting, else the one kept in the data dir, else a new one.

    A new key is written to `<data dir>/admin.key` readable only by the owner and printed
    once (to stderr), on the start that created it.
    """
    if settings.admin_key:
        return settings.admin_key
    path = settings.data_dir / ADMIN_KEY_FILE
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = "pv_admin_" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    os.chmod(path, 0o600)
    if announce:
        print(
            f"Generated admin key (stored in {path}, shown once): {key}",
            file=sys.stderr,
            flush=True,
        )
    return key
