"""BatchedRedisLedger: the ledger contract through its confirmed answers, and what only the
batch has: one round trip for every reserve decided in a loop turn, a provisional reserve
the network refuses, spend reads that never wait."""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis

from promovolve.domain.ledger import BudgetLedger
from promovolve.engine.lifetime_spend import LifetimeSpend
from promovolve.network.batched_ledger import BatchedRedisLedger
from promovolve.network.ledger import RedisBudgetLedger
from tests.engine.ledger_contract import BudgetLedgerContract
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis

T = TypeVar("T")


class Confirmed:
    """The batched ledger seen synchronously: each call runs the loop until the network
    answered, the way the serve path awaits a reserve's confirmation before it answers."""

    def __init__(self, prefix: str | None = None, lifetime: LifetimeSpend | None = None) -> None:
        self.prefix = prefix or fresh_prefix()
        self.loop = asyncio.new_event_loop()
        self.client = aioredis.Redis.from_url(REDIS_URL)
        sync = RedisBudgetLedger(require_redis(), self.prefix, lifetime=lifetime)
        self.ledger = BatchedRedisLedger(sync, self.client, self.prefix)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    async def _reserve(
        self, c: str, day: int, r: str, amount: int, budget: int, before: int | None
    ) -> bool:
        if not self.ledger.reserve(c, day, r, amount, budget, before):
            return False
        if await self.ledger.confirmation(c, day, r):
            return True
        assert self.ledger.release(c, day, r)  # refused: given back without a round trip
        return False

    def reserve(
        self,
        campaign_id: str,
        day: int,
        request_id: str,
        amount: int,
        budget: int,
        spent_before: int | None = None,
    ) -> bool:
        return self.run(self._reserve(campaign_id, day, request_id, amount, budget, spent_before))

    def release(self, campaign_id: str, day: int, request_id: str) -> bool:
        return self.run(self.ledger.released(campaign_id, day, request_id))

    def refund(self, campaign_id: str, day: int, amount: int) -> bool:
        return self.run(self.ledger.refunded(campaign_id, day, amount))

    def spent(self, campaign_id: str, day: int) -> int:
        return self.ledger.spent(campaign_id, day)

    def spent_many(self, campaign_ids: Sequence[str], day: int) -> array[int]:
        return self.run(self._spent_many(campaign_ids, day))

    async def _spent_many(self, campaign_ids: Sequence[str], day: int) -> array[int]:
        return self.ledger.spent_many(campaign_ids, day)


class TestBatchedRedisLedger(BudgetLedgerContract):
    def make_ledger(self) -> BudgetLedger:
        return Confirmed()


def test_reserves_of_one_loop_turn_are_one_round_trip():
    side = Confirmed()
    ledger = side.ledger

    async def many() -> list[bool]:
        decided = [ledger.reserve("c1", 0, f"r{i}", 100, 10_000) for i in range(50)]
        assert all(decided)
        return list(
            await asyncio.gather(*(ledger.confirmation("c1", 0, f"r{i}") for i in range(50)))
        )

    assert side.run(many()) == [True] * 50
    assert ledger.round_trips == 1
    assert ledger.spent("c1", 0) == 5000


def test_a_provisional_reserve_the_network_refuses_is_given_back():
    prefix = fresh_prefix()
    a, b = Confirmed(prefix), Confirmed(prefix)
    assert a.reserve("c1", 0, "a1", 100, 1000)  # a learns the campaign: spend 100
    assert b.reserve("c1", 0, "b1", 900, 1000)  # b spends the rest; a has not heard

    async def decide() -> tuple[bool, bool]:
        provisional = a.ledger.reserve("c1", 0, "a2", 500, 1000)
        return provisional, await a.ledger.confirmation("c1", 0, "a2")

    assert a.run(decide()) == (True, False)
    assert a.ledger.release("c1", 0, "a2")  # no round trip: the network never had it
    assert a.spent("c1", 0) == b.spent("c1", 0) == 1000
    # Having heard the network's spend, a refuses at once.
    assert not a.run(_reserve_now(a.ledger, "a3", 1))


async def _reserve_now(ledger: BatchedRedisLedger, request_id: str, amount: int) -> bool:
    return ledger.reserve("c1", 0, request_id, amount, 1000)


def test_spend_read_never_waits_and_counts_what_is_in_flight():
    prefix = fresh_prefix()
    writer, reader = Confirmed(prefix), Confirmed(prefix)
    assert writer.reserve("c1", 0, "w1", 700, 10_000)

    async def read() -> tuple[list[int], list[int], list[int]]:
        ledger = reader.ledger
        first = list(ledger.spent_many(["c1"], 0))  # unknown yet: a read is queued
        assert ledger.reserve("c1", 0, "r1", 50, 10_000)
        held = list(ledger.spent_many(["c1"], 0))
        await ledger.confirmation("c1", 0, "r1")
        return first, held, list(ledger.spent_many(["c1"], 0))

    first, held, after = reader.run(read())
    assert first == [0]
    assert held == [50]
    assert after == [750]


def test_refused_when_redis_is_unreachable():
    from benchmarks.server import free_port

    prefix = fresh_prefix()
    loop = asyncio.new_event_loop()
    down = aioredis.Redis(port=free_port(), socket_connect_timeout=0.2)
    ledger = BatchedRedisLedger(RedisBudgetLedger(require_redis(), prefix), down, prefix)

    async def go() -> tuple[bool, bool]:
        provisional = ledger.reserve("c1", 0, "r1", 100, 10_000)
        return provisional, await ledger.confirmation("c1", 0, "r1")

    assert loop.run_until_complete(go()) == (True, False)
    assert ledger.release("c1", 0, "r1")
    assert ledger.spent("c1", 0) == 0


def test_a_lifetime_share_from_too_little_is_refused_and_the_networks_count_learnt():
    prefix = fresh_prefix()
    first = RedisBudgetLedger(require_redis(), prefix)
    assert first.reserve("c1", 0, "r1", 4000, 10_000, spent_before=0)
    seen = LifetimeSpend()
    side = Confirmed(prefix, lifetime=seen)
    # This process never saw day 0's spend: its share of day 1 was worked out from 0.
    assert not side.reserve("c1", 1, "r2", 100, 10_000, spent_before=0)
    assert seen.before("c1", 1) == 4000
    assert side.reserve("c1", 1, "r2", 100, 10_000, spent_before=4000)
    side.spent_many(["c1"], 1)  # a read tells the count too
    assert (seen.before("c1", 1), first.day_and_spend("c1")) == (4000, (1, 100))


def test_an_earlier_days_refund_is_sent_for_the_spend_before():
    side = Confirmed()
    assert side.reserve("c1", 0, "r1", 3000, 10_000, spent_before=0)
    assert side.reserve("c1", 1, "r2", 1000, 10_000, spent_before=3000)

    async def settle() -> tuple[bool, bool]:
        queued = side.ledger.refund("c1", 0, 3000)  # answered at once: not today's budget
        # Queued after it, so answered after it: nothing for a later day.
        return queued, await side.ledger.refunded("c1", 2, 5)

    assert side.run(settle()) == (False, False)
    key = f"{side.prefix}:ledger:{{c1}}"
    assert require_redis().hmget(key, "spent", "before") == [b"1000", b"0"]
