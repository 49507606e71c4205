"""PostgreSQL's own commit latency on this machine: one-row transactions, one after another.

A serve that answers an ad waits for its spend row's commit, so the database's commit time
(mostly its disk flush) is a floor under the serve's latency that no server code moves.
"""

from __future__ import annotations

import asyncio
import secrets
import time

import asyncpg  # type: ignore[import-untyped]


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(url: str, commits: int) -> tuple[float, float]:
    table = f"commit_floor_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(f"CREATE TABLE {table} (n bigint)")  # logged: commits flush
        took = []
        for n in range(commits):
            start = time.perf_counter()
            await conn.execute(f"INSERT INTO {table} VALUES ($1)", n)
            took.append((time.perf_counter() - start) * 1000.0)
        took.sort()
        return _percentile(took, 0.5), _percentile(took, 0.99)
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.close()


def commit_latency_ms(postgres_url: str, commits: int = 500) -> tuple[float, float]:
    """(p50, p99) in milliseconds of `commits` one-row autocommit inserts."""
    return asyncio.run(_measure(postgres_url, commits))
