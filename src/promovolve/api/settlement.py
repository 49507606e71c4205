"""Pay for viewable impressions: release the reservations whose beacon never came.

The budget is reserved when an ad is served, so nothing can overspend; pacing counts the
reservation as spent meanwhile (the ledger holds it). Every few seconds the settler takes
the reservations older than the settlement window, marks them settled in the database, and
gives the amount of each one without a counted viewable impression back to its campaign's
budget. The database write comes first: after a crash the ledger is loaded without the
released rows, so each is released exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from promovolve.api.state import ServerState
from promovolve.store.settlement import Released, settle_due

logger = logging.getLogger("promovolve.api.settlement")


def interval_for(window_seconds: float) -> float:
    """How often to settle: a tenth of the window, between 0.2 and 30 seconds."""
    return min(30.0, max(0.2, window_seconds / 10))


class Settler:
    def __init__(
        self,
        state: ServerState,
        sessions: async_sessionmaker[AsyncSession],
        window_seconds: float,
        clock: Callable[[], float],
        dirty: set[str],
    ) -> None:
        self._state = state
        self._sessions = sessions
        self._window = window_seconds
        self._clock = clock
        self._dirty = dirty
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="settlement")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        interval = interval_for(self._window)
        while True:
            await asyncio.sleep(interval)
            try:
                while await self.settle_once():
                    pass
            except Exception:
                # The database may be away for a while; the rows wait for the next round.
                logger.exception("settlement failed; retrying in %.1f s", interval)

    async def settle_once(self) -> int:
        """Settle one batch of due reservations; how many were released."""
        now = self._clock()
        async with self._sessions.begin() as session:
            released = await settle_due(session, now - self._window, now)
        for item in released:
            self._release(item)
        return len(released)

    def _release(self, item: Released) -> None:
        state = self._state
        # Whatever its day, it no longer counts against a lifetime budget.
        state.lifetime_spend.add(item.campaign_id, item.day, -item.amount_micros)
        # Long after its id left the ledger's idempotency window: refund the amount.
        if not state.ledger.refund(item.campaign_id, item.day, item.amount_micros):
            return  # a past day: its spend is history, not budget
        site = state.sites.get(item.site_id)
        if site is None:
            return
        engine = site.engine
        delivery = engine.campaign_days.get(item.campaign_id)
        if delivery is not None and item.day == engine.controller.day_index:
            delivery.spend -= item.amount_micros
        self._dirty.add(item.site_id)
