"""ForecastPacing: per-campaign pass rates from a forecast of the day's remaining traffic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.pacing.forecast import ForecastPacing

PRICE = 2500  # micros per impression ($2.50 CPM)


# -- the remaining-requests forecast -----------------------------------------------------------
def test_forecast_without_history_extrapolates_an_upper_bound_of_todays_count():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([])
    assert pacing.day_total_prior is None
    # 100 requests at a quarter of the day's expected traffic: 100 + 0.25·10 + 0.0625 of a
    # quarter, total 410.25, 307.69 to come.
    assert pacing.remaining_requests(100, 0.25) == pytest.approx(307.6875)
    # 400 at half the day: (400 + 5 + 0.0625) / 0.5 = 810.125 in all, 405.06 to come.
    assert pacing.remaining_requests(400, 0.5) == pytest.approx(405.0625)


def test_forecast_without_history_expects_more_than_a_small_early_count_says():
    pacing = ForecastPacing(finish_fraction=1.0)
    # 4 requests at 0.1% of the day: at least (4 + 0.5 + 0.0625) / 0.001 = 4562.5 in the day.
    assert pacing.remaining_requests(4, 0.001) == pytest.approx(4562.5 * 0.999)
    # Nothing seen at the very start: a day is still expected, so nothing is rushed.
    assert pacing.remaining_requests(0, 0.0) == pytest.approx(0.0625 / 1e-4)


def test_forecast_with_own_history_follows_the_learned_total_and_shape():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([1000])
    assert pacing.day_total_prior == pytest.approx(1000.0)
    # A quarter of the day gone: 750 still to come, whatever today's count says (a burst
    # or a quiet spell so far does not change the rest of the day).
    assert pacing.remaining_requests(300, 0.25) == pytest.approx(750.0)
    assert pacing.remaining_requests(150, 0.25) == pytest.approx(750.0)
    assert pacing.remaining_requests(0, 0.0) == pytest.approx(1000.0)


def test_forecast_keeps_the_total_when_traffic_left_the_shape():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([1000])
    # The shape expected half the day by now but only 200 came: 800 are still to come.
    assert pacing.remaining_requests(200, 0.5, left_the_shape=True) == pytest.approx(800.0)
    assert pacing.remaining_requests(1200, 0.5, left_the_shape=True) == 0.0


def test_first_day_of_a_type_ignores_the_shape_check():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([])
    # No total of its own type to keep: it extrapolates as before.
    assert pacing.remaining_requests(300, 0.25, left_the_shape=True) == pytest.approx(
        pacing.remaining_requests(300, 0.25)
    )


def test_prior_is_an_ema_of_past_days():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([1000, 2000])
    assert pacing.day_total_prior == pytest.approx(0.5 * 2000 + 0.5 * 1000)
    pacing.start_day([1000, 2000, 600])
    assert pacing.day_total_prior == pytest.approx(0.5 * 600 + 0.5 * 1500)


def test_first_day_of_a_type_does_not_borrow_the_other_types_total():
    weekend_first = ForecastPacing(finish_fraction=1.0)
    weekend_first.start_day([])  # the weekday total (say 1000) is not a prior for it
    assert weekend_first.day_total_prior is None
    assert weekend_first.remaining_requests(300, 0.25) == pytest.approx(
        (300 + 0.25 * 300**0.5 + 0.0625) / 0.25 * 0.75
    )


def test_forecast_stops_at_the_finish_line():
    pacing = ForecastPacing()  # finish at 99.5% of the day's traffic
    pacing.start_day([1000])
    assert pacing.remaining_requests(995, 0.995) == pytest.approx(0.0)
    assert pacing.remaining_requests(999, 0.999) == 0.0
    assert pacing.remaining_requests(0, 0.0) == pytest.approx(1000.0)


@settings(deadline=None)
@given(
    st.integers(0, 10**6),
    st.floats(0.0, 1.0),
    st.lists(st.integers(0, 10**6), max_size=5),
    st.booleans(),
)
def test_forecast_is_never_negative(
    requests: int, fraction: float, history: list[int], left_the_shape: bool
):
    pacing = ForecastPacing()
    pacing.start_day(history)
    assert pacing.remaining_requests(requests, fraction, left_the_shape) >= 0.0


def test_an_outage_takes_its_traffic_away_when_the_shape_was_left():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([1000])
    # Half the day expected, 300 came, and whole silent hours held 20% of the day: of the
    # 1000, 200 are lost, so 500 are still to come (not 700).
    assert pacing.remaining_requests(300, 0.5, True, 0.2) == pytest.approx(500.0)
    # Without leaving the shape the clock already takes the silent hours away.
    assert pacing.remaining_requests(300, 0.5, False, 0.2) == pytest.approx(500.0)
