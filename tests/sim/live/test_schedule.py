"""The live simulator's traffic schedule (no sleeping: a clock that is always late)."""

from __future__ import annotations

import random
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.sim.live.schedule import (
    Action,
    Arrival,
    DayClosing,
    Event,
    Schedule,
    bucket_at,
    day_timeline,
    server_day_start,
)
from promovolve.sim.scenario import Scenario, parse_scenario
from promovolve.sim.traffic import generate_day_arrivals

START = 1_000_000.0


def scenario(**overrides: object) -> Scenario:
    raw: dict[str, object] = {
        "name": "schedule",
        "advertisers": 2,
        "dayDurationSeconds": 60,
        "delayMs": 100,
        "stopAfterDays": 2,
        "churn": [{"day": 2, "action": "pause", "advertiser": 1}],
        "events": [{"day": 1, "hour": 12, "action": "setBudget", "advertiser": 2, "budget": 3.0}],
    }
    raw.update(overrides)
    parsed, _ = parse_scenario(raw, "schedule")
    return parsed


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), day=st.integers(1, 3))
def test_a_days_timeline_is_ordered_with_changes_first_at_a_tie(seed: int, day: int) -> None:
    s = scenario(seed=seed)
    timeline = day_timeline(s, day, random.Random(seed))
    keys = [(offset, action is None) for offset, action in timeline]
    assert keys == sorted(keys)
    requests = [offset for offset, action in timeline if action is None]
    assert requests == generate_day_arrivals(s, day, random.Random(seed))
    changes = [action for _, action in timeline if action is not None]
    if day == 1:
        assert changes == [Action("setBudget", 2, None, 3.0)]
        assert [o for o, a in timeline if a is not None] == [30.0]  # hour 12 of a 60 s day
    elif day == 2:
        assert changes == [Action("pause", 1)]
    else:
        assert changes == []


def test_bucket_at_stays_in_the_day() -> None:
    assert bucket_at(START - 5, START, 60) == 0
    assert bucket_at(START + 2.6, START, 60) == 1
    assert bucket_at(START + 59.9, START, 60) == 23
    assert bucket_at(START + 120, START, 60) == 23


def test_server_day_start_is_carried_to_the_current_day() -> None:
    stats = {"dayStart": START, "dayIndex": 7}
    assert server_day_start(stats, START + 10, 60) == (START, 7)
    assert server_day_start(stats, START + 70, 60) == (START + 60, 8)  # no traffic since
    assert server_day_start(stats, START + 500, 60) == (START + 500, None)  # too old
    assert server_day_start(None, START, 60) == (START, None)


def late_clock(first: float) -> Callable[[], float]:
    """``first`` at the first call (the run's start), then far later: nothing sleeps."""
    calls = iter([first])
    return lambda: next(calls, first + 1e9)


async def collect(schedule: Schedule) -> list[Event]:
    return [event async for event in schedule.events(START)]


async def test_the_schedule_runs_its_days_then_ends() -> None:
    s = scenario()
    schedule = Schedule(s, continuous=False, rng=random.Random(1), clock=late_clock(START))
    events = await collect(schedule)
    rng = random.Random(1)
    day1, day2 = (len(generate_day_arrivals(s, day, rng)) for day in (1, 2))
    closings = [e for e in events if isinstance(e, DayClosing)]
    assert closings == [DayClosing(1), DayClosing(2)] and events[-1] == DayClosing(2)
    assert events.count(Arrival(1)) == day1 and events.count(Arrival(2)) == day2
    assert [e for e in events if isinstance(e, Action)] == [
        Action("setBudget", 2, None, 3.0),
        Action("pause", 1),
    ]
    assert schedule.completed and schedule.day == 2 and schedule.skipped_before_start == 0
    assert schedule.max_lag > 0


async def test_arrivals_already_past_at_the_start_are_skipped() -> None:
    s = scenario(stopAfterDays=1)
    schedule = Schedule(s, continuous=False, rng=random.Random(3), clock=late_clock(START + 30))
    events = await collect(schedule)
    past = [t for t in generate_day_arrivals(s, 1, random.Random(3)) if t < 30]
    assert schedule.skipped_before_start == len(past)
    arrivals = events.count(Arrival(1))
    assert arrivals + len(past) == len(generate_day_arrivals(s, 1, random.Random(3)))
    assert Action("setBudget", 2, None, 3.0) in events  # changes are never skipped
