"""What the serve path asks the network before it answers: are the reserves confirmed, and
is this beacon the first of its kind anywhere."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

import redis
import redis.asyncio as aioredis

from promovolve.engine.decisions import BUDGET_EXHAUSTED, SELECTED, ServeResult, reservation_id
from promovolve.network.batched_ledger import BatchedRedisLedger

logger = logging.getLogger(__name__)


class NetworkServing:
    def __init__(
        self,
        ledger: BatchedRedisLedger,
        client: aioredis.Redis,
        waited: Callable[[float], None],
        prefix: str = "promovolve",
    ) -> None:
        """`waited` is told how long each serve that had reserves waited for them."""
        self.ledger = ledger
        self._client = client
        self._prefix = prefix
        self._waited = waited

    async def confirmed(self, result: ServeResult) -> tuple[ServeResult, list[int]]:
        """The result with every selection the network refused turned into budgetExhausted,
        and the positions of those slots (the caller gives their reserves back)."""
        waits = [
            (
                i,
                self.ledger.confirmation(
                    d.campaign.id, result.day_index, reservation_id(result.request_id, d.slot_id)
                ),
            )
            for i, d in enumerate(result.slots)
            if d.outcome == SELECTED and d.campaign is not None
        ]
        if not waits:
            return result, []
        waited_from = time.perf_counter()
        if len(waits) == 1:
            answers = [await waits[0][1]]
        else:
            answers = list(await asyncio.gather(*(f for _, f in waits)))
        self._waited(time.perf_counter() - waited_from)
        refused = [i for (i, _), ok in zip(waits, answers, strict=True) if not ok]
        if not refused:
            return result, []
        slots = list(result.slots)
        for i in refused:
            slots[i] = replace(slots[i], outcome=BUDGET_EXHAUSTED)
        return replace(result, slots=tuple(slots)), refused

    async def first_beacon(self, kind: str, request: str, slot: str, ttl_seconds: int) -> bool:
        """True the first time any process sees this beacon within its tracking TTL. When
        Redis cannot answer, True: the database's unique row still counts it once."""
        try:
            key = self._beacon_key(kind, request, slot)
            return bool(await self._client.set(key, 1, nx=True, ex=ttl_seconds))
        except (redis.RedisError, OSError) as error:
            logger.warning("beacon de-duplication left to the database: %s", error)
            return True

    async def forget_beacon(self, kind: str, request: str, slot: str) -> None:
        """A beacon whose durable write failed may be counted when it is retried."""
        try:
            await self._client.delete(self._beacon_key(kind, request, slot))
        except (redis.RedisError, OSError) as error:
            logger.warning("beacon key not removed: %s", error)

    def _beacon_key(self, kind: str, request: str, slot: str) -> str:
        return f"{self._prefix}:beacon:{request}:{slot}:{kind}"
