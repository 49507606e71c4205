"""Server settings from `PROMOVOLVE_` environment variables (and matching CLI flags)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from promovolve.domain.ledger import DEFAULT_IDEMPOTENCY_WINDOW_SECONDS

ENV_PREFIX = "PROMOVOLVE_"
DEFAULT_DATA_DIR = "./var"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
ADMIN_KEY_FILE = "admin.key"
SQLITE_FILE = "promovolve.db"
DEFAULT_RETENTION_DAYS = 2.0


class SettingsError(ValueError):
    """A setting with a value the server cannot run with."""


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    database_url: str = ""
    admin_key: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    # Absolute base of tracking URLs (e.g. https://ads.example.com); default: the request's.
    public_url: str | None = None
    # Schema (PostgreSQL search_path) to keep tables in; None = the server's default.
    database_schema: str | None = None
    snapshot_interval_seconds: float = 5.0
    max_body_bytes: int = 64 * 1024
    tracking_ttl_seconds: int = 86400
    write_batch_rows: int = 512
    # How long the budget ledger remembers a reservation id, so a retry is not charged twice.
    idempotency_window_seconds: float = DEFAULT_IDEMPOTENCY_WINDOW_SECONDS
    # Days raw reservations and events are kept (their counts stay in the aggregates).
    retention_days: float = DEFAULT_RETENTION_DAYS

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / SQLITE_FILE).resolve()}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read `PROMOVOLVE_*`; keyword overrides (CLI flags) win when not None."""
        source = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = source.get(ENV_PREFIX + name)
            return value if value not in (None, "") else None

        try:
            settings = cls(
                data_dir=Path(get("DATA_DIR") or DEFAULT_DATA_DIR),
                database_url=get("DATABASE_URL") or "",
                admin_key=get("ADMIN_KEY"),
                host=get("HOST") or DEFAULT_HOST,
                port=int(get("PORT") or DEFAULT_PORT),
                public_url=get("PUBLIC_URL"),
                database_schema=get("DATABASE_SCHEMA"),
                snapshot_interval_seconds=float(get("SNAPSHOT_INTERVAL") or 5.0),
                max_body_bytes=int(get("MAX_BODY_BYTES") or 64 * 1024),
                tracking_ttl_seconds=int(get("TRACKING_TTL") or 86400),
                idempotency_window_seconds=float(
                    get("IDEMPOTENCY_WINDOW") or DEFAULT_IDEMPOTENCY_WINDOW_SECONDS
                ),
                retention_days=float(get("RETENTION_DAYS") or DEFAULT_RETENTION_DAYS),
            )
        except ValueError as exc:
            raise SettingsError(f"bad PROMOVOLVE_ setting: {exc}") from exc
        given = {k: v for k, v in overrides.items() if v is not None}
        if "data_dir" in given:
            given["data_dir"] = Path(str(given["data_dir"]))
        settings = replace(settings, **given)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingsError(f"port must be 1-65535, got {self.port}")
        if self.snapshot_interval_seconds <= 0:
            raise SettingsError("PROMOVOLVE_SNAPSHOT_INTERVAL must be positive")
        if self.max_body_bytes <= 0 or self.tracking_ttl_seconds <= 0:
            raise SettingsError("body limit and tracking TTL must be positive")
        if not self.idempotency_window_seconds > 0:
            raise SettingsError("PROMOVOLVE_IDEMPOTENCY_WINDOW must be positive")
        if not self.retention_days > 0:
            raise SettingsError("PROMOVOLVE_RETENTION_DAYS must be positive")


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
