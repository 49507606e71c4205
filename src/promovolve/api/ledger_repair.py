"""Rebuilding the Redis budget ledger from the database when Redis lost its data.

Redis keeps nothing on disk here: after a restart or a flush every campaign's hash is gone.
The ledger then refuses those campaigns' reserves and lists them in `lost`; this task
loads each one's latest day from the durable reservations, as a start does (with the
spend before it, from the lifetime aggregates, which lifetime budgets need), and serving
resumes. It waits `grace_seconds` after it first sees a loss, so that what Redis had
accepted just before is committed to the database (the group-commit writer's latency)
and counted; reserves stay refused meanwhile, so nothing is sold twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import redis
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from promovolve.network.batched_ledger import BatchedRedisLedger
from promovolve.network.ledger import RedisBudgetLedger
from promovolve.store.loading import ledger_days

logger = logging.getLogger("promovolve.api.ledger_repair")

CHECK_SECONDS = 0.25
GRACE_SECONDS = 1.0


class LedgerRepair:
    def __init__(
        self,
        ledger: RedisBudgetLedger | BatchedRedisLedger,
        sessions: async_sessionmaker[AsyncSession],
        window_seconds: float,
        clock: Callable[[], float],
        grace_seconds: float = GRACE_SECONDS,
    ) -> None:
        self._ledger = ledger
        self._sessions = sessions
        self._window = window_seconds
        self._clock = clock
        self._grace = grace_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="ledger-repair")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def pending(self) -> bool:
        """Whether some campaigns are lost (answered budgetExhausted until rebuilt)."""
        return bool(self._ledger.lost)

    async def repair(self) -> int:
        """Load every lost campaign from the database; answers how many."""
        lost = set(self._ledger.lost)
        if not lost:
            return 0
        async with self._sessions() as session:
            days = await ledger_days(session, lost, self._clock(), self._window)
        for campaign_id in lost:
            day = days.get(campaign_id)
            if day is None:  # never spent: an empty ledger is right
                self._ledger.open([campaign_id])
            else:
                self._ledger.load(campaign_id, day.day, day.spent, day.recent, day.before)
        logger.warning("budgets of %d campaigns rebuilt from the database", len(lost))
        return len(lost)

    async def _loop(self) -> None:
        seen: float | None = None  # when the current loss was first seen
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            if not self._ledger.lost:
                seen = None
                continue
            now = time.monotonic()
            seen = now if seen is None else seen
            if now - seen < self._grace:
                continue
            try:
                await self.repair()
            except (redis.RedisError, SQLAlchemyError, OSError) as error:
                logger.warning("budget ledger not rebuilt yet: %s", error)
