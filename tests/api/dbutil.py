"""Test databases: SQLite files always; PostgreSQL when reachable (required when CI is set)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
import pytest

PG_URL = os.environ.get(
    "PROMOVOLVE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
T = TypeVar("T")


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a fresh loop in a thread (callable from any context)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _raw_pg_dsn() -> str:
    return PG_URL.replace("postgresql+asyncpg://", "postgresql://", 1)


@functools.cache
def pg_available() -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(_raw_pg_dsn(), timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return _run(probe)


def require_pg() -> None:
    """Skip without PostgreSQL, unless CI is set: then it is a failure."""
    if pg_available():
        return
    if "CI" in os.environ:
        pytest.fail(f"PostgreSQL is unreachable at {PG_URL} and CI is set")
    pytest.skip("PostgreSQL unreachable (set CI to make this a failure)")


def new_schema() -> str:
    return "t_" + uuid.uuid4().hex[:12]


def drop_schema(schema: str) -> None:
    async def drop() -> None:
        conn = await asyncpg.connect(_raw_pg_dsn(), timeout=5)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    _run(drop)


def pg_fetch(schema: str, query: str, *args: object) -> list[tuple[Any, ...]]:
    """Rows of a query run in `schema` (for tests that look behind a server process)."""

    async def fetch() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(
            _raw_pg_dsn(), timeout=5, server_settings={"search_path": schema}
        )
        try:
            return [tuple(r) for r in await conn.fetch(query, *args)]
        finally:
            await conn.close()

    return _run(fetch)
