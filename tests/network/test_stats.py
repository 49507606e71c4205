"""Thompson statistics shared through Redis: beacons counted by any process are sampled
from by all, counts loaded at start are not added twice, and a Redis that lost its data
gets them back."""

from __future__ import annotations

import asyncio
from array import array

import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.thompson import CreativeStatsTable
from promovolve.network.stats import SharedCreativeStats
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis


def sync(*pairs: tuple[SharedCreativeStats, CreativeStatsTable]) -> None:
    async def run() -> None:
        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            for shared, table in pairs:
                await shared.sync(client, {"s1": table})
        finally:
            await client.aclose()

    asyncio.run(run())


def counts(table: CreativeStatsTable) -> dict[str, tuple[int, int]]:
    return {c: (s.impressions, s.clicks) for c, s in table.items()}


def test_beacons_counted_anywhere_are_everyones():
    require_redis()
    prefix = fresh_prefix()
    a, b = (
        (SharedCreativeStats(prefix), CreativeStatsTable()),
        (
            SharedCreativeStats(prefix),
            CreativeStatsTable(),
        ),
    )
    for _ in range(3):
        a[1].record_impression("cr1")
    a[1].record_click("cr1")
    b[1].record_impression("cr1")
    b[1].record_impression("cr2")
    sync(a, b, a)
    assert counts(a[1]) == counts(b[1]) == {"cr1": (4, 1), "cr2": (1, 0)}
    sync(a, b, a, b)  # nothing new: nothing added again
    assert counts(a[1]) == counts(b[1]) == {"cr1": (4, 1), "cr2": (1, 0)}


def test_counts_loaded_at_start_are_not_added_twice_and_survive_a_flush():
    client = require_redis()
    prefix = fresh_prefix()
    loaded = {"cr1": (100, 7)}
    a, b = (
        (SharedCreativeStats(prefix), CreativeStatsTable()),
        (
            SharedCreativeStats(prefix),
            CreativeStatsTable(),
        ),
    )
    for shared, table in (a, b):  # both started from the same durable snapshot
        table.load(loaded)
        shared.start({"s1": table})
    sync(a, b, a)
    assert counts(a[1]) == counts(b[1]) == loaded
    client.delete(a[0].key("s1"))  # Redis lost its data
    a[1].record_impression("cr1")
    sync(a, a, b)
    assert counts(a[1]) == counts(b[1]) == {"cr1": (101, 7)}


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=40))
def test_every_process_ends_with_every_beacon(beacons: list[tuple[int, bool]]):
    require_redis()
    prefix = fresh_prefix()
    processes = [(SharedCreativeStats(prefix), CreativeStatsTable()) for _ in range(3)]
    impressions = [0, 0, 0]
    for n, (process, click) in enumerate(beacons):
        table = processes[process][1]
        table.record_impression("cr1")
        if click:
            table.record_click("cr1")
        impressions[process] += 1
        if n % 7 == 0:
            sync(processes[process])
    sync(*processes, *processes)
    want_impressions = len(beacons)
    for _, table in processes:
        stats = table.get("cr1")
        got = (0, 0) if stats is None else (stats.impressions, stats.clicks)
        assert got[0] == want_impressions
        assert got[1] == sum(1 for _, click in beacons if click)


def test_increments_counted_while_the_round_trip_is_out_are_kept():
    shared = SharedCreativeStats("unused")
    table = CreativeStatsTable()
    table.record_impression("cr1")
    sent_i, sent_c = array("q", table.impressions), array("q", table.clicks)
    shared.start({"s1": table})
    table.record_impression("cr1")  # arrived after the pipeline was sent
    shared._learn("s1", table, sent_i, sent_c, {b"cr1:i": b"9", b"cr1:c": b"0"})
    assert counts(table) == {"cr1": (10, 0)}
