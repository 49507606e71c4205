"""Traffic counts and shape learning once for the network: processes add their hourly
counts in Redis at the tick; after a day ends one process learns the shape from the
network's counts, the others adopt it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.engine.policies import policy_named
from promovolve.engine.site_clock import pacing_controller
from promovolve.network.shapes import SETTLE_SECONDS, SharedShapes, day_id
from promovolve.pacing.clock import DayClock
from promovolve.pacing.controller import PacingController
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis

DAY = 240  # ten seconds an hour
DAY0 = day_id(DayClock(DAY, 0.0), 0)  # the first day's name in Redis
make_tracker = policy_named("default").make_tracker
Process = tuple[SharedShapes, Mapping[str, PacingController]]


def controller() -> PacingController:
    return pacing_controller(make_tracker(), DAY)


def process(prefix: str) -> Process:
    return SharedShapes(make_tracker, prefix), {"s1": controller()}


def sync(now: float, *pairs: Process) -> None:
    async def run() -> None:
        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            for shared, controllers in pairs:
                await shared.sync(client, controllers, now)
        finally:
            await client.aclose()

    asyncio.run(run())


def bucket_counts(stored: Mapping[bytes | str, bytes | str]) -> dict[int, int]:
    """The hourly counts of a day's hash, without the second its counts began at."""
    return {int(k): int(v) for k, v in stored.items() if k not in (b"from", "from")}


def learned_count(*pairs: Process) -> int:
    return sum(shared.learned_here for shared, _ in pairs)


def test_one_process_learns_the_day_from_everyones_counts():
    client = require_redis()
    prefix = fresh_prefix()
    a, b = process(prefix), process(prefix)
    # Morning traffic, split between the processes as a load balancer would.
    for n in range(600):
        t = 0.5 + (n % 59)  # the first six hours
        (a if n % 2 else b)[1]["s1"].observe_request(t)
        if n % 100 == 99:
            sync(t, a, b)
    sync(60.0, a, b)
    counts = bucket_counts(client.hgetall(a[0].counts_key("s1", DAY0)))
    assert sum(counts.values()) == 600
    assert set(counts) == set(range(6))
    assert 0 < client.ttl(a[0].counts_key("s1", DAY0)) <= 3 * 3600
    # Day 1 begins in both; each rolled its own half over.
    for _, controllers in (a, b):
        controllers["s1"].observe_request(DAY + 1.0)
    sync(DAY + SETTLE_SECONDS, a, b, a)
    assert learned_count(a, b) == 1
    shape_a = a[1]["s1"].tracker.weekday_shape
    assert shape_a == b[1]["s1"].tracker.weekday_shape
    # Learnt from the whole network's morning: the night is quiet, the morning is not.
    assert min(shape_a[:6]) > max(shape_a[6:])
    # A day of no requests learns nothing and keeps the shape.
    sync(2 * DAY + SETTLE_SECONDS, a, b)
    assert learned_count(a, b) == 1


def test_a_process_that_counted_nothing_still_adopts_the_network_shape():
    require_redis()
    prefix = fresh_prefix()
    busy, quiet = process(prefix), process(prefix)
    quiet[1]["s1"].begin_day(0.0)
    for n in range(300):
        busy[1]["s1"].observe_request(200.0 + (n % 30))  # late-day traffic only
    sync(230.0, busy, quiet)
    busy[1]["s1"].observe_request(DAY + 1.0)
    quiet[1]["s1"].begin_day(DAY + 1.0)
    sync(DAY + SETTLE_SECONDS, busy, quiet, quiet)
    shape = quiet[1]["s1"].tracker.weekday_shape
    assert shape == busy[1]["s1"].tracker.weekday_shape
    assert max(shape[20:]) > max(shape[:20])


def test_the_day_is_learnt_only_once_every_process_has_sent_its_last_counts():
    client = require_redis()
    prefix = fresh_prefix()
    early, late = process(prefix), process(prefix)
    for n in range(200):
        (early if n % 2 else late)[1]["s1"].observe_request(DAY - 5.0 + n / 50)
    sync(DAY - 1.0, early, late)
    # The early process rolls over and ticks at once; the day is too young to learn.
    early[1]["s1"].begin_day(DAY + 0.2)
    sync(DAY + 0.2, early)
    assert learned_count(early, late) == 0
    # The late one rolls over a tick later and sends the counts of its last second.
    late[1]["s1"].begin_day(DAY + 1.2)
    sync(DAY + 1.2, late)
    sync(DAY + SETTLE_SECONDS + 0.2, early, late)
    assert learned_count(early, late) == 1
    counts = bucket_counts(client.hgetall(early[0].counts_key("s1", DAY0)))
    assert sum(counts.values()) == 200


