"""Traffic counts and learned shapes, once for the network.

Every process counts the requests it serves in its engines' hourly buckets. At each tick
the counts since the last tick are added to `{prefix}:traffic:{site}:<day>` (HINCRBY per
bucket, in the tick's pipeline, never per request; the hash expires after a few days) and
the network's latest learned shape of the site, `{prefix}:shape:{site}`, is read in the same
round trip.

A process's last counts of a day are sent at its first tick of the next: its controller
keeps the ended day's final counts (`PacingController.ended`), so none are lost at rollover.
Once a site's day is `settle_seconds` old (a few ticks: every live process has rolled over
and sent its last counts of the ended day by then), the first process to take the lock
`{prefix}:shape-lock:{site}:<day>` (SET NX) learns the ended day's shape from the network's
counts — the same tracker code a process runs on its own counts, started from the network's
previous shape, or before there is one from this process's shape as it was before its own
rollover of that day — and stores it with the day. A day's counts that began after its
start (a site created, or the network's first process started, mid-day) are learnt as the
tracker learns such a day: from the earliest second any process counted it (`from` in the
counts hash, the least any process sent), the hours before unseen rather than empty.
Every process adopts a stored shape newer than the one it has (its own day totals stay its
own: they are its share of the traffic, which is what its forecasts need). The
database keeps it as before, through each process's snapshots.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping

import redis
import redis.asyncio as aioredis

from promovolve.pacing.clock import DayClock
from promovolve.pacing.config import SECONDS_PER_DAY
from promovolve.pacing.controller import PacingController
from promovolve.pacing.shape import TrafficShapeTracker

logger = logging.getLogger(__name__)

COUNT_DAYS_KEPT = 3
OBSERVED_FROM_FIELD = "from"
# Keeps the least of the values sent: the network's day began where its earliest process's did.
_KEEP_LEAST = """
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held or tonumber(ARGV[2]) < tonumber(held) then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return 0
"""
# How old a day must be before its predecessor is learnt: three ticks of the server.
SETTLE_SECONDS = 3.0


class SharedShapes:
    def __init__(
        self,
        make_tracker: Callable[[], TrafficShapeTracker],
        prefix: str = "promovolve",
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self._make_tracker = make_tracker
        self._prefix = prefix
        self._settle = settle_seconds
        self._sent: dict[str, tuple[int, list[int]]] = {}  # site → (day, counts sent)
        self._adopted: dict[str, int] = {}  # site → day of the network shape it has
        self._learnt: dict[str, int] = {}  # site → last ended day it tried the lock of
        self._from_sent: dict[str, int] = {}  # site → last day its observed start went
        # The day clock the days above are on: a new day length restarts a site's days.
        self._clock_of: dict[str, DayClock] = {}
        self.learned_here = 0

    def counts_key(self, site_id: str, day_start: int) -> str:
        """A day's counts, named by its start (`day_id`): unique across day clocks."""
        return f"{self._prefix}:traffic:{{{site_id}}}:{day_start}"

    def shape_key(self, site_id: str) -> str:
        return f"{self._prefix}:shape:{{{site_id}}}"

    async def sync(
        self, client: aioredis.Redis, controllers: Mapping[str, PacingController], now: float
    ) -> None:
        pipe = client.pipeline(transaction=False)
        sent: list[tuple[str, int, list[int]]] = []
        from_sent = dict(self._from_sent)
        for site_id, controller in controllers.items():
            day = controller.day_index
            if day is None:
                continue
            if self._clock_of.get(site_id) != controller.clock:
                self._forget(site_id)
                self._clock_of[site_id] = controller.clock
            counts = list(controller.tracker.today_count)
            sent_day, before = self._sent.get(site_id) or _first_sight(controller)
            if sent_day != day:
                final = controller.ended
                if final is not None and final.day_index == sent_day:
                    # What it counted of the ended day after its last tick in that day.
                    ended, began = list(final.counts), final.observed_from
                    self._add(pipe, controller, site_id, sent_day, ended, before, began)
                before = [0] * len(counts)
            began = controller.tracker.observed_from
            self._add(pipe, controller, site_id, day, counts, before, began)
            pipe.get(self.shape_key(site_id))
            sent.append((site_id, day, counts))
        if not sent:
            return
        try:
            answers = await pipe.execute()
        except (redis.RedisError, OSError) as error:
            logger.warning("traffic counts not shared this tick: %s", error)
            self._from_sent = from_sent  # not sent: again at the next tick
            return
        shapes = [a for a in answers if a is None or isinstance(a, bytes)]
        for (site_id, day, counts), stored in zip(sent, shapes, strict=True):
            self._sent[site_id] = (day, counts)
            controller = controllers[site_id]
            if stored is not None:
                self._adopt(site_id, controller, json.loads(stored))
            last = day - 1
            start = controller.day_start
            settled = start is not None and now - start >= self._settle
            if settled and last >= 0 and self._learnt.get(site_id, -1) < last:
                self._learnt[site_id] = last
                await self._learn_once(client, site_id, last, controller, stored)

    def _add(
        self,
        pipe: aioredis.client.Pipeline,
        controller: PacingController,
        site_id: str,
        day: int,
        counts: list[int],
        before: list[int],
        observed_from: float,
    ) -> None:
        """The day's counts since those sent; with its first counts of the day, the second
        they began at (a process that counted nothing of a day has no say in where the
        network's began)."""
        key = self.counts_key(site_id, day_id(controller.clock, day))
        deltas = [(b, n - before[b]) for b, n in enumerate(counts) if n != before[b]]
        for bucket, delta in deltas:
            pipe.hincrby(key, str(bucket), delta)
        first = self._from_sent.get(site_id) != day and any(counts)
        if first:
            self._from_sent[site_id] = day
            pipe.eval(_KEEP_LEAST, 1, key, OBSERVED_FROM_FIELD, repr(observed_from))
        if deltas or first:
            pipe.expire(key, _ttl(controller))

    def _forget(self, site_id: str) -> None:
        for memory in (self._sent, self._adopted, self._learnt, self._from_sent):
            memory.pop(site_id, None)

    def _adopt(self, site_id: str, controller: PacingController, stored: dict[str, object]) -> None:
        day = int(str(stored.get("dayStart", -1)))  # the newest day learnt, on any clock
        if day > self._adopted.get(site_id, -1):
            tracker = controller.tracker
            tracker.adopt_learned(stored)
            # A day type the network has learnt nothing of starts from the other one's shape.
            tracker.set_day_type(tracker.is_weekend)
            self._adopted[site_id] = day

    async def _learn_once(
        self,
        client: aioredis.Redis,
        site_id: str,
        day: int,
        controller: PacingController,
        stored: bytes | None,
    ) -> None:
        """Learn the ended day's shape from the network's counts, if no process did."""
        day_start = day_id(controller.clock, day)
        lock = f"{self._prefix}:shape-lock:{{{site_id}}}:{day_start}"
        try:
            if not await client.set(lock, 1, nx=True, ex=_ttl(controller)):
                return
            raw = await client.hgetall(self.counts_key(site_id, day_start))
            counts = [0] * controller.tracker.bucket_count
            observed_from = 0.0
            for field, n in raw.items():
                if field == OBSERVED_FROM_FIELD.encode():
                    observed_from = float(n)
                elif 0 <= int(field) < len(counts):
                    counts[int(field)] = int(n)
            learned = learn(self._make_tracker, controller, stored, day, counts, observed_from)
            if learned is None:
                return
            await client.set(self.shape_key(site_id), json.dumps(learned))
        except (redis.RedisError, OSError) as error:
            logger.warning("shape of site %s day %d not learnt: %s", site_id, day, error)
            return
        self.learned_here += 1
        self._adopt(site_id, controller, learned)


