"""Arrivals in virtual time: rates per hour, bursts, quiet periods, variable delay, noise."""

from __future__ import annotations

import math
import random
import statistics
from bisect import bisect_left
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.sim.scenario import Burst, Scenario, ShapeChange, load_scenario
from promovolve.sim.traffic import (
    expected_day_requests,
    generate_day_arrivals,
    hourly_rates,
    peak_rate,
)

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"


def per_hour(arrivals: list[float], length: float) -> list[int]:
    counts = [0] * 24
    for t in arrivals:
        counts[int(t * 24 / length)] += 1
    return counts


def in_window(arrivals: list[float], start: float, end: float) -> int:
    return bisect_left(arrivals, end) - bisect_left(arrivals, start)


def within(observed: float, expected: float, sigmas: float = 5.0) -> bool:
    # Poisson counts: standard deviation sqrt(expected).
    return abs(observed - expected) <= sigmas * math.sqrt(expected) + 1


def test_hourly_counts_follow_the_shaped_rate() -> None:
    shape = tuple(float(h % 6) for h in range(24))  # peaks at 5, zero every sixth hour
    s = Scenario(day_duration_seconds=24000, weekday_shape=shape, delay_ms=50)
    counts = per_hour(generate_day_arrivals(s, 1, random.Random(7)), 24000)
    hour_seconds = 1000.0
    for b in range(24):
        expected = (1000 / 50) * shape[b] / 5.0 * hour_seconds
        assert within(counts[b], expected), (b, counts[b], expected)
    assert sum(counts) == pytest.approx(expected_day_requests(s, 1), rel=0.02)


def test_zero_volume_hours_get_no_requests() -> None:
    shape = tuple(0.0 if h in (0, 1, 2, 13, 23) else 1.0 for h in range(24))
    s = Scenario(day_duration_seconds=2400, weekday_shape=shape, delay_ms=5)
    counts = per_hour(generate_day_arrivals(s, 1, random.Random(1)), 2400)
    assert [counts[h] for h in (0, 1, 2, 13, 23)] == [0] * 5
    assert all(counts[h] > 0 for h in range(24) if shape[h] > 0)


def test_weekend_days_use_the_weekend_shape() -> None:
    weekday = tuple(1.0 if h < 12 else 0.0 for h in range(24))
    weekend = tuple(0.0 if h < 12 else 1.0 for h in range(24))
    s = Scenario(day_duration_seconds=600, weekday_shape=weekday, weekend_shape=weekend)
    assert max(generate_day_arrivals(s, 5, random.Random(1))) < 300  # Friday: mornings only
    assert min(generate_day_arrivals(s, 6, random.Random(1))) >= 300  # Saturday: afternoons


def test_shape_changes_reach_the_traffic() -> None:
    early = tuple(1.0 if h < 6 else 0.0 for h in range(24))
    late = tuple(0.0 if h < 18 else 1.0 for h in range(24))
    s = Scenario(
        day_duration_seconds=600,
        weekday_shape=early,
        weekend_shape=early,
        shape_changes=(ShapeChange(day=4, weekday_shape=late, weekend_shape=late),),
    )
    assert max(generate_day_arrivals(s, 3, random.Random(1))) < 150
    assert min(generate_day_arrivals(s, 4, random.Random(1))) >= 450


def test_burst_multiplies_the_rate_only_in_its_window() -> None:
    length = 24000.0  # one simulated minute is 1000/60 s
    burst = Burst(day=2, hour=5, minutes=30, multiplier=4)
    s = Scenario(day_duration_seconds=int(length), delay_ms=50, bursts=(burst,))
    start = 5 * length / 24
    end = start + 30 * length / 1440
    base_rate = 1000 / 50

    day2 = generate_day_arrivals(s, 2, random.Random(3))
    assert within(in_window(day2, start, end), 4 * base_rate * (end - start))
    # The rest of hour 5 and hour 6 run at the normal rate.
    assert within(in_window(day2, end, start + 1000), base_rate * (start + 1000 - end))
    assert within(in_window(day2, start + 1000, start + 2000), base_rate * 1000)
    # The burst belongs to day 2 only.
    day1 = generate_day_arrivals(s, 1, random.Random(3))
    assert within(in_window(day1, start, end), base_rate * (end - start))


