"""Engine snapshots: each site's pacing state as JSON, every few seconds and at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from promovolve.api.state import ServerState
from promovolve.engine.site import SiteEngine
from promovolve.store import repository

logger = logging.getLogger("promovolve.api.snapshots")


def snapshot_of(engine: SiteEngine) -> bytes:
    return orjson.dumps(
        {
            "engine": engine.snapshot(),
            "todayDay": engine.controller.day_index,
            "todayOutcomes": dict(engine.today.outcomes),
        }
    )


class Snapshotter:
    """Writes the snapshots of the sites marked dirty (by serves, beacons, config changes)."""

    def __init__(
        self,
        state: ServerState,
        sessions: async_sessionmaker[AsyncSession],
        interval_seconds: float,
        clock: Callable[[], float],
    ) -> None:
        self._state = state
        self._sessions = sessions
        self._interval = interval_seconds
        self._clock = clock
        self.dirty: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="engine-snapshots")

    async def stop(self) -> None:
        """Stop the loop, then write every site's snapshot once more."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.snapshot_all(only_dirty=False)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.snapshot_all()
            except Exception:
                logger.exception("engine snapshot failed")

    async def snapshot_all(self, only_dirty: bool = True) -> int:
        sites = self._state.sites
        names = list(self.dirty) if only_dirty else list(sites)
        self.dirty.clear()
        now = self._clock()
        data = [
            (site_id, snapshot_of(sites[site_id].engine).decode())
            for site_id in names
            if site_id in sites
        ]
        if not data:
            return 0
        async with self._sessions.begin() as session:
            for site_id, blob in data:
                await repository.upsert_snapshot(session, site_id, blob, now)
        return len(data)
