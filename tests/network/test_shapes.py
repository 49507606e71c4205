"""Traffic counts and shape learning once for the network: processes add their hourly
counts in Redis at the tick; after a day ends one process learns the shape from the
network's counts, the others adopt it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import redis.asyncio as aioredis

from promovolve.engine.policies import policy_named
from promovolve.engine.site import observer_for
from promovolve.network.shapes import SharedShapes
from promovolve.pacing.clock import DayClock
from promovolve.pacing.controller import PacingController
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis

DAY = 240  # ten seconds an hour
make_tracker = policy_named("default").make_tracker


def controller() -> PacingController:
    return PacingController(DayClock(DAY, 0.0), make_tracker(), observer_for(DAY))


def sync(*pairs: tuple[SharedShapes, Mapping[str, PacingController]]) -> None:
    async def run() -> None:
        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            for shared, controllers in pairs:
                await shared.sync(client, controllers)
        finally:
            await client.aclose()

    asyncio.run(run())


def test_one_process_learns_the_day_from_everyones_counts():
    client = require_redis()
    prefix = fresh_prefix()
    a = (SharedShapes(make_tracker, prefix), {"s1": controller()})
    b = (SharedShapes(make_tracker, prefix), {"s1": controller()})
    # Morning traffic, split between the processes as a load balancer would.
    for n in range(600):
        t = 0.5 + (n % 59)  # the first six hours
        (a if n % 2 else b)[1]["s1"].observe_request(t)
        if n % 100 == 99:
            sync(a, b)
    sync(a, b)
    counts = {int(k): int(v) for k, v in client.hgetall(a[0].counts_key("s1", 0)).items()}
    assert sum(counts.values()) == 600
    assert set(counts) == set(range(6))
    assert 0 < client.ttl(a[0].counts_key("s1", 0)) <= 3 * 3600
    # Day 1 begins in both; each rolled its own half over.
    for _, controllers in (a, b):
        controllers["s1"].observe_request(DAY + 1.0)
    sync(a, b, a)
    assert a[0].learned_here + b[0].learned_here == 1
    shape_a = a[1]["s1"].tracker.weekday_shape
    assert shape_a == b[1]["s1"].tracker.weekday_shape
    # Learnt from the whole network's morning: the night is quiet, the morning is not.
    assert min(shape_a[:6]) > max(shape_a[6:])
    # A day of no requests learns nothing and keeps the shape.
    sync(a, b)
    assert a[0].learned_here + b[0].learned_here == 1


def test_a_process_that_counted_nothing_still_adopts_the_network_shape():
    require_redis()
    prefix = fresh_prefix()
    busy = (SharedShapes(make_tracker, prefix), {"s1": controller()})
    quiet = (SharedShapes(make_tracker, prefix), {"s1": controller()})
    quiet[1]["s1"].begin_day(0.0)
    for n in range(300):
        busy[1]["s1"].observe_request(200.0 + (n % 30))  # late-day traffic only
    sync(busy, quiet)
    busy[1]["s1"].observe_request(DAY + 1.0)
    quiet[1]["s1"].begin_day(DAY + 1.0)
    sync(busy, quiet, quiet)
    shape = quiet[1]["s1"].tracker.weekday_shape
    assert shape == busy[1]["s1"].tracker.weekday_shape
    assert max(shape[20:]) > max(shape[:20])
