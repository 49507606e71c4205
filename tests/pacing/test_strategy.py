"""Pacing strategies: grace period, base throttle, PI control, volatility-tuned gains."""

from __future__ import annotations

import math
from dataclasses import replace
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.pacing.context import PacingContext
from promovolve.pacing.shape import TrafficShapeTracker
from promovolve.pacing.strategy import (
    FixedThrottlePacing,
    PacingStrategy,
    RateAwarePacing,
    for_shape,
    for_shape_volumes,
    gains_for_volatility,
    in_grace_period,
    stale_threshold_ms,
)

BUDGET = 86_400_000  # $86.40 at a $1 CPM (1000 micros each) buys 86,400 impressions: 1 per second


def make_ctx(
    spend_ratio: float = 1.0,
    rate: float = 4.0,
    now: float = 43200.0,
    request_count: int = 1000,
    ms_since_last_request: float = 100.0,
    day_duration_seconds: int = 86400,
) -> PacingContext:
    """Half-way through a linear day (expected spend = half the budget) unless told otherwise."""
    expected = BUDGET * min(1.0, now / day_duration_seconds)
    return PacingContext(
        daily_budget=BUDGET,
        today_spend=round(expected * spend_ratio),
        day_start=0.0,
        now=now,
        request_arrival_rate=rate,
        avg_cpm=1_000_000,
        day_duration_seconds=day_duration_seconds,
        request_count=request_count,
        ms_since_last_request=ms_since_last_request,
    )


