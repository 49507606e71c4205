"""PacingContext: the immutable snapshot strategies decide on."""

from __future__ import annotations

import dataclasses

import pytest

from promovolve.pacing.context import PacingContext
from promovolve.pacing.shape import TrafficShapeTracker


def make_ctx(
    now: float,
    spend: int = 0,
    budget: int = 30_000_000,
    day_seconds: int = 86400,
    shape: TrafficShapeTracker | None = None,
) -> PacingContext:
    return PacingContext(
        daily_budget=budget,
        today_spend=spend,
        day_start=1000.0,
        now=1000.0 + now,
        day_duration_seconds=day_seconds,
        traffic_shape=shape,
    )


def noon_peak() -> TrafficShapeTracker:
    tracker = TrafficShapeTracker()
    volumes = [1.0] * 24
    volumes[0], volumes[12] = 0.0, 2.0  # sum 24
    tracker.configure(volumes)
    return tracker


def test_times_on_a_real_day():
    ctx = make_ctx(now=6 * 3600)
    assert ctx.elapsed_seconds == 21600
    assert ctx.day_fraction == pytest.approx(0.25)
    assert ctx.elapsed_hours == pytest.approx(6.0)
    assert ctx.remaining_hours == pytest.approx(18.0)


def test_times_on_a_simulated_day_are_on_the_24_hour_clock():
    ctx = make_ctx(now=150.0, day_seconds=600)
    assert ctx.elapsed_seconds == 150.0
    assert ctx.scaled_elapsed_seconds == pytest.approx(21600.0)
    assert ctx.elapsed_hours == pytest.approx(6.0)
    assert ctx.remaining_hours == pytest.approx(18.0)


def test_times_are_clamped_to_the_day():
    assert make_ctx(now=-50.0).elapsed_seconds == 0.0
    late = make_ctx(now=700.0, day_seconds=600)
    assert late.day_fraction == 1.0
    assert late.elapsed_hours == pytest.approx(24.0)
    assert late.remaining_hours == pytest.approx(0.0)


def test_linear_expected_spend_without_a_shape():
    ctx = make_ctx(now=6 * 3600)
    assert ctx.expected_spend_fraction == pytest.approx(0.25)
    assert ctx.expected_spend == pytest.approx(7_500_000)


def test_traffic_shaped_expected_spend():
    # CDF of the noon-peak shape: at 6 h, (0 + 5·1)/24; at 12.5 h, (0 + 11 + 2·0.5)/24 = 0.5.
    shape = noon_peak()
    assert make_ctx(now=6 * 3600, shape=shape).expected_spend_fraction == pytest.approx(5 / 24)
    half = make_ctx(now=12.5 * 3600, shape=shape)
    assert half.expected_spend_fraction == pytest.approx(0.5)
    assert half.expected_spend == pytest.approx(15_000_000)
    simulated = make_ctx(now=312.5, day_seconds=600, shape=shape)  # 12.5 h of a 600 s day
    assert simulated.expected_spend_fraction == pytest.approx(0.5)


def test_spend_ratio():
    assert make_ctx(now=12 * 3600, spend=15_000_000).spend_ratio == pytest.approx(1.0)
    assert make_ctx(now=12 * 3600, spend=30_000_000).spend_ratio == pytest.approx(2.0)
    assert make_ctx(now=6 * 3600, spend=3_750_000).spend_ratio == pytest.approx(0.5)
    shaped = make_ctx(now=12.5 * 3600, spend=7_500_000, shape=noon_peak())
    assert shaped.spend_ratio == pytest.approx(0.5)


def test_spend_ratio_before_anything_was_expected():
    assert make_ctx(now=0.0).spend_ratio == 1.0
    assert make_ctx(now=0.0, spend=1).spend_ratio == 10.0


def test_spend_ratio_is_capped():
    assert make_ctx(now=60.0, spend=29_000_000).spend_ratio == 10.0


def test_remaining_budget_never_negative():
    assert make_ctx(now=0.0, spend=10_000_000).remaining_budget == 20_000_000
    assert make_ctx(now=0.0, spend=31_000_000).remaining_budget == 0


def test_relative_volume():
    assert make_ctx(now=12.5 * 3600).relative_volume() == 1.0
    assert make_ctx(now=12.5 * 3600, shape=noon_peak()).relative_volume() == pytest.approx(2.0)
    # 90% into hour 11, window 0.2: halfway from 1 to 2.
    ctx = make_ctx(now=11.9 * 3600, shape=noon_peak())
    assert ctx.relative_volume(0.2) == pytest.approx(1.5)


def test_is_exhausted_when_less_than_one_impression_is_left():
    ctx = dataclasses.replace(make_ctx(now=0.0, spend=0, budget=2500), avg_cpm=2_500_500)
    assert ctx.is_exhausted  # one impression costs ceil(2500.5) = 2501 micros
    assert not dataclasses.replace(ctx, daily_budget=2501).is_exhausted


def test_context_is_immutable():
    ctx = make_ctx(now=0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.today_spend = 5  # type: ignore[misc]