@settings(max_examples=15, deadline=None)
@given(
    st.integers(min_value=1, max_value=3),
    st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=DAY - 1e-3), st.integers(0, 2)),
        min_size=1,
        max_size=150,
    ),
    st.lists(st.floats(min_value=0.0, max_value=DAY - 1e-3), max_size=8),
)
def test_the_network_learns_the_sum_of_every_processes_day(
    processes: int, requests: list[tuple[float, int]], ticks: list[float]
) -> None:
    """Whatever the ticks, every request of the day reaches the network's counts (the last
    partial tick's too), and the day is learnt once: with a flat prior, the network's shape
    is exactly what one tracker learns from the whole day's counts."""
    client = require_redis()
    prefix = fresh_prefix()
    pairs = [process(prefix) for _ in range(processes)]
    events = sorted([(t, n % processes) for t, n in requests] + [(t, -1) for t in ticks])
    for t, who in events:
        if who < 0:
            sync(t, *pairs)
        else:
            pairs[who][1]["s1"].observe_request(t)
    for _, controllers in pairs:
        controllers["s1"].begin_day(DAY + 0.5)
    sync(DAY + 0.5, *pairs)
    sync(DAY + SETTLE_SECONDS, *pairs)
    whole = [0] * 24
    for _, controllers in pairs:
        ended = controllers["s1"].ended
        for bucket, n in enumerate(ended.counts if ended is not None else ()):
            whole[bucket] += n
    assert sum(whole) == len(requests)
    stored = client.hgetall(pairs[0][0].counts_key("s1", DAY0))
    assert bucket_counts(stored) == {b: n for b, n in enumerate(whole) if n}
    assert float(stored[b"from"]) == 0.0  # every process counted from the day's start
    assert learned_count(*pairs) == 1
    alone = make_tracker()
    alone.today_count = list(whole)
    alone.rollover_day()
    for _, controllers in pairs:
        tracker = controllers["s1"].tracker
        assert tracker.weekday_days == 1
        assert tracker.weekday_shape == alone.weekday_shape


def test_a_weekend_with_nothing_learnt_starts_from_the_networks_weekday_shape():
    require_redis()
    prefix = fresh_prefix()
    a = process(prefix)
    first_weekend = 5 * DAY  # simulated day 5 is a Saturday
    a[1]["s1"].begin_day(first_weekend - DAY)
    for n in range(300):
        a[1]["s1"].observe_request(first_weekend - DAY + 0.5 + (n % 59))
    sync(first_weekend - 1.0, a)
    a[1]["s1"].begin_day(first_weekend + 0.5)
    sync(first_weekend + SETTLE_SECONDS, a)
    tracker = a[1]["s1"].tracker
    assert tracker.is_weekend and tracker.weekend_days == 0
    assert tracker.weekend_shape == tracker.weekday_shape
    assert min(tracker.weekend_shape[:6]) > max(tracker.weekend_shape[6:])


def test_a_process_that_did_not_see_the_day_learns_it_as_the_day_type_it_was():
    require_redis()
    prefix = fresh_prefix()
    friday, saturday = 4 * DAY, 5 * DAY
    gone = process(prefix)
    for n in range(300):
        gone[1]["s1"].observe_request(friday + 0.5 + (n % 59))
    sync(friday + 60.0, gone)
    # The process that counted Friday is gone; one started on Saturday learns Friday.
    started = process(prefix)
    started[1]["s1"].begin_day(saturday + 0.5)
    sync(saturday + SETTLE_SECONDS, started)
    assert learned_count(started) == 1
    tracker = started[1]["s1"].tracker
    assert (tracker.weekday_days, tracker.weekend_days) == (1, 0)


def test_a_day_the_network_began_counting_mid_day_is_learnt_without_an_empty_morning():
    """A site started at 14:00 whose traffic began at 15:00, served by a second process
    from 18:00 (DAY/24 seconds an hour): the network counted from 15:00, its first request,
    though a tick came before it; the hours before are unseen, and flat traffic is learnt
    flat."""
    client = require_redis()
    prefix = fresh_prefix()
    hour = DAY / 24
    a, b = process(prefix), process(prefix)
    a[1]["s1"].begin_day(14 * hour, observed_from_now=True)
    sync(14.5 * hour, a)
    b[1]["s1"].begin_day(18 * hour, observed_from_now=True)
    for n in range(900):
        t = 15 * hour + n * (9 * hour / 900)
        who = a if t < 18 * hour or n % 2 else b
        who[1]["s1"].observe_request(t)
        if n % 90 == 89:
            sync(t, a, b)
    for _, controllers in (a, b):
        controllers["s1"].begin_day(DAY + 0.5)
    sync(DAY + 0.5, a, b)
    sync(DAY + SETTLE_SECONDS, a, b)
    stored = client.hgetall(a[0].counts_key("s1", DAY0))
    assert float(stored[b"from"]) == 15 * 3600.0  # the earlier process's start
    assert learned_count(a, b) == 1
    shape = a[1]["s1"].tracker.weekday_shape
    assert shape == b[1]["s1"].tracker.weekday_shape
    assert min(shape) > 0.8


def test_a_new_day_length_starts_the_networks_days_afresh():
    """Days of a new clock (a new day length, a new origin) are learnt too, under names of
    their own, and their shapes are adopted though their day numbers start again at 0."""
    client = require_redis()
    prefix = fresh_prefix()
    a = process(prefix)
    for n in range(300):
        a[1]["s1"].observe_request(0.5 + n * 0.2)  # day 0, the first hours
    a[1]["s1"].begin_day(DAY + 0.5)
    sync(DAY + 0.5, a)
    sync(DAY + SETTLE_SECONDS, a)
    assert learned_count(a) == 1
    origin, short = 10_000.0, 120
    fresh = pacing_controller(make_tracker(), short, origin)
    b = (a[0], {"s1": fresh})
    for n in range(300):
        fresh.observe_request(origin + 60.0 + n * 0.2)  # the afternoon of its day 0
    sync(origin + 100.0, b)
    fresh.begin_day(origin + short + 0.5)
    sync(origin + short + 0.5, b)
    sync(origin + short + SETTLE_SECONDS, b)
    assert learned_count(a) == 2
    assert a[0].counts_key("s1", DAY0) != a[0].counts_key("s1", round(origin * 1000))
    stored = client.get(a[0].shape_key("s1"))
    assert stored is not None and json.loads(stored)["dayStart"] == round(origin * 1000)
    shape = fresh.tracker.weekday_shape
    assert min(shape[12:]) > max(shape[:12])  # the afternoon's shape, adopted
