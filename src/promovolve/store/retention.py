"""Pruning raw reservations and tracking events older than the retention period.

Their counts live on in the aggregates (written with them), so pruning loses nothing that
stats or restart read. An event's row is also what makes a replayed beacon count once, so
rows are kept at least as long as a beacon is valid, and as long as the ledger's
idempotency window.

Rows go oldest first along the primary key (they arrive in time order), in short
transactions of a bounded number of rows, so no index on the time is needed and the
writer is never held up for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from promovolve.store.models import SpendReservationRow, TrackingEventRow

logger = logging.getLogger("promovolve.store.retention")

SECONDS_PER_DAY = 86_400
PRUNE_INTERVAL_SECONDS = 600.0
ROWS_PER_DELETE = 5_000
PRUNED_TABLES: tuple[type[Any], ...] = (SpendReservationRow, TrackingEventRow)


def kept_seconds(retention_days: float, tracking_ttl_seconds: float, window: float) -> float:
    """How long raw rows are kept: the retention, but never less than a beacon's life or
    the ledger's idempotency window."""
    return max(retention_days * SECONDS_PER_DAY, tracking_ttl_seconds, window)


async def prune(engine: AsyncEngine, cutoff: float, rows_per_delete: int = ROWS_PER_DELETE) -> int:
    """Delete raw rows stamped before `cutoff`; how many went."""
    total = 0
    for model in PRUNED_TABLES:
        table = model.__table__
        assert isinstance(table, Table)
        while True:
            oldest = select(table.c.id).order_by(table.c.id).limit(rows_per_delete)
            stmt = delete(table).where(
                table.c.id.in_(oldest.scalar_subquery()), table.c.ts < cutoff
            )
            async with engine.begin() as conn:
                deleted = (await conn.execute(stmt)).rowcount
            total += deleted
            # A chunk not wholly old means the old rows are done (a straggler goes next time).
            if deleted < rows_per_delete:
                break
    return total


class Retention:
    """Prunes every `interval` seconds in the background until stopped."""

    def __init__(
        self,
        engine: AsyncEngine,
        kept: float,
        interval: float = PRUNE_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._kept = kept
        self._interval = interval
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        return await prune(self._engine, self._clock() - self._kept)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                pruned = await self.run_once()
                if pruned:
                    logger.info("pruned %d raw rows older than the retention period", pruned)
            except Exception:
                logger.exception("pruning raw rows failed")
            await asyncio.sleep(self._interval)
