"""ForecastPacing: per-campaign pass rates from a forecast of the day's remaining traffic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.pacing.forecast import ForecastPacing

PRICE = 2500  # micros per impression ($2.50 CPM)


# -- the remaining-requests forecast -----------------------------------------------------------
def test_forecast_without_history_extrapolates_todays_count():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([], [])
    assert pacing.day_total_prior is None
    # 100 requests at a quarter of the day's expected traffic: total 400, 300 to come.
    assert pacing.remaining_requests(100, 0.25) == pytest.approx(300.0)
    assert pacing.remaining_requests(500, 0.5) == pytest.approx(500.0)


def test_forecast_without_history_does_not_trust_a_tiny_fraction():
    pacing = ForecastPacing(finish_fraction=1.0)
    # Extrapolating from 0.1% of the day is floored at 2%: total 10 / 0.02 = 500.
    assert pacing.remaining_requests(10, 0.001) == pytest.approx(500 * 0.999)
    assert pacing.remaining_requests(0, 0.0) == 0.0


def test_forecast_with_own_history_follows_the_learned_total_and_shape():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([1000], [])
    assert pacing.day_total_prior == pytest.approx(1000.0)
    # A quarter of the day gone: 750 still to come, whatever today's count says (a burst
    # or a quiet spell so far does not change the rest of the day).
    assert pacing.remaining_requests(300, 0.25) == pytest.approx(750.0)
    assert pacing.remaining_requests(150, 0.25) == pytest.approx(750.0)
    assert pacing.remaining_requests(0, 0.0) == pytest.approx(1000.0)


def test_forecast_keeps_the_total_when_traffic_left_the_shape():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([1000], [])
    # The shape expected half the day by now but only 200 came: 800 are still to come.
    assert pacing.remaining_requests(200, 0.5, left_the_shape=True) == pytest.approx(800.0)
    assert pacing.remaining_requests(1200, 0.5, left_the_shape=True) == 0.0


def test_first_day_of_a_type_ignores_the_shape_check():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([], [1000])
    # No total of its own type to keep: it extrapolates as before.
    assert pacing.remaining_requests(300, 0.25, left_the_shape=True) == pytest.approx(
        pacing.remaining_requests(300, 0.25)
    )


def test_prior_is_an_ema_of_past_days():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([1000, 2000], [])
    assert pacing.day_total_prior == pytest.approx(0.5 * 2000 + 0.5 * 1000)
    pacing.start_day([1000, 2000, 600], [])
    assert pacing.day_total_prior == pytest.approx(0.5 * 600 + 0.5 * 1500)


def test_first_day_of_a_type_borrows_the_other_types_total_weakly():
    pacing = ForecastPacing(finish_fraction=1.0)
    pacing.start_day([], [1000])
    assert pacing.day_total_prior == pytest.approx(1000.0)
    # weight 0.05: total = (300 + 50) / (0.25 + 0.05) = 1166.7; 75% to come = 875.
    assert pacing.remaining_requests(300, 0.25) == pytest.approx(875.0)


def test_forecast_stops_at_the_finish_line():
    pacing = ForecastPacing()  # finish at 99.5% of the day's traffic
    pacing.start_day([1000], [])
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
    pacing.start_day(history, [])
    assert pacing.remaining_requests(requests, fraction, left_the_shape) >= 0.0


# -- admission by credits ----------------------------------------------------------------------
def run_gate(pacing: ForecastPacing, impressions_left: int, remaining: float, n: int) -> int:
    """n eligible requests (every request is eligible); serve whatever passes. Answer passes."""
    passes = 0
    for i in range(n):
        if pacing.admit("c1", impressions_left * PRICE, PRICE, i + 1, remaining):
            passes += 1
            pacing.on_served("c1")
    return passes


def credit_of(pacing: ForecastPacing, campaign_id: str) -> float:
    pace = pacing.paces.today(campaign_id)
    assert pace is not None
    return pace.credit


def test_pass_rate_is_impressions_left_over_expected_eligible_requests():
    pacing = ForecastPacing()
    pacing.admit("c1", 300 * PRICE, PRICE, 1, 1000.0)
    assert pacing.pass_rate("c1") == pytest.approx(0.3)
    assert pacing.pass_rate("unknown") == 0.0


def test_pass_rate_uses_the_campaigns_share_of_requests():
    pacing = ForecastPacing()
    pacing.admit("c1", 100 * PRICE, PRICE, 1, 1000.0)
    # Not eligible on requests 2 and 3, eligible on 4: 2 of 4, so 1000·0.5 = 500 to come.
    pacing.admit("c1", 100 * PRICE, PRICE, 4, 1000.0)
    assert pacing.pass_rate("c1") == pytest.approx(100 / 500)


def test_pass_rate_is_one_when_budget_outlasts_the_traffic():
    pacing = ForecastPacing()
    assert pacing.admit("c1", 5000 * PRICE, PRICE, 1, 1000.0)
    assert pacing.pass_rate("c1") == 1.0


@pytest.mark.parametrize(
    ("impressions_left", "remaining"), [(300, 1000.0), (250, 1000.0), (7, 9.0)]
)
def test_credits_pass_p_of_eligible_requests(impressions_left: int, remaining: float):
    p = impressions_left / remaining
    n = 200
    passes = run_gate(ForecastPacing(), impressions_left, remaining, n)
    assert abs(passes - p * n) <= 1


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 1000), st.floats(1.0, 10_000.0), st.integers(1, 300))
def test_credits_pass_roughly_p_of_eligible_requests(
    impressions_left: int, remaining: float, n: int
):
    p = min(1.0, impressions_left / remaining)
    passes = run_gate(ForecastPacing(), impressions_left, remaining, n)
    assert abs(passes - p * n) <= 1


def test_credit_is_capped_when_admitted_but_not_served():
    pacing = ForecastPacing()
    for i in range(10):
        assert pacing.admit("c1", 10_000 * PRICE, PRICE, i + 1, 100.0)  # p = 1, never served
    assert credit_of(pacing, "c1") == pytest.approx(2.0)
    pacing.on_served("c1")
    pacing.on_served("c1")
    assert credit_of(pacing, "c1") == 0.0
    pacing.on_served("c1")
    assert credit_of(pacing, "c1") == 0.0


def test_campaigns_keep_separate_credits():
    pacing = ForecastPacing()
    a: list[bool] = []
    b: list[bool] = []
    for i in range(8):
        a.append(pacing.admit("a", 25 * PRICE, PRICE, i + 1, 100.0))  # p = 0.25
        b.append(pacing.admit("b", 1000 * PRICE, PRICE, i + 1, 100.0))  # p = 1
    assert a == [False, False, False, True, True, True, True, True]  # credit kept: not served
    assert all(b)
    pacing.on_served("a")
    assert credit_of(pacing, "a") == pytest.approx(1.0)
    assert credit_of(pacing, "b") == pytest.approx(2.0)


def test_never_admits_below_the_price():
    pacing = ForecastPacing()
    for i in range(50):
        assert not pacing.admit("c1", PRICE - 1, PRICE, i + 1, 10.0)
    assert not pacing.admit("c1", 0, PRICE, 51, 10.0)
    assert not pacing.admit("c1", 10**9, 0, 52, 10.0)
    assert pacing.admit("c1", PRICE, PRICE, 53, 0.0)  # exactly one impression left


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 20_000),  # remaining budget
            st.integers(0, 5_000),  # price
            st.integers(0, 1000),  # requests today
            st.floats(0.0, 1e5),  # remaining requests
            st.booleans(),  # served when admitted
        ),
        min_size=1,
        max_size=60,
    )
)
def test_admit_never_passes_a_campaign_that_cannot_pay(
    steps: list[tuple[int, int, int, float, bool]],
):
    pacing = ForecastPacing()
    for remaining_budget, price, requests, remaining, served in steps:
        admitted = pacing.admit("c1", remaining_budget, price, requests, remaining)
        if price <= 0 or remaining_budget < price:
            assert not admitted
        if admitted and served:
            pacing.on_served("c1")


def test_start_day_forgets_credits():
    pacing = ForecastPacing()
    pacing.admit("c1", 10 * PRICE, PRICE, 1, 100.0)
    assert pacing.paces.today("c1") is not None
    pacing.start_day([100], [])
    assert pacing.paces.today("c1") is None
    pacing.admit("c1", 10 * PRICE, PRICE, 1, 100.0)
    pacing.reset()
    assert pacing.paces.today("c1") is None
    assert pacing.pass_rate("c1") == 0.0


def test_a_campaign_first_seen_mid_day_is_paced_not_let_through():
    pacing = ForecastPacing()
    pacing.start_day([10_000], [])
    # 5,000 requests into the day a campaign appears (a restart, or a resume) with 100
    # impressions to buy over about 5,000 requests to come: it should pass about 1 in 50.
    remaining = pacing.remaining_requests(5_000, 0.5)
    passes = 0
    for i in range(1_000):
        if pacing.admit("late", 100 * PRICE, PRICE, 5_001 + i, remaining):
            passes += 1
            pacing.on_served("late")
    assert 15 <= passes <= 25
