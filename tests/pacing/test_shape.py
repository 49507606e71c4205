"""TrafficShapeTracker: the seed's intraday EMA, day blending, CDF and relative volume."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.pacing.day_counts import (
    coefficient_of_variation,
    denoised,
    departs_from_shape,
    normalized,
)
from promovolve.pacing.shape import TrafficShapeTracker

HOUR = 3600.0


def record(tracker: TrafficShapeTracker, bucket: int, n: int) -> None:
    for _ in range(n):
        tracker.record_request(bucket)


def record_day(tracker: TrafficShapeTracker, counts: list[int]) -> None:
    for bucket, n in enumerate(counts):
        record(tracker, bucket, n)


FLAT = [1] * 24
BUMPY = [2, 0] + [1] * 22  # 24 requests, mean 1
# A day large enough that denoising keeps its peak: 24,000 requests.
PEAKED = [2000, 0] + [1000] * 22
# What the adaptive tracker takes from a PEAKED day: the bump, shrunk by
# 1 - (24 - 3)·(24/24000)/2 (James-Stein, see test_denoised_*).
KEEP = 1 - 21 * (24 / 24000) / 2
HIGH, LOW = 1 + KEEP, 1 - KEEP


def with_shape(weekday: list[float], interpolate_volumes: bool = False) -> TrafficShapeTracker:
    """A tracker whose weekday shape is exactly `weekday` (not normalized)."""
    tracker = TrafficShapeTracker(
        bucket_count=len(weekday), interpolate_volumes=interpolate_volumes
    )
    data = tracker.snapshot()
    data["weekdayShape"] = list(weekday)
    tracker.restore(data)
    return tracker


# -- recording ---------------------------------------------------------------------------------
def test_fresh_tracker_is_flat_and_counts_requests_per_bucket():
    tracker = TrafficShapeTracker()
    assert tracker.shape == [1.0] * 24
    record(tracker, 3, 2)
    record(tracker, 7, 5)
    assert tracker.today_count[3] == 2
    assert tracker.today_count[7] == 5
    assert sum(tracker.today_count) == 7


def test_shape_changes_only_at_bucket_boundaries():
    tracker = TrafficShapeTracker()
    record(tracker, 0, 10)
    assert tracker.shape == [1.0] * 24  # bucket 0 not finished yet


def test_intraday_ema_at_bucket_boundaries():
    # The seed: observation = n / max(1, ema); shape[b] = α·obs + (1−α)·shape[b];
    # ema = α·n + (1−α)·ema, α = 0.1. The first finished bucket seeds the ema.
    tracker = TrafficShapeTracker()
    record(tracker, 0, 10)
    record(tracker, 1, 20)  # closes bucket 0: ema := 10, obs = 1 → 0.1·1 + 0.9·1 = 1.0
    assert tracker.shape[0] == pytest.approx(1.0)
    record(tracker, 2, 5)  # closes bucket 1: obs = 20/10 = 2 → 0.2 + 0.9 = 1.1; ema = 2 + 9 = 11
    assert tracker.shape[1] == pytest.approx(1.1)
    record(tracker, 3, 1)  # closes bucket 2: obs = 5/11 → 0.1·5/11 + 0.9; ema = 0.5 + 9.9 = 10.4
    assert tracker.shape[2] == pytest.approx(0.1 * 5 / 11 + 0.9)
    record(tracker, 4, 1)  # closes bucket 3: obs = 1/10.4
    assert tracker.shape[3] == pytest.approx(0.1 * (1 / 10.4) + 0.9)
    assert tracker.shape[4:] == [1.0] * 20


def test_intraday_observation_divides_by_at_least_one():
    tracker = TrafficShapeTracker()
    data = tracker.snapshot()
    data["emaBucketRequests"] = 0.25
    tracker.restore(data)
    record(tracker, 5, 2)
    record(tracker, 6, 1)  # obs = 2 / max(1, 0.25) = 2 → 0.1·2 + 0.9·1 = 1.1
    assert tracker.shape[5] == pytest.approx(1.1)


def test_intraday_learning_updates_only_the_active_day_type():
    tracker = TrafficShapeTracker()
    tracker.set_day_type(True)
    record(tracker, 0, 10)
    record(tracker, 1, 20)
    record(tracker, 2, 1)
    assert tracker.weekend_shape[1] == pytest.approx(1.1)
    assert tracker.weekday_shape == [1.0] * 24


# -- day rollover ------------------------------------------------------------------------------
def test_rollover_blends_todays_normalized_counts_with_weight_0_2():
    tracker = TrafficShapeTracker(alpha=0.0)  # isolate the day blend
    record(tracker, 0, 36)
    record(tracker, 12, 12)
    tracker.rollover_day()
    # 48 requests, mean 2 per bucket: today = 18 at bucket 0, 6 at bucket 12, 0 elsewhere.
    assert tracker.shape[0] == pytest.approx(0.2 * 18 + 0.8 * 1.0)  # 4.4
    assert tracker.shape[12] == pytest.approx(0.2 * 6 + 0.8 * 1.0)  # 2.0
    assert tracker.shape[5] == pytest.approx(0.8)
    assert tracker.today_count == [0] * 24
    assert tracker.weekday_days == 1


def test_rollover_after_intraday_learning_blends_the_learned_shape():
    tracker = TrafficShapeTracker()  # α = 0.1, day α = 0.2
    record(tracker, 0, 10)
    record(tracker, 1, 30)
    tracker.rollover_day()
    # Intraday: bucket 0 closes (obs 1 → 1.0, ema 10); rollover closes bucket 1:
    # obs = 30/10 = 3 → 0.3 + 0.9 = 1.2. Then today (40 requests, mean 40/24):
    # bucket 0 → 10·24/40 = 6, bucket 1 → 30·24/40 = 18.
    assert tracker.shape[0] == pytest.approx(0.2 * 6 + 0.8 * 1.0)
    assert tracker.shape[1] == pytest.approx(0.2 * 18 + 0.8 * 1.2)
    assert tracker.shape[2] == pytest.approx(0.8)


def test_rollover_with_explicit_day_alpha():
    tracker = TrafficShapeTracker(alpha=0.0)
    record(tracker, 0, 24)
    tracker.rollover_day(day_alpha=0.5)
    assert tracker.shape[0] == pytest.approx(0.5 * 24 + 0.5)
    assert tracker.shape[1] == pytest.approx(0.5)


def test_rollover_without_traffic_keeps_the_shape():
    tracker = TrafficShapeTracker()
    tracker.rollover_day()
    assert tracker.shape == [1.0] * 24
    assert tracker.weekday_days == 0


def test_rollover_blends_into_the_active_day_type_only():
    tracker = TrafficShapeTracker(alpha=0.0)
    tracker.set_day_type(True)
    record(tracker, 0, 24)
    tracker.rollover_day()
    assert tracker.weekend_shape[0] == pytest.approx(0.2 * 24 + 0.8)
    assert tracker.weekday_shape == [1.0] * 24
    assert (tracker.weekday_days, tracker.weekend_days) == (0, 1)


def test_adaptive_day_type_with_nothing_learned_starts_from_the_other_type():
    tracker = TrafficShapeTracker(alpha=0.0, adaptive_rollover=True)
    record_day(tracker, PEAKED)
    tracker.rollover_day()
    tracker.set_day_type(True)
    assert tracker.weekend_shape == pytest.approx([HIGH, LOW] + [1.0] * 22)
    # A copy, not the same list: learning weekends leaves weekdays alone.
    record_day(tracker, FLAT)
    tracker.rollover_day()
    assert tracker.weekend_shape == pytest.approx([1.0] * 24)
    assert tracker.weekday_shape == pytest.approx([HIGH, LOW] + [1.0] * 22)


def test_fixed_rollover_day_types_start_flat():
    tracker = TrafficShapeTracker(alpha=0.0)
    record_day(tracker, BUMPY)
    tracker.rollover_day()
    tracker.set_day_type(True)
    assert tracker.weekend_shape == [1.0] * 24


def test_adaptive_rollover_weight_is_max_of_0_2_and_one_over_days_plus_one():
    tracker = TrafficShapeTracker(alpha=0.0, adaptive_rollover=True)
    # Day 1: weight max(0.2, 1/1) = 1 → the shape becomes today's.
    record_day(tracker, PEAKED)
    tracker.rollover_day()
    assert tracker.shape == pytest.approx([HIGH, LOW] + [1.0] * 22)
    # Day 2 (flat): weight 1/2 → halfway between 1 and the bump.
    record_day(tracker, FLAT)
    tracker.rollover_day()
    half0, half1 = 0.5 + 0.5 * HIGH, 0.5 + 0.5 * LOW
    assert tracker.shape == pytest.approx([half0, half1] + [1.0] * 22)
    # Day 3: weight 1/3.
    record_day(tracker, FLAT)
    tracker.rollover_day()
    expected0, expected1 = 1 / 3 + 2 / 3 * half0, 1 / 3 + 2 / 3 * half1
    assert tracker.shape[:2] == pytest.approx([expected0, expected1])
    # Day 4: weight 1/4; day 5: 1/5 = 0.2; days 6 and 7: max(0.2, 1/6), max(0.2, 1/7) = 0.2.
    for weight in (1 / 4, 1 / 5, 0.2, 0.2):
        record_day(tracker, FLAT)
        tracker.rollover_day()
        expected0 = weight + (1 - weight) * expected0
        expected1 = weight + (1 - weight) * expected1
        assert tracker.shape[:2] == pytest.approx([expected0, expected1])
        assert tracker.shape[2:] == pytest.approx([1.0] * 22)
    assert tracker.days_learned == 7


def test_adaptive_rollover_with_larger_day_alpha():
    tracker = TrafficShapeTracker(alpha=0.0, day_alpha=0.3, adaptive_rollover=True)
    record_day(tracker, PEAKED)
    tracker.rollover_day()
    expected0 = HIGH
    for weight in (1 / 2, 1 / 3, 0.3, 0.3):  # 1/4 and 1/5 are below 0.3
        record_day(tracker, FLAT)
        tracker.rollover_day()
        expected0 = weight + (1 - weight) * expected0
        assert tracker.shape[0] == pytest.approx(expected0)


def test_adaptive_rollover_relearns_after_a_clear_change_of_pattern():
    tracker = TrafficShapeTracker(alpha=0.0, adaptive_rollover=True)
    for _ in range(6):
        record_day(tracker, [100] * 12 + [0] * 12)  # mornings only
        tracker.rollover_day()
    # (Denoising shrinks the 1,200-request days by 21·(24/1200)/24 = 1.75%.)
    assert tracker.shape == pytest.approx([2.0] * 12 + [0.0] * 12, abs=0.02)
    record_day(tracker, [0] * 12 + [100] * 12)  # evenings only, far beyond noise
    tracker.rollover_day()
    # Learned afresh: weight 1, the shape is today's (a 0.2 blend would leave 1.6 / 0.4).
    assert tracker.shape == pytest.approx([0.0] * 12 + [2.0] * 12, abs=0.02)
    assert tracker.days_learned == 1


def test_adaptive_rollover_keeps_blending_through_noise():
    tracker = TrafficShapeTracker(alpha=0.0, adaptive_rollover=True)
    for _ in range(6):
        record_day(tracker, FLAT)
        tracker.rollover_day()
    record_day(tracker, BUMPY)  # a tiny day: the difference is within Poisson noise
    tracker.rollover_day()
    # Neither relearned from nor blended in: its bump is noise, denoised away.
    assert tracker.shape[:2] == pytest.approx([1.0, 1.0])
    assert tracker.days_learned == 7


def test_denoised_flattens_what_poisson_noise_explains():
    counts = [1000 + (30 if i % 2 else -30) for i in range(24)]  # ±3%, about 1 sd of noise
    # k/n = 24/24000 = 0.001; spread = 24·0.03² = 0.0216; keep = 1 - 21·0.001/0.0216.
    keep = 1 - 21 * 0.001 / 0.0216
    assert denoised(counts) == pytest.approx([1 + keep * (v - 1) for v in normalized(counts)])
    assert max(denoised(counts)) < 1.001


def test_denoised_keeps_a_real_peak():
    counts = [100] * 23 + [2400]
    assert denoised(counts) == pytest.approx(normalized(counts), rel=1e-3)
    assert denoised([0] * 24) == [0.0] * 24


@settings(deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=24, max_size=24))
def test_denoised_keeps_the_mean_and_moves_toward_it(counts: list[int]):
    plain, shrunk = normalized(counts), denoised(counts)
    assert math.fsum(shrunk) == pytest.approx(math.fsum(plain))
    if sum(counts) > 0:
        assert all(abs(s - 1) <= abs(p - 1) + 1e-12 for s, p in zip(shrunk, plain, strict=True))


def test_departure_compares_proportions_not_volume():
    shape = [1.0, 2.0, 1.0]
    assert not departs_from_shape([1000, 2000, 1000], shape)
    assert not departs_from_shape([3000, 6000, 3000], shape)  # busier all through
    # 2000 requests sit where the shape expects 1000: distance 0.25, far beyond noise.
    assert departs_from_shape([2000, 1000, 1000], shape)
    assert not departs_from_shape([0, 0, 0], shape)


def test_departure_needs_more_than_poisson_noise():
    shape = [1.0, 1.0]
    # 6 and 2 of 8: distance 0.25, above 0.15, but noise on so few requests explains it.
    assert not departs_from_shape([6, 2], shape)
    assert departs_from_shape([600, 200], shape)


def test_departed_so_far_looks_at_the_finished_hours_only():
    tracker = TrafficShapeTracker(alpha=0.0, adaptive_rollover=True)
    for _ in range(3):
        record_day(tracker, [100] * 12 + [0] * 12)  # mornings only
        tracker.rollover_day()
    record(tracker, 0, 100)
    record(tracker, 1, 100)
    record(tracker, 2, 500)
    assert not tracker.departed_so_far(2)  # hours 0 and 1 match the mornings
    assert tracker.departed_so_far(3)  # hour 2 holds far more than its share
    assert not tracker.departed_so_far(1)  # one hour has no proportions to compare


def test_configured_volumes_count_as_prior_days_for_the_adaptive_blend():
    tracker = TrafficShapeTracker(alpha=0.0, adaptive_rollover=True)
    tracker.configure([1.0] * 24)
    record_day(tracker, PEAKED)
    tracker.rollover_day()
    # A configured shape counts as 4 days: weight max(0.2, 1/5) = 0.2, not a replacement.
    assert tracker.shape == pytest.approx([0.2 * HIGH + 0.8, 0.2 * LOW + 0.8] + [1.0] * 22)


# -- configured volumes ------------------------------------------------------------------------
def test_configure_normalizes_to_mean_one():
    tracker = TrafficShapeTracker()
    volumes = [2.0] * 12 + [6.0] * 12
    tracker.configure(volumes)
    assert tracker.weekday_shape == pytest.approx([0.5] * 12 + [1.5] * 12)
    # One shape given alone serves both day types.
    assert tracker.weekend_shape == pytest.approx([0.5] * 12 + [1.5] * 12)


def test_configure_weekday_and_weekend_separately():
    tracker = TrafficShapeTracker()
    tracker.configure([1.0] * 24, [0.0] * 12 + [2.0] * 12)
    assert tracker.shape == pytest.approx([1.0] * 24)
    tracker.set_day_type(True)
    assert tracker.shape == pytest.approx([0.0] * 12 + [2.0] * 12)
    assert tracker.cumulative_fraction_at(12 * HOUR) == pytest.approx(0.0)


def test_configure_rejects_wrong_length():
    with pytest.raises(ValueError):
        TrafficShapeTracker().configure([1.0] * 23)


def test_normalized_keeps_all_zero_at_zero():
    assert normalized([0.0, 0.0]) == [0.0, 0.0]
    assert normalized([1.0, 3.0]) == [0.5, 1.5]


# -- CDF ---------------------------------------------------------------------------------------
def test_cdf_formula_on_a_small_shape():
    # 4 buckets of 6 hours: shape [1, 2, 3, 2], sum 8.
    tracker = with_shape([1.0, 2.0, 3.0, 2.0])
    bucket = 6 * HOUR
    assert tracker.cumulative_fraction_at(0.0) == 0.0
    assert tracker.cumulative_fraction_at(0.5 * bucket) == pytest.approx(0.5 / 8)
    assert tracker.cumulative_fraction_at(1.0 * bucket) == pytest.approx(1 / 8)
    assert tracker.cumulative_fraction_at(1.5 * bucket) == pytest.approx((1 + 2 * 0.5) / 8)
    assert tracker.cumulative_fraction_at(2.25 * bucket) == pytest.approx((1 + 2 + 3 * 0.25) / 8)
    assert tracker.cumulative_fraction_at(3.0 * bucket) == pytest.approx(6 / 8)
    assert tracker.cumulative_fraction_at(86400.0) == 1.0


def test_cdf_on_24_hourly_buckets():
    shape = [1.0] * 24
    shape[22] = 25.0  # sum 48: half the day's traffic at 22:00
    tracker = with_shape(shape)
    assert tracker.cumulative_fraction_at(12 * HOUR) == pytest.approx(12 / 48)
    assert tracker.cumulative_fraction_at(22 * HOUR) == pytest.approx(22 / 48)
    assert tracker.cumulative_fraction_at(22.5 * HOUR) == pytest.approx((22 + 12.5) / 48)
    assert tracker.cumulative_fraction_at(23 * HOUR) == pytest.approx(47 / 48)


def test_cdf_of_flat_shape_is_linear():
    tracker = TrafficShapeTracker()
    for hours in (0.0, 1.0, 6.5, 12.0, 23.99):
        assert tracker.cumulative_fraction_at(hours * HOUR) == pytest.approx(hours / 24)


def test_cdf_clamps_outside_the_day():
    tracker = with_shape([1.0, 2.0, 3.0, 2.0])
    assert tracker.cumulative_fraction_at(-5.0) == 0.0
    assert tracker.cumulative_fraction_at(90000.0) == 1.0


def test_cdf_follows_the_learned_shape():
    tracker = TrafficShapeTracker(alpha=0.0)
    record(tracker, 0, 48)  # all of today's traffic in hour 0
    tracker.rollover_day()
    # shape: 0.2·24 + 0.8 = 5.6 at bucket 0, 0.8 elsewhere; sum 5.6 + 23·0.8 = 24
    assert tracker.cumulative_fraction_at(HOUR) == pytest.approx(5.6 / 24)


@st.composite
def shapes(draw: st.DrawFn) -> list[float]:
    values = draw(st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=24, max_size=24))
    if not any(values):
        values[draw(st.integers(0, 23))] = draw(st.floats(min_value=1e-3, max_value=1e6))
    return values


@settings(max_examples=120, deadline=None)
@given(shapes(), st.lists(st.floats(min_value=0.0, max_value=86400.0), min_size=2, max_size=30))
def test_cdf_is_a_distribution_function(shape: list[float], times: list[float]):
    tracker = with_shape(shape)
    assert tracker.cumulative_fraction_at(0.0) == 0.0
    assert tracker.cumulative_fraction_at(86400.0) == 1.0
    values = [tracker.cumulative_fraction_at(t) for t in sorted(times)]
    for v in values:
        assert 0.0 <= v <= 1.0
    for a, b in itertools.pairwise(values):
        assert a <= b


# -- relative volume ---------------------------------------------------------------------------
def peak_shape() -> TrafficShapeTracker:
    shape = [2.0] * 24
    shape[5] = 26.0  # sum 72, mean 3
    return with_shape(shape)


def test_relative_volume_is_current_bucket_over_mean():
    tracker = peak_shape()
    assert tracker.relative_volume(5.5 * HOUR) == pytest.approx(26 / 3)
    assert tracker.relative_volume(4.5 * HOUR) == pytest.approx(2 / 3)
    # Without feedforward the end of the bucket still uses its own volume.
    assert tracker.relative_volume(4.99 * HOUR) == pytest.approx(2 / 3)


def test_relative_volume_of_flat_or_empty_shape_is_one():
    assert TrafficShapeTracker().relative_volume(7 * HOUR) == pytest.approx(1.0)
    assert with_shape([0.0] * 24).relative_volume(7 * HOUR) == 1.0


def test_relative_volume_feedforward_smoothstep():
    tracker = peak_shape()
    # Window 0.2: blending starts 80% into bucket 4 toward bucket 5 (2 → 26).
    assert tracker.relative_volume(4.8 * HOUR, 0.2) == pytest.approx(2 / 3)
    # 85% in: blend 0.25 → smooth = 0.25²·(3 − 0.5) = 0.15625 → 2 + 0.15625·24 = 5.75.
    assert tracker.relative_volume(4.85 * HOUR, 0.2) == pytest.approx(5.75 / 3)
    # 90% in: blend 0.5 → smooth 0.5 → 2 + 12 = 14.
    assert tracker.relative_volume(4.9 * HOUR, 0.2) == pytest.approx(14 / 3)
    # 95% in: blend 0.75 → smooth = 0.5625·1.5 = 0.84375 → 2 + 20.25 = 22.25.
    assert tracker.relative_volume(4.95 * HOUR, 0.2) == pytest.approx(22.25 / 3)
    # Before the window: no blending.
    assert tracker.relative_volume(4.5 * HOUR, 0.2) == pytest.approx(2 / 3)
    # Leaving the peak: 90% into bucket 5 blends 26 → 2 halfway: 14.
    assert tracker.relative_volume(5.9 * HOUR, 0.2) == pytest.approx(14 / 3)


def test_relative_volume_feedforward_wraps_from_last_to_first_bucket():
    shape = [1.0] * 24
    shape[0] = 25.0  # sum 48, mean 2
    tracker = with_shape(shape)
    # 90% into bucket 23 with window 0.2: halfway from 1 to 25 → 13.
    assert tracker.relative_volume(23.9 * HOUR, 0.2) == pytest.approx(13 / 2)


def test_relative_volume_interpolated_between_bucket_centres():
    shape = [2.0] * 24
    shape[5] = 26.0
    tracker = with_shape(shape, interpolate_volumes=True)
    assert tracker.relative_volume(5.5 * HOUR) == pytest.approx(26 / 3)  # centre of bucket 5
    assert tracker.relative_volume(5.0 * HOUR) == pytest.approx(14 / 3)  # halfway 4 → 5
    assert tracker.relative_volume(6.0 * HOUR) == pytest.approx(14 / 3)  # halfway 5 → 6
    assert tracker.relative_volume(7.5 * HOUR) == pytest.approx(2 / 3)


# -- volatility --------------------------------------------------------------------------------
def test_coefficient_of_variation():
    assert coefficient_of_variation([1.0] * 24) == 0.0
    # mean 2, population stddev 1
    assert coefficient_of_variation([1.0] * 12 + [3.0] * 12) == pytest.approx(0.5)
    # mean 1, values 0 and 2 → stddev 1
    assert coefficient_of_variation([0.0, 2.0]) == pytest.approx(1.0)
    # one bucket of 24, rest 0: mean 1, variance (23·1 + 23²)/24 = 23 → CV √23
    assert coefficient_of_variation([24.0] + [0.0] * 23) == pytest.approx(math.sqrt(23))
    assert coefficient_of_variation([]) == 0.0
    assert coefficient_of_variation([0.0] * 24) == 0.0


def test_tracker_cv_uses_the_active_shape():
    tracker = TrafficShapeTracker()
    tracker.configure([1.0] * 24, [1.0] * 12 + [3.0] * 12)
    assert tracker.coefficient_of_variation() == pytest.approx(0.0)
    tracker.set_day_type(True)
    assert tracker.coefficient_of_variation() == pytest.approx(0.5)


# -- persistence -------------------------------------------------------------------------------
def busy_tracker() -> TrafficShapeTracker:
    tracker = TrafficShapeTracker(adaptive_rollover=True)
    tracker.configure([float(i % 5 + 1) for i in range(24)])
    for bucket in range(0, 24, 2):
        record(tracker, bucket, bucket + 3)
    tracker.rollover_day()
    tracker.set_day_type(True)
    record(tracker, 1, 7)
    record(tracker, 2, 4)
    return tracker


def test_snapshot_restore_round_trip():
    original = busy_tracker()
    copy = TrafficShapeTracker(adaptive_rollover=True)
    copy.restore(original.snapshot())
    assert copy.snapshot() == original.snapshot()
    assert copy.is_weekend and copy.weekday_days == original.weekday_days
    # The restored tracker continues exactly as the original would.
    for tracker in (original, copy):
        record(tracker, 2, 3)
        record(tracker, 9, 11)
        tracker.rollover_day()
    assert copy.snapshot() == original.snapshot()
    for hours in (0.0, 3.3, 12.0, 20.7):
        assert copy.cumulative_fraction_at(hours * HOUR) == original.cumulative_fraction_at(
            hours * HOUR
        )


def test_restore_rejects_malformed_snapshot():
    tracker = TrafficShapeTracker()
    data = tracker.snapshot()
    data["weekdayShape"] = [1.0] * 23
    with pytest.raises(ValueError):
        tracker.restore(data)
    data = tracker.snapshot()
    data["weekendShape"] = ["x"] * 24
    with pytest.raises(ValueError):
        tracker.restore(data)


def test_invalid_parameters_are_rejected():
    with pytest.raises(ValueError):
        TrafficShapeTracker(bucket_count=0)
    with pytest.raises(ValueError):
        TrafficShapeTracker(alpha=1.5)
    with pytest.raises(ValueError):
        TrafficShapeTracker(day_alpha=0.0)


def test_silent_whole_hours_count_as_lost_traffic_only_where_many_were_expected() -> None:
    tracker = TrafficShapeTracker(alpha=0.0)  # the default's: no intraday blending
    tracker.configure([1.0] * 12 + [2.0] * 12, None)  # shares 1/36 and 2/36
    for bucket in [b for b in range(14) if b not in (2, 12)]:  # hours 2 and 12 silent
        for _ in range(5):
            tracker.record_request(bucket)
    # A 3600-request day expects 100 in hour 2 and 200 in hour 12: both lost.
    assert tracker.silent_share_so_far(14, 3600.0) == pytest.approx(3 / 36)
    # Hours not yet whole do not count.
    assert tracker.silent_share_so_far(3, 3600.0) == pytest.approx(1 / 36)
    # A 180-request day expects 5 and 10: a silent hour of 5 is chance, of 10 an outage.
    assert tracker.silent_share_so_far(14, 180.0) == pytest.approx(2 / 36)
