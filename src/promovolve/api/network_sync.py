"""The tick's exchange with the network: pace forecasts, Thompson statistics, traffic counts
and learned shapes, and the spend of every known campaign, each one pipeline, sent together
once per tick."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import redis.asyncio as aioredis

from promovolve.api.state import ServerState
from promovolve.api.ticker import TICK_SECONDS
from promovolve.engine.policies import policy_named
from promovolve.network.batched_ledger import BatchedRedisLedger
from promovolve.network.pace import RedisNetworkPace
from promovolve.network.shapes import SharedShapes
from promovolve.network.stats import SharedCreativeStats


class NetworkSync:
    def __init__(
        self,
        state: ServerState,
        pace: RedisNetworkPace,
        ledger: BatchedRedisLedger,
        client: aioredis.Redis,
        clock: Callable[[], float],
        prefix: str = "promovolve",
    ) -> None:
        self._state = state
        self._pace = pace
        self._ledger = ledger
        self._client = client
        self._clock = clock
        self._stats = SharedCreativeStats(prefix)
        # Learnt once the day is three ticks old: every process has sent its last counts.
        self.shapes = SharedShapes(
            policy_named("default").make_tracker, prefix, settle_seconds=3 * TICK_SECONDS
        )

    async def __call__(self) -> None:
        self._ledger.refresh_all()
        serving = [(site_id, s.engine) for site_id, s in self._state.sites.items() if s.serving]
        tables = {site_id: engine.creative_stats for site_id, engine in serving}
        controllers = {site_id: engine.controller for site_id, engine in serving}
        now = self._clock()
        await asyncio.gather(
            self._pace.sync(self._client, now),
            self._stats.sync(self._client, tables),
            self.shapes.sync(self._client, controllers, now),
        )