def test_burst_at_the_end_of_the_day_is_cut_at_midnight() -> None:
    s = Scenario(
        day_duration_seconds=2400,
        delay_ms=100,
        bursts=(Burst(day=1, hour=23.5, minutes=120, multiplier=5),),
    )
    arrivals = generate_day_arrivals(s, 1, random.Random(2))
    assert arrivals[-1] < 2400
    assert within(in_window(arrivals, 2350, 2400), 5 * 10 * 50)


def test_quiet_periods_reduce_traffic_as_renewal_theory_predicts() -> None:
    rate, probability, mean_quiet = 100.0, 0.01, 0.2
    s = Scenario(
        day_duration_seconds=600,
        delay_ms=10,
        quiet_period_probability=probability,
        quiet_period_min_ms=100,
        quiet_period_max_ms=300,
    )
    arrivals = generate_day_arrivals(s, 1, random.Random(5))
    # Each request costs 1/rate of traffic time plus, with the probability, a quiet period.
    expected = 600 / (1 / rate + probability * mean_quiet)
    assert len(arrivals) == pytest.approx(expected, rel=0.03)
    assert len(arrivals) < 0.9 * expected_day_requests(s, 1)
    gaps = [b - a for a, b in pairwise(arrivals)]
    quiet_gaps = sum(1 for g in gaps if g >= 0.1)
    assert quiet_gaps == pytest.approx(probability * len(arrivals), rel=0.2)


def test_certain_quiet_period_after_every_request() -> None:
    s = Scenario(
        day_duration_seconds=600,
        delay_ms=1,
        quiet_period_probability=1.0,
        quiet_period_min_ms=2000,
        quiet_period_max_ms=2000,
    )
    arrivals = generate_day_arrivals(s, 1, random.Random(1))
    gaps = [b - a for a, b in pairwise(arrivals)]
    assert min(gaps) >= 2.0
    assert 250 <= len(arrivals) <= 300  # one request per ~2.001 s


def test_variable_delay_averages_over_the_delay_range() -> None:
    s = Scenario(day_duration_seconds=1440, delay_ms=10, variable_delay=True, max_delay_ms=30)
    mean_rate = 1000 * math.log(3) / 20
    assert peak_rate(s) == pytest.approx(mean_rate)
    assert expected_day_requests(s, 1) == pytest.approx(1440 * mean_rate)
    arrivals = generate_day_arrivals(s, 1, random.Random(9))
    assert len(arrivals) == pytest.approx(1440 * mean_rate, rel=0.03)
    # Redrawn every simulated minute (1 s here): per-minute counts spread well beyond Poisson.
    minutes = [in_window(arrivals, m, m + 1) for m in range(1440)]
    assert min(minutes) < 45 and max(minutes) > 80
    assert statistics.pvariance(minutes) > 3 * statistics.fmean(minutes)


def test_fixed_delay_ignores_max_delay() -> None:
    s = Scenario(day_duration_seconds=600, delay_ms=20, max_delay_ms=10)
    assert peak_rate(s) == 50.0


def test_noise_varies_hours_but_keeps_the_mean() -> None:
    s = Scenario(day_duration_seconds=24000, delay_ms=400, noise=0.5)
    ratios: list[float] = []
    for day in range(1, 6):
        counts = per_hour(generate_day_arrivals(s, day, random.Random(day)), 24000)
        ratios += [c / 2500 for c in counts]  # 2.5 requests/s for 1000 s without noise
    # Lognormal(σ=0.5) has sd ≈ 0.53; Poisson alone would give 0.02.
    assert statistics.pstdev(ratios) > 0.3
    assert statistics.fmean(ratios) == pytest.approx(1.0, abs=0.2)


def test_same_rng_state_same_arrivals() -> None:
    s = Scenario(
        day_duration_seconds=600,
        delay_ms=20,
        noise=0.3,
        variable_delay=True,
        max_delay_ms=60,
        quiet_period_probability=0.01,
        quiet_period_min_ms=10,
        quiet_period_max_ms=50,
        bursts=(Burst(day=1, hour=3, minutes=60, multiplier=3),),
    )
    first = generate_day_arrivals(s, 1, random.Random(11))
    assert first == generate_day_arrivals(s, 1, random.Random(11))
    assert first != generate_day_arrivals(s, 1, random.Random(12))
    # The generator's state moves on, so consecutive days differ.
    rng = random.Random(11)
    assert generate_day_arrivals(s, 1, rng) != generate_day_arrivals(s, 1, rng)


