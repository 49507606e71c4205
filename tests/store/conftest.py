"""The `engine` fixture: a migrated database on each backend (SQLite file, PostgreSQL schema)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from promovolve.store import database
from tests.api.dbutil import BACKENDS, PG_URL, drop_schema, new_schema, require_pg


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    schema = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    else:
        require_pg()
        url, schema = PG_URL, new_schema()
    db = database.create_engine(url, schema)
    try:
        await database.migrate(db, schema)
        yield db
    finally:
        await db.dispose()
        if schema is not None:
            drop_schema(schema)
