"""The engines' clock without requests: day rollover and the network's pacing forecasts.

A site that gets no request still has to roll over at midnight and keep telling the network
how much traffic it still expects today (less and less as its day goes by), or the other
sites would pace its campaigns as if its traffic were still to come.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from promovolve.api.state import ServerState

logger = logging.getLogger("promovolve.api.ticker")

TICK_SECONDS = 1.0


class Ticker:
    def __init__(
        self,
        state: ServerState,
        dirty: set[str],
        clock: Callable[[], float],
        interval_seconds: float = TICK_SECONDS,
        exchange: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`exchange`, with Redis, shares the tick's results with the network."""
        self._state = state
        self._dirty = dirty
        self._clock = clock
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self._exchange = exchange

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="engine-ticks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def tick(self) -> None:
        # A day that began is part of the next snapshot.
        self._dirty.update(self._state.tick(self._clock()))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                self.tick()
                if self._exchange is not None:
                    await self._exchange()
            except Exception:
                logger.exception("engine tick failed")