def learn(
    make_tracker: Callable[[], TrafficShapeTracker],
    controller: PacingController,
    stored: bytes | None,
    day: int,
    counts: list[int],
    observed_from: float = 0.0,
) -> dict[str, object] | None:
    """The shape after `day` from the network's counts (begun at `observed_from`): the
    tracker's own rollover, started from the network's last shape or, before there is one,
    from this process's shape as it was before it rolled `day` over on its own (so the day
    is not learnt twice)."""
    if not sum(counts):
        return None
    tracker = make_tracker()
    ended = controller.ended if controller.ended and controller.ended.day_index == day else None
    if stored is not None:
        base: dict[str, object] = json.loads(stored)
    elif ended is not None:
        base = ended.learned_before
    else:
        base = controller.tracker.snapshot()
    tracker.adopt_learned(base)
    if ended is not None:
        weekend = ended.is_weekend
    elif controller.day_start is not None:  # a day this process did not see end: the clock's
        weekend = controller.clock.is_weekend(controller.day_start - 1.0)
    else:
        weekend = tracker.is_weekend
    tracker.set_day_type(weekend)
    tracker.today_count = counts
    tracker.observe_from(observed_from)
    tracker.rollover_day()
    learned: dict[str, object] = {
        "day": day,
        "dayStart": day_id(controller.clock, day),
        **tracker.snapshot(),
    }
    return learned


def _first_sight(controller: PacingController) -> tuple[int, list[int]]:
    """What counts as sent before a site's first tick here: nothing of the day that ended
    since (its counts go in full), but counts a snapshot brought in, already shared."""
    ended, restored = controller.ended, controller.restored_counts
    day = ended.day_index if ended is not None else controller.day_index
    if restored is not None and restored[0] == day:
        return day, list(restored[1])
    return (day if day is not None else -1), [0] * controller.tracker.bucket_count


def day_id(clock: DayClock, day: int) -> int:
    """A day's start in milliseconds since the epoch: the same on every process (they share
    the site's clock origin) and never the same for two days of different clocks."""
    if clock.is_simulated:
        return round((clock.origin + day * clock.day_duration_seconds) * 1000)
    return day * SECONDS_PER_DAY * 1000


def _ttl(controller: PacingController) -> int:
    day = controller.clock.day_duration_seconds
    return max(3600, int(COUNT_DAYS_KEPT * min(day, SECONDS_PER_DAY)))