class FixedRandom(Random):
    """A generator whose `random()` always answers the same value."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


# -- staleness and grace -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day_seconds", "threshold_ms"),
    [(86400, 30000.0), (3600, 1250.0), (600, 1000.0), (60, 1000.0), (43200, 15000.0)],
)
def test_stale_threshold_table(day_seconds: int, threshold_ms: float):
    assert stale_threshold_ms(day_seconds) == pytest.approx(threshold_ms)


def test_grace_needs_ten_seconds_and_fifty_requests():
    assert not in_grace_period(make_ctx(now=10.0, request_count=50))
    assert in_grace_period(make_ctx(now=9.99, request_count=10_000))
    assert in_grace_period(make_ctx(now=40000.0, request_count=49))
    assert in_grace_period(make_ctx(now=5.0, request_count=0))


@pytest.mark.parametrize(
    ("day_seconds", "fresh_ms", "stale_ms"),
    [(86400, 30000.0, 30000.5), (3600, 1250.0, 1251.0), (600, 1000.0, 1001.0)],
)
def test_stale_rate_re_enters_grace(day_seconds: int, fresh_ms: float, stale_ms: float):
    now = day_seconds / 2
    fresh = make_ctx(now=now, day_duration_seconds=day_seconds, ms_since_last_request=fresh_ms)
    stale = replace(fresh, ms_since_last_request=stale_ms)
    assert not in_grace_period(fresh)
    assert in_grace_period(stale)
    assert in_grace_period(replace(fresh, ms_since_last_request=math.inf))


def test_grace_uses_base_throttle_and_accumulates_no_integral():
    pacing = RateAwarePacing()
    grace = make_ctx(spend_ratio=0.5, request_count=10)
    for _ in range(5):
        assert pacing.throttle_probability(grace) == pytest.approx(0.75)
    assert pacing.integral == 0.0
    # First call after grace: error 0.5, integral 0.5 (nothing carried from grace):
    # 0.75 − (0.5·0.5 + 0.3·0.5) = 0.35.
    assert pacing.throttle_probability(replace(grace, request_count=50)) == pytest.approx(0.35)


def test_staleness_pauses_pi_and_keeps_the_integral():
    pacing = RateAwarePacing()
    fresh = make_ctx(spend_ratio=0.5)
    assert pacing.throttle_probability(fresh) == pytest.approx(0.35)  # integral 0.5
    stale = replace(fresh, ms_since_last_request=31_000.0)
    assert pacing.throttle_probability(stale) == pytest.approx(0.75)
    assert pacing.integral == pytest.approx(0.5)
    # Fresh again: integral 1.0 → 0.75 − (0.25 + 0.3) = 0.2.
    assert pacing.throttle_probability(fresh) == pytest.approx(0.2)


# -- base throttle -----------------------------------------------------------------------------
def test_base_throttle_formula():
    pacing = RateAwarePacing()
    # target = 86,400 impressions / 86,400 s = 1 per second.
    assert pacing.base_throttle(make_ctx(rate=4.0)) == pytest.approx(0.75)
    assert pacing.base_throttle(make_ctx(rate=1.25)) == pytest.approx(0.2)
    assert pacing.base_throttle(make_ctx(rate=1.0)) == pytest.approx(0.0)
    doubled = replace(make_ctx(rate=4.0), daily_budget=2 * BUDGET)
    assert pacing.base_throttle(doubled) == pytest.approx(0.5)
    dearer = replace(make_ctx(rate=4.0), avg_cpm=2_000_000)  # half as many impressions
    assert pacing.base_throttle(dearer) == pytest.approx(0.875)


def test_base_throttle_on_a_simulated_day():
    # 86,400 impressions over a 600 s day: 144 per second; 288 requests/s → throttle half.
    ctx = make_ctx(rate=288.0, now=300.0, day_duration_seconds=600)
    assert RateAwarePacing().base_throttle(ctx) == pytest.approx(0.5)


def test_base_throttle_is_clamped_and_zero_without_a_rate():
    pacing = RateAwarePacing()
    assert pacing.base_throttle(make_ctx(rate=0.5)) == 0.0  # 1 − 2, clamped
    assert pacing.base_throttle(make_ctx(rate=0.0)) == 0.0
    assert pacing.base_throttle(replace(make_ctx(), avg_cpm=0)) == 0.0


def peak_at_noon() -> TrafficShapeTracker:
    tracker = TrafficShapeTracker()
    volumes = [1.0] * 24
    volumes[0], volumes[12] = 0.0, 2.0  # mean stays 1
    tracker.configure(volumes)
    return tracker


def test_base_throttle_scales_target_by_relative_volume():
    ctx = replace(make_ctx(rate=4.0, now=12.5 * 3600), traffic_shape=peak_at_noon())
    # Peak hour: volume 2 → target 2/s → 1 − 2/4.
    assert RateAwarePacing().base_throttle(ctx) == pytest.approx(0.5)
    valley = replace(ctx, now=0.5 * 3600)
    assert RateAwarePacing().base_throttle(valley) == pytest.approx(1.0)


def test_base_throttle_with_feedforward_window():
    # 90% into hour 11 with a 0.2 window: halfway (smoothstep 0.5) from 1 to 2 → 1.5.
    ctx = replace(make_ctx(rate=4.0, now=11.9 * 3600), traffic_shape=peak_at_noon())
    assert RateAwarePacing(feedforward_window=0.2).base_throttle(ctx) == pytest.approx(0.625)
    assert RateAwarePacing().base_throttle(ctx) == pytest.approx(0.75)


# -- PI control --------------------------------------------------------------------------------
def test_on_pace_uses_the_base_throttle():
    pacing = RateAwarePacing()
    assert pacing.throttle_probability(make_ctx(spend_ratio=1.0)) == pytest.approx(0.75)
    assert pacing.integral == pytest.approx(0.0)


def test_pi_under_pacing_kp_0_5_ki_0_3():
    pacing = RateAwarePacing()
    ctx = make_ctx(spend_ratio=0.5)  # error 0.5 on every call
    # integral 0.5: 0.75 − (0.25 + 0.15) = 0.35
    assert pacing.throttle_probability(ctx) == pytest.approx(0.35)
    # integral 1.0: 0.75 − (0.25 + 0.30) = 0.20
    assert pacing.throttle_probability(ctx) == pytest.approx(0.20)
    # integral 1.5: 0.75 − (0.25 + 0.45) = 0.05
    assert pacing.throttle_probability(ctx) == pytest.approx(0.05)
    # integral 2.0: 0.75 − (0.25 + 0.60) < 0 → 0
    assert pacing.throttle_probability(ctx) == 0.0


def test_pi_gains_double_when_over_pacing():
    over = RateAwarePacing()
    under = RateAwarePacing()
    # base 0.5 at 2 requests/s
    over_throttle = over.throttle_probability(make_ctx(spend_ratio=1.1, rate=2.0))
    under_throttle = under.throttle_probability(make_ctx(spend_ratio=0.9, rate=2.0))
    # error −0.1: 0.5 − 2·(0.5·−0.1 + 0.3·−0.1) = 0.66; error +0.1: 0.5 − (0.05 + 0.03) = 0.42
    assert over_throttle == pytest.approx(0.66)
    assert under_throttle == pytest.approx(0.42)


def test_pi_doubled_gains_apply_to_the_accumulated_integral():
    pacing = RateAwarePacing()
    pacing.throttle_probability(make_ctx(spend_ratio=0.5))  # integral 0.5
    # error −0.1, integral 0.4: 0.75 − 2·(0.5·−0.1 + 0.3·0.4) = 0.75 − 0.14 = 0.61
    assert pacing.throttle_probability(make_ctx(spend_ratio=1.1)) == pytest.approx(0.61)


def test_pi_with_custom_gains():
    pacing = RateAwarePacing(kp=0.8, ki=0.5)
    # error 0.1, integral 0.1: 0.75 − (0.08 + 0.05) = 0.62
    assert pacing.throttle_probability(make_ctx(spend_ratio=0.9)) == pytest.approx(0.62)


def test_throttle_is_clamped_to_0_and_1():
    assert RateAwarePacing().throttle_probability(make_ctx(spend_ratio=3.0)) == 1.0
    assert RateAwarePacing().throttle_probability(make_ctx(spend_ratio=0.0, rate=1.5)) == 0.0


def test_integral_is_bounded_against_windup():
    pacing = RateAwarePacing()
    for _ in range(100):
        pacing.throttle_probability(make_ctx(spend_ratio=0.0))
    assert pacing.integral == pytest.approx(2.0)
    # Over-pacing then turns the throttle up within a few calls instead of a hundred.
    throttles = [pacing.throttle_probability(make_ctx(spend_ratio=2.0)) for _ in range(5)]
    assert throttles[-1] == 1.0


def test_reset_clears_the_integral_and_re_enters_grace():
    pacing = RateAwarePacing()
    pacing.throttle_probability(make_ctx(spend_ratio=0.5))
    pacing.reset()
    assert pacing.integral == 0.0
    assert pacing.throttle_probability(make_ctx(spend_ratio=0.5)) == pytest.approx(0.35)


def test_should_serve_compares_the_draw_with_the_throttle():
    pacing = RateAwarePacing()
    on_pace = make_ctx(spend_ratio=1.0)  # throttle 0.75
    assert not pacing.should_serve(on_pace, FixedRandom(0.74))
    assert pacing.should_serve(on_pace, FixedRandom(0.76))


def test_should_serve_passes_about_one_minus_throttle():
    pacing = RateAwarePacing()
    rng = Random(7)
    served = sum(pacing.should_serve(make_ctx(), rng) for _ in range(4000))
    # Binomial(4000, 0.25): mean 1000, σ ≈ 27.
    assert 880 <= served <= 1120


@st.composite
def contexts(draw: st.DrawFn) -> PacingContext:
    day = draw(st.integers(min_value=1, max_value=86400))
    shape: TrafficShapeTracker | None = None
    if draw(st.booleans()):
        shape = TrafficShapeTracker()
        volumes = draw(st.lists(st.floats(0.0, 100.0), min_size=24, max_size=24))
        if any(volumes):
            shape.configure(volumes)
    return PacingContext(
        daily_budget=draw(st.integers(0, 10**12)),
        today_spend=draw(st.integers(0, 10**12)),
        day_start=0.0,
        now=draw(st.floats(-100.0, 200_000.0)),
        request_arrival_rate=draw(st.floats(0.0, 1e9)),
        competing_campaigns=draw(st.integers(1, 50)),
        avg_cpm=draw(st.integers(0, 10**9)),
        day_duration_seconds=day,
        traffic_shape=shape,
        request_count=draw(st.integers(0, 10**6)),
        ms_since_last_request=draw(st.floats(0.0, 1e9) | st.just(math.inf)),
    )


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.0, 10.0),
    st.floats(0.0, 10.0),
    st.floats(0.0, 1.0),
    st.lists(contexts(), min_size=1, max_size=8),
)
def test_throttle_probability_is_always_a_probability(
    kp: float, ki: float, feedforward: float, ctxs: list[PacingContext]
):
    pacing = RateAwarePacing(kp=kp, ki=ki, feedforward_window=feedforward)
    for ctx in ctxs:
        throttle = pacing.throttle_probability(ctx)
        assert 0.0 <= throttle <= 1.0


# -- volatility-tuned gains --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cv", "gains"),
    [
        (0.0, (0.3, 0.2, 0.2)),
        (0.5, (0.5, 0.3, 0.1)),
        (1.0, (0.8, 0.5, 0.0)),
        (1.5, (1.0, 0.6, 0.0)),
        (2.0, (1.0, 0.6, 0.0)),
        (10.0, (1.0, 0.6, 0.0)),
    ],
)
def test_gains_table_rows(cv: float, gains: tuple[float, float, float]):
    assert gains_for_volatility(cv) == pytest.approx(gains)


@pytest.mark.parametrize(
    ("cv", "gains"),
    [
        (0.25, (0.4, 0.25, 0.15)),
        (0.1, (0.34, 0.22, 0.18)),
        (0.75, (0.65, 0.4, 0.05)),
        (1.25, (0.9, 0.55, 0.0)),
        (1.4, (0.96, 0.58, 0.0)),
    ],
)
def test_gains_interpolate_between_rows(cv: float, gains: tuple[float, float, float]):
    assert gains_for_volatility(cv) == pytest.approx(gains)


@settings(deadline=None)
@given(st.floats(0.0, 5.0), st.floats(0.0, 5.0))
def test_gains_grow_with_volatility(a: float, b: float):
    low, high = sorted((a, b))
    kp_low, ki_low, ff_low = gains_for_volatility(low)
    kp_high, ki_high, ff_high = gains_for_volatility(high)
    assert kp_low <= kp_high + 1e-12
    assert ki_low <= ki_high + 1e-12
    assert ff_low + 1e-12 >= ff_high


def test_for_shape_volumes_uses_the_volumes_cv():
    flat = for_shape_volumes([5.0] * 24)
    assert (flat.kp, flat.ki, flat.feedforward_window) == pytest.approx((0.3, 0.2, 0.2))
    typical = for_shape_volumes([1.0] * 12 + [3.0] * 12)  # CV 0.5
    assert (typical.kp, typical.ki, typical.feedforward_window) == pytest.approx((0.5, 0.3, 0.1))
    spiky = for_shape_volumes([0.0] * 12 + [2.0] * 12)  # CV 1.0
    assert (spiky.kp, spiky.ki, spiky.feedforward_window) == pytest.approx((0.8, 0.5, 0.0))


def test_for_shape_uses_the_trackers_active_shape():
    tracker = TrafficShapeTracker()
    tracker.configure([1.0] * 24, [1.0] * 12 + [3.0] * 12)
    weekday = for_shape(tracker)
    assert (weekday.kp, weekday.ki) == pytest.approx((0.3, 0.2))
    tracker.set_day_type(True)
    weekend = for_shape(tracker)
    assert (weekend.kp, weekend.ki, weekend.feedforward_window) == pytest.approx((0.5, 0.3, 0.1))


# -- fixed throttle ----------------------------------------------------------------------------
def test_fixed_throttle_pacing():
    strategy: PacingStrategy = FixedThrottlePacing(0.5)
    assert strategy.name == "fixed:0.5"
    assert strategy.throttle_probability(make_ctx(spend_ratio=5.0)) == 0.5
    assert not strategy.should_serve(make_ctx(), FixedRandom(0.49))
    assert strategy.should_serve(make_ctx(), FixedRandom(0.5))
    rng = Random(3)
    served = sum(strategy.should_serve(make_ctx(), rng) for _ in range(4000))
    assert 1870 <= served <= 2130  # Binomial(4000, 0.5): σ ≈ 32


def test_fixed_throttle_extremes():
    rng = Random(11)
    never = FixedThrottlePacing(1.0)
    always = FixedThrottlePacing(0.0)
    assert not any(never.should_serve(make_ctx(), rng) for _ in range(1000))
    assert all(always.should_serve(make_ctx(), rng) for _ in range(1000))


@pytest.mark.parametrize("throttle", [-0.1, 1.01, math.nan])
def test_fixed_throttle_rejects_non_probabilities(throttle: float):
    with pytest.raises(ValueError):
        FixedThrottlePacing(throttle)


def test_rate_aware_is_a_pacing_strategy():
    strategy: PacingStrategy = RateAwarePacing(label="seed")
    assert strategy.name == "seed"
    assert RateAwarePacing().name == "rate-aware"
