"""Database engines (SQLite embedded default, PostgreSQL) and migrations at start."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_REVISION = re.compile(r"^revision(?::[^=]*)? = [\"']([^\"']+)[\"']$", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"^down_revision(?::[^=]*)? = (?:[\"']([^\"']+)[\"']|(None))$", re.MULTILINE
)


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of an SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def create_engine(url: str, schema: str | None = None) -> AsyncEngine:
    """An async engine; SQLite files run in WAL mode, PostgreSQL optionally in `schema`."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = sqlite_file(url)
        if database is not None:
            restrict_to_owner(database)
        kwargs["connect_args"] = {"timeout": 30}
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    if schema is not None:
        if not _SCHEMA_NAME.match(schema):
            raise ValueError(f"bad schema name {schema!r}")
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    kwargs["pool_size"] = 10
    kwargs["max_overflow"] = 10
    kwargs["pool_pre_ping"] = True
    return create_async_engine(url, **kwargs)


def restrict_to_owner(database: Path) -> None:
    """Create the SQLite file readable only by its owner, or make an existing one so.

    It holds the tracking-URL secret and the API key hashes. SQLite gives its WAL and
    shared-memory files the main file's mode when it creates them; existing ones are fixed.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        if path.exists():
            path.chmod(0o600)


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode: a commit survives a killed process (not a power cut), fast.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision id, read from the migration files' text (Alembic
    itself takes a noticeable share of a server's start to import); None unless there is
    exactly one head of plain single-parent migrations (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, parent = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or parent is None:
            return None
        revisions.add(revision.group(1))
        if parent.group(1) is not None:
            parents.add(parent.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revisions(connection: Connection) -> set[str]:
    """The revisions the database says it is at (none for a new database)."""
    if not inspect(connection).has_table("alembic_version"):
        return set()
    return {
        str(row[0]) for row in connection.execute(text("SELECT version_num FROM alembic_version"))
    }


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str = "head") -> None:
    if revision == "head":
        head = head_revision()
        if head is not None and current_revisions(connection) == {head}:
            return  # already there: every start but the first after an upgrade
    from alembic import command

    command.upgrade(_alembic_config(connection), revision)


def _downgrade(connection: Connection, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(_alembic_config(connection), revision)


async def migrate(engine: AsyncEngine, schema: str | None = None, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision` (the newest migration by default)."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Processes starting together (workers, pods) migrate one after the other: the
            # lock is held to the commit, and the next one finds the schema up to date.
            lock = text("SELECT pg_advisory_xact_lock(hashtext(:name))")
            await conn.execute(lock, {"name": f"promovolve:migrate:{schema or ''}"})
            if schema is not None:
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await conn.run_sync(_upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Undo the migrations after `revision` (tests of a migration's downgrade use this)."""
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, revision)


async def drop_all(engine: AsyncEngine) -> None:
    """Undo every migration (tests use this to leave a database as they found it)."""
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