def test_expected_day_requests_closed_forms() -> None:
    assert expected_day_requests(Scenario(day_duration_seconds=600, delay_ms=10), 1) == 60000
    seed_weekday: tuple[float, ...] = (0.3, 0.2, 1.0, 0.2, 0.0, 0.3, 0.5, 2.5, 0.1, 2.0, 1.5, 2.0)
    seed_weekday += (2.5, 3.0, 2.5, 2.0, 1.5, 1.2, 1.2, 1.0, 0.4, 2.0, 5.0, 0.4)
    s = Scenario(day_duration_seconds=600, delay_ms=10, weekday_shape=seed_weekday)
    # 100 requests/s at the peak (5.0), 25 s per hour: 500 × Σ shape.
    assert expected_day_requests(s, 1) == pytest.approx(500 * sum(seed_weekday))
    assert hourly_rates(s, 1)[22] == pytest.approx(100.0)
    assert hourly_rates(s, 1)[4] == 0.0


shapes = st.lists(
    st.one_of(st.just(0.0), st.floats(0.0, 10.0, allow_nan=False)), min_size=24, max_size=24
).filter(lambda v: max(v) > 0)


@settings(max_examples=60, deadline=None)
@given(
    shape=shapes,
    length=st.integers(60, 3000),
    delay=st.floats(100.0, 1000.0),
    variable=st.booleans(),
    noise=st.sampled_from([0.0, 0.3]),
    quiet=st.sampled_from([0.0, 0.05, 1.0]),
    burst_hour=st.floats(0.0, 23.99),
    seed=st.integers(0, 2**32),
)
def test_arrivals_sorted_in_range_and_absent_in_zero_hours(
    shape: list[float],
    length: int,
    delay: float,
    variable: bool,
    noise: float,
    quiet: float,
    burst_hour: float,
    seed: int,
) -> None:
    s = Scenario(
        day_duration_seconds=length,
        weekday_shape=tuple(shape),
        delay_ms=delay,
        variable_delay=variable,
        max_delay_ms=delay * 2,
        noise=noise,
        quiet_period_probability=quiet,
        quiet_period_min_ms=0,
        quiet_period_max_ms=500,
        bursts=(Burst(day=1, hour=burst_hour, minutes=90, multiplier=3),),
    )
    arrivals = generate_day_arrivals(s, 1, random.Random(seed))
    assert all(0.0 <= t < length for t in arrivals)
    assert all(a <= b for a, b in pairwise(arrivals))
    for t in arrivals:
        assert shape[min(23, int(t * 24 / length))] > 0


def _campaign_budget_total(s: Scenario) -> float:
    return sum(s.advertiser_budget(a) for a in range(1, s.advertisers + 1)) * (
        s.campaigns_per_advertiser
    )


def test_bundled_scenarios_have_traffic_for_their_budgets() -> None:
    # Unless a file's purpose says otherwise, a day's expected traffic carries 1.5-4x the
    # budgets at the lowest bid, and no day exceeds ~400k requests.
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        s, _ = load_scenario(path)
        price = min(s.advertiser_cpm(a) for a in range(1, s.advertisers + 1)) / 1000
        budgets = _campaign_budget_total(s)
        for day in range(1, s.stop_after_days + 1):
            requests = expected_day_requests(s, day)
            ratio = requests * price / budgets
            assert requests <= 400_000, (path.name, day)
            if path.stem == "small-budgets":
                assert ratio >= 5, (path.name, day, ratio)  # budgets that exhaust
            elif path.stem == "seed-shapes":
                assert ratio >= 3, (path.name, day, ratio)
            else:
                assert 1.5 <= ratio <= 4, (path.name, day, ratio)


def test_quiet_periods_scenario_still_carries_its_budgets() -> None:
    s, _ = load_scenario(SCENARIO_DIR / "quiet-periods.json")
    price = s.advertiser_cpm(1) / 1000
    requests = len(generate_day_arrivals(s, 1, random.Random(s.seed)))
    assert requests < 0.95 * expected_day_requests(s, 1)  # the quiet periods do bite
    assert requests * price >= 1.5 * _campaign_budget_total(s)
