from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from promovolve.settings import Settings
from tests.api.dbutil import BACKENDS, PG_URL, drop_schema, new_schema, require_pg
from tests.api.harness import ADMIN_KEY, Harness

# The ASGI client's host names the tracking URLs. Every test client is one source
# (127.0.0.1), so the rate cap is off here; tests/api/test_invalid_traffic.py turns it on.
COMMON: dict[str, Any] = {"allowed_hosts": "testserver", "rate_limit": 0}


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Server settings on a fresh database: a SQLite file, or a fresh PostgreSQL schema."""
    base = Settings(data_dir=tmp_path, admin_key=ADMIN_KEY, snapshot_interval_seconds=0.2, **COMMON)
    if request.param == "sqlite":
        yield base
        return
    require_pg()
    schema = new_schema()
    try:
        yield Settings(
            data_dir=tmp_path,
            admin_key=ADMIN_KEY,
            database_url=PG_URL,
            database_schema=schema,
            snapshot_interval_seconds=0.2,
            **COMMON,
        )
    finally:
        drop_schema(schema)


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Harness]:
    harness = await Harness(settings).start()
    try:
        yield harness
    finally:
        await harness.stop()
