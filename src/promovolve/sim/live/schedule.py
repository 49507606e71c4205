"""The live simulator's traffic schedule: when each request and campaign change happens.

Arrival times come from :func:`promovolve.sim.traffic.generate_day_arrivals`, laid on the
wall clock from the server's day start; churn applies at the start of its day and events at
their hour, before a request at the same instant. :class:`Schedule` sleeps until each one
and hands it over; the simulator decides what to do with it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass

from promovolve.sim.live.values import number
from promovolve.sim.scenario import HOURS_PER_DAY, Scenario
from promovolve.sim.traffic import generate_day_arrivals


@dataclass(frozen=True, slots=True)
class Action:
    """A churn entry or scheduled event: ``campaign`` None means all of the advertiser's."""

    action: str
    advertiser: int
    campaign: int | None = None
    budget: float | None = None


@dataclass(frozen=True, slots=True)
class Arrival:
    """A request to send, on the simulator's ``day``."""

    day: int


@dataclass(frozen=True, slots=True)
class DayClosing:
    """The day's arrivals are over and its end is a moment away: time for its last stats."""

    day: int


Event = Action | Arrival | DayClosing


def day_timeline(
    scenario: Scenario, day: int, rng: random.Random
) -> list[tuple[float, Action | None]]:
    """The day's (offset in seconds, change) in order; change None is a request."""
    length = scenario.day_duration_seconds
    items: list[tuple[float, int, Action | None]] = []
    for churn in scenario.churn:
        if churn.day == day:
            items.append((0.0, 0, Action(churn.action, churn.advertiser)))
    for event in scenario.events:
        if event.day == day:
            when = event.hour * length / HOURS_PER_DAY
            action = Action(event.action, event.advertiser, event.campaign, event.budget)
            items.append((when, 0, action))
    items.extend((t, 1, None) for t in generate_day_arrivals(scenario, day, rng))
    items.sort(key=lambda item: (item[0], item[1]))
    return [(offset, action) for offset, _, action in items]


def bucket_at(now: float, day_start: float, day_length: float) -> int:
    """The hour (0-23) of the simulated day that ``now`` falls in."""
    fraction = (now - day_start) / day_length
    return min(HOURS_PER_DAY - 1, max(0, int(fraction * HOURS_PER_DAY)))


def server_day_start(
    site_stats: Mapping[str, object] | None, now: float, day_length: float
) -> tuple[float, int | None]:
    """(start, server day index) of the site's current day from its stats, else (now, None).

    Stats from before a rollover (no traffic since) are carried forward whole days.
    """
    stats = site_stats or {}
    start, index = number(stats.get("dayStart")), number(stats.get("dayIndex"))
    if start is None or start > now + 5 or now - start > day_length * 2:
        return now, None
    while now - start >= day_length:
        start += day_length
        index = None if index is None else index + 1
    return start, None if index is None else int(index)


class Schedule:
    """Yields each day's changes and arrivals at their wall-clock time, then a closing.

    Arrivals of day 1 that are already past when the run starts are skipped (counted);
    the schedule ends after ``stopAfterDays`` days unless ``continuous``.
    """

    def __init__(
        self,
        scenario: Scenario,
        continuous: bool,
        rng: random.Random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.scenario = scenario
        self.continuous = continuous
        self.rng = rng
        self.clock = clock
        self.day = 1
        self.day_start = 0.0
        self.skipped_before_start = 0
        self.max_lag = 0.0  # seconds an event was handed over behind its time, at most
        self.completed = False  # the schedule ran all of stopAfterDays

    def bucket(self, now: float) -> int:
        return bucket_at(now, self.day_start, self.scenario.day_duration_seconds)

    async def _sleep_until(self, target: float) -> None:
        delay = target - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            self.max_lag = max(self.max_lag, -delay)

    async def events(self, first_day_start: float) -> AsyncGenerator[Event, None]:
        length = self.scenario.day_duration_seconds
        self.day = 1
        while True:
            self.day_start = first_day_start + (self.day - 1) * length
            cutoff = self.clock() if self.day == 1 else float("-inf")
            for offset, action in day_timeline(self.scenario, self.day, self.rng):
                target = self.day_start + offset
                if action is None and target < cutoff:
                    self.skipped_before_start += 1
                    continue
                await self._sleep_until(target)
                yield action if action is not None else Arrival(self.day)
            # The closing stats are taken just before the end: the server's "today"
            # resets at the boundary.
            day_end = self.day_start + length
            delay = day_end - min(1.0, length * 0.005) - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            yield DayClosing(self.day)
            delay = day_end - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self.continuous and self.day >= self.scenario.stop_after_days:
                self.completed = True
                return
            self.day += 1
