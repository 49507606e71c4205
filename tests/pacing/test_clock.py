"""DayClock: real UTC days and simulated days scaled onto the 24-hour clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.pacing.clock import DayClock
from promovolve.pacing.config import PacingConfigError

SEED_MESSAGE = "dayDurationSeconds cannot exceed 86400 (24 hours)"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


# -- real days ---------------------------------------------------------------------------------
def test_real_day_seed_example_14_utc():
    clock = DayClock()
    now = utc(2024, 3, 13, 14, 0, 0)
    assert clock.elapsed_seconds(now) == 50400
    assert clock.scaled_elapsed_seconds(now) == 50400
    assert clock.bucket(now) == 14


def test_real_day_starts_at_utc_midnight():
    clock = DayClock()
    now = utc(2024, 3, 16, 14, 30, 15)
    assert clock.day_start(now) == utc(2024, 3, 16)
    assert clock.elapsed_seconds(now) == 14 * 3600 + 30 * 60 + 15
    assert not clock.is_simulated
    assert clock.time_scale == 1.0


def test_real_day_index_counts_utc_days_since_epoch():
    clock = DayClock()
    expected = (date(2024, 3, 16) - date(1970, 1, 1)).days
    assert clock.day_index(utc(2024, 3, 16, 0, 0, 0)) == expected
    assert clock.day_index(utc(2024, 3, 16, 23, 59, 59)) == expected
    assert clock.day_index(utc(2024, 3, 17, 0, 0, 0)) == expected + 1


def test_real_day_rolls_over_at_utc_midnight():
    clock = DayClock()
    midnight = utc(2024, 3, 17)
    before = midnight - 0.001
    assert clock.bucket(before) == 23
    assert clock.day_start(before) == utc(2024, 3, 16)
    assert clock.bucket(midnight) == 0
    assert clock.day_start(midnight) == midnight
    assert clock.elapsed_seconds(midnight) == 0
    assert clock.day_index(midnight) == clock.day_index(before) + 1


@pytest.mark.parametrize(
    ("day", "weekend"),
    [
        (date(2024, 3, 14), False),  # Thursday
        (date(2024, 3, 15), False),  # Friday
        (date(2024, 3, 16), True),  # Saturday
        (date(2024, 3, 17), True),  # Sunday
        (date(2024, 3, 18), False),  # Monday
        (date(1970, 1, 1), False),  # Thursday, the epoch
        (date(1970, 1, 3), True),  # Saturday
    ],
)
def test_real_day_weekend_by_utc_weekday(day: date, weekend: bool):
    clock = DayClock()
    for hour in (0, 12, 23):
        now = utc(day.year, day.month, day.day, hour, 0, 0)
        assert clock.is_weekend(now) is weekend


def test_real_day_ignores_origin():
    clock = DayClock(86400, origin=12345.0)
    now = utc(2024, 3, 16, 5, 0, 0)
    assert clock.day_start(now) == utc(2024, 3, 16)
    assert clock.bucket(now) == 5


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=4_102_444_800))  # 1970 .. 2100
def test_real_day_agrees_with_utc_calendar(seconds: int):
    clock = DayClock()
    wall = datetime.fromtimestamp(seconds, UTC)
    midnight = datetime(wall.year, wall.month, wall.day, tzinfo=UTC)
    now = float(seconds)
    assert clock.bucket(now) == wall.hour
    assert clock.day_start(now) == midnight.timestamp()
    assert clock.is_weekend(now) is (wall.weekday() >= 5)
    assert clock.day_index(now) == (wall.date() - date(1970, 1, 1)).days
    assert clock.elapsed_seconds(now) == (wall - midnight) / timedelta(seconds=1)


# -- simulated days ----------------------------------------------------------------------------
def test_simulated_day_seed_example_600s_day():
    clock = DayClock(600)
    assert clock.is_simulated
    assert clock.time_scale == 144.0
    # After 25 seconds (1/24 of 600): scaledElapsed = 25 × (86400 / 600) = 3600 → bucket 1.
    assert clock.scaled_elapsed_seconds(25.0) == 3600.0
    assert clock.bucket(25.0) == 1
    assert clock.bucket(24.9) == 0


def test_simulated_day_counts_from_origin():
    clock = DayClock(600, origin=1000.0)
    assert clock.day_index(1000.0) == 0
    assert clock.day_start(1000.0) == 1000.0
    assert clock.elapsed_seconds(1000.0) == 0.0
    assert clock.bucket(1000.0) == 0
    assert clock.elapsed_seconds(1300.0) == 300.0
    assert clock.scaled_elapsed_seconds(1300.0) == 43200.0
    assert clock.bucket(1300.0) == 12
    assert clock.bucket(1599.9) == 23


def test_simulated_day_rollover():
    clock = DayClock(600, origin=1000.0)
    assert clock.day_index(1599.999) == 0
    assert clock.day_index(1600.0) == 1
    assert clock.day_start(1600.0) == 1600.0
    assert clock.bucket(1600.0) == 0
    assert clock.day_start(1000.0 + 600 * 7 + 125) == 1000.0 + 600 * 7
    assert clock.day_index(1000.0 + 600 * 7 + 125) == 7
    assert clock.bucket(1000.0 + 600 * 7 + 125) == 5  # 125 s × 144 = 18000 s = 5 h


def test_simulated_one_hour_day_buckets():
    clock = DayClock(3600)
    # 150 real seconds per hourly bucket.
    assert clock.bucket(149.0) == 0
    assert clock.bucket(150.0) == 1
    assert clock.bucket(3599.0) == 23


def test_simulated_weekend_is_days_5_and_6_of_each_week():
    clock = DayClock(600)
    weekend = [clock.is_weekend(day * 600 + 300.0) for day in range(14)]
    assert weekend == [False] * 5 + [True] * 2 + [False] * 5 + [True] * 2


@settings(deadline=None)
@given(
    st.integers(min_value=1, max_value=86399),
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.floats(min_value=0, max_value=1e7, allow_nan=False),
)
def test_simulated_clock_invariants(duration: int, origin: float, offset: float):
    clock = DayClock(duration, origin=origin)
    now = origin + offset
    start = clock.day_start(now)
    assert start <= now < start + duration + 1e-6
    assert 0 <= clock.bucket(now) <= 23
    assert 0.0 <= clock.scaled_elapsed_seconds(now) < 86400.0


# -- validation --------------------------------------------------------------------------------
@pytest.mark.parametrize("duration", [86401, 90000, 10**9])
def test_day_longer_than_24_hours_is_rejected_with_seed_message(duration: int):
    with pytest.raises(ValueError) as info:
        DayClock(duration)
    assert str(info.value) == SEED_MESSAGE
    assert isinstance(info.value, PacingConfigError)
    assert info.value.field == "dayDurationSeconds"


@pytest.mark.parametrize("duration", [0, -1, -600])
def test_zero_or_negative_day_is_rejected(duration: int):
    with pytest.raises(ValueError) as info:
        DayClock(duration)
    assert isinstance(info.value, PacingConfigError)
    assert info.value.field == "dayDurationSeconds"


def test_full_day_is_accepted_and_real():
    assert not DayClock(86400).is_simulated
    assert DayClock(86399).is_simulated
