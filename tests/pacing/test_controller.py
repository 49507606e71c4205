"""PacingController: day boundaries, rollover of the traffic shape, day history."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from promovolve.pacing.clock import DayClock
from promovolve.pacing.controller import PacingController
from promovolve.pacing.observer import TrafficObserver
from promovolve.pacing.shape import TrafficShapeTracker


def make_controller(
    day_seconds: int = 600, origin: float = 0.0, alpha: float = 0.0
) -> PacingController:
    return PacingController(
        DayClock(day_seconds, origin=origin),
        TrafficShapeTracker(alpha=alpha),
        TrafficObserver(time_constant_seconds=1.0),
    )


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: float = 0
) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() + second


# -- day boundaries ----------------------------------------------------------------------------
def test_first_request_begins_the_first_day():
    controller = make_controller(origin=1000.0)
    assert controller.day_index is None
    assert not controller.has_new_day_started(1000.0)
    assert controller.observe_request(1010.0) is True
    assert controller.day_index == 0
    assert controller.day_start == 1000.0
    assert controller.requests_today == 1
    assert controller.observe_request(1020.0) is False
    assert controller.requests_today == 2


def test_simulated_day_boundary():
    controller = make_controller(origin=1000.0)
    controller.observe_request(1001.0)
    assert not controller.has_new_day_started(1599.9)
    assert controller.observe_request(1599.9) is False
    assert controller.has_new_day_started(1600.0)
    assert controller.observe_request(1600.0) is True
    assert controller.day_index == 1
    assert controller.day_start == 1600.0
    assert controller.requests_today == 1


def test_real_day_boundary_is_utc_midnight():
    controller = make_controller(day_seconds=86400)
    friday_night = utc(2024, 3, 15, 23, 59, 59.5)
    saturday = utc(2024, 3, 16)
    assert controller.observe_request(friday_night) is True
    assert controller.day_start == utc(2024, 3, 15)
    assert not controller.has_new_day_started(saturday - 0.1)
    assert controller.has_new_day_started(saturday)
    assert controller.observe_request(saturday) is True
    assert controller.day_start == saturday
    assert controller.tracker.is_weekend
    assert controller.history[0].day_index == controller.clock.day_index(friday_night)
    assert controller.history[0].is_weekend is False


def test_begin_day_reports_only_new_days():
    controller = make_controller()
    assert controller.begin_day(10.0) is True
    assert controller.begin_day(20.0) is False
    assert controller.begin_day(610.0) is True


def test_several_silent_days_roll_over_once():
    controller = make_controller()
    controller.observe_request(10.0)
    assert controller.observe_request(3 * 600 + 10.0) is True
    assert controller.day_index == 3
    assert [d.day_index for d in controller.history] == [0]


def test_a_late_request_from_yesterday_does_not_roll_the_day_back():
    controller = make_controller()
    controller.observe_request(590.0)
    controller.observe_request(601.0)
    assert controller.day_index == 1
    assert not controller.has_new_day_started(599.5)
    assert controller.observe_request(599.5) is False  # arrived late, stamped yesterday
    assert controller.observe_request(602.0) is False
    assert controller.day_index == 1
    assert len(controller.history) == 1
    assert controller.requests_today == 3
    assert sum(controller.tracker.today_count) == 3
    assert controller.expected_fraction(599.5) == 0.0


# -- recording ---------------------------------------------------------------------------------
def test_requests_land_in_the_bucket_of_their_scaled_time():
    controller = make_controller(day_seconds=600)  # 25 s per hourly bucket
    for k in range(24):
        controller.observe_request(25.0 * k + 1.0)
    controller.observe_request(599.9)
    assert controller.tracker.today_count == [1] * 23 + [2]


def test_real_day_requests_land_in_the_utc_hour():
    controller = make_controller(day_seconds=86400)
    controller.observe_request(utc(2024, 3, 13, 14, 30))
    controller.observe_request(utc(2024, 3, 13, 14, 59, 59))
    controller.observe_request(utc(2024, 3, 13, 15, 0))
    counts = controller.tracker.today_count
    assert counts[14] == 2
    assert counts[15] == 1
    assert sum(counts) == 3


def test_requests_feed_the_observer_and_the_gap():
    controller = make_controller()
    controller.observe_request(10.0)
    assert controller.gap_before_request == math.inf
    controller.observe_request(12.5)
    assert controller.gap_before_request == pytest.approx(2.5)
    assert controller.observer.request_count == 2
    assert controller.observer.last_request_time == 12.5


def test_expected_fraction_follows_the_shape_cdf():
    controller = make_controller()
    controller.observe_request(1.0)
    assert controller.expected_fraction(150.0) == pytest.approx(0.25)  # flat shape, 6 h of 24
    volumes = [1.0] * 24
    volumes[0], volumes[12] = 0.0, 2.0
    controller.tracker.configure(volumes)
    # 12.5 h (312.5 s): (0 + 11 + 2·0.5) / 24
    assert controller.expected_fraction(312.5) == pytest.approx(0.5)


# -- rollover ----------------------------------------------------------------------------------
def test_rollover_blends_the_shape_and_records_history():
    controller = make_controller(day_seconds=600)
    for i in range(36):
        controller.observe_request(1.0 + i * 0.5)  # bucket 0 (first 25 s)
    for i in range(12):
        controller.observe_request(301.0 + i)  # bucket 12
    assert controller.tracker.shape == [1.0] * 24  # nothing blended before the day ends
    assert controller.observe_request(605.0) is True
    # 48 requests, mean 2: today 18 at bucket 0, 6 at bucket 12 → 0.2·today + 0.8·1.
    shape = controller.tracker.weekday_shape
    assert shape[0] == pytest.approx(4.4)
    assert shape[12] == pytest.approx(2.0)
    assert shape[5] == pytest.approx(0.8)
    summary = controller.history[0]
    assert summary.day_index == 0
    assert summary.is_weekend is False
    assert summary.requests == 48
    assert summary.shape == pytest.approx(shape)
    # Today starts afresh.
    assert controller.requests_today == 1
    assert sum(controller.tracker.today_count) == 1


def test_weekend_days_use_the_weekend_shape():
    controller = make_controller(day_seconds=600)
    for day in range(5):
        controller.observe_request(day * 600 + 1.0)
        assert not controller.tracker.is_weekend
    controller.observe_request(5 * 600 + 1.0)  # day 5: Saturday (Friday rolls over)
    assert controller.tracker.is_weekend
    weekday_before = list(controller.tracker.weekday_shape)
    for _ in range(23):
        controller.observe_request(5 * 600 + 76.0)  # bucket 3
    controller.observe_request(6 * 600 + 1.0)  # Sunday
    assert controller.tracker.is_weekend
    # Saturday's 24 requests sat in buckets 0 and 3: today = 1 and 23, mean 1.
    weekend = controller.tracker.weekend_shape
    assert weekend[0] == pytest.approx(0.2 * 1 + 0.8)
    assert weekend[3] == pytest.approx(0.2 * 23 + 0.8)
    assert weekend[10] == pytest.approx(0.8)
    assert controller.tracker.weekday_shape == weekday_before
    assert [d.is_weekend for d in controller.history] == [False] * 5 + [True]
    controller.observe_request(7 * 600 + 1.0)  # Monday
    assert not controller.tracker.is_weekend
    assert controller.past_day_requests(True) == [24, 1]
    assert controller.past_day_requests(False) == [1] * 5


def test_history_keeps_the_last_fourteen_days():
    controller = make_controller(day_seconds=60)
    for day in range(21):
        controller.observe_request(day * 60 + 1.0)
    assert len(controller.history) == 14
    assert [d.day_index for d in controller.history] == list(range(6, 20))


def test_snapshot_restore_round_trip():
    original = make_controller(day_seconds=600, origin=50.0, alpha=0.1)
    for t in range(60, 1500, 7):
        original.observe_request(float(t))
    restored = make_controller(day_seconds=600, origin=50.0, alpha=0.1)
    restored.restore(original.snapshot())
    assert restored.snapshot() == original.snapshot()
    assert restored.day_index == original.day_index == 2
    assert restored.day_start == original.day_start == 1250.0
    assert list(restored.history) == list(original.history)
    # Both continue identically, through the next rollover.
    for controller in (original, restored):
        assert controller.observe_request(1600.0) is False
        assert controller.observe_request(1900.0) is True
    assert restored.snapshot() == original.snapshot()
