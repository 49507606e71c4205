"""A lifetime budget spread over the flight: today's share, and never past the lifetime."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from promovolve.domain.flight_budget import flight_days_left, todays_budget_micros
from promovolve.domain.model import Campaign

DAY = 86_400.0


def campaign(daily: int, lifetime: int | None, end: float | None) -> Campaign:
    return Campaign(
        "c1",
        "a1",
        "c",
        daily_budget_micros=daily,
        cpm_micros=1_000_000,
        flight_end=end,
        lifetime_budget_micros=lifetime,
    )


def test_without_a_lifetime_budget_today_is_the_daily_budget() -> None:
    assert todays_budget_micros(campaign(5_000, None, 10 * DAY), 123, 0.0, DAY) == 5_000


def test_the_lifetime_left_is_shared_by_the_days_left_today_included() -> None:
    # 100 left over 4 days (today and three more): 25 today, under the daily 40.
    c = campaign(40, 160, 10 * DAY)
    assert todays_budget_micros(c, 60, 6 * DAY, DAY) == 25


def test_the_daily_budget_caps_todays_share() -> None:
    c = campaign(10, 1_000, 4 * DAY)
    assert todays_budget_micros(c, 0, 0.0, DAY) == 10


def test_a_spent_lifetime_budget_leaves_nothing_today() -> None:
    c = campaign(10, 100, 4 * DAY)
    assert todays_budget_micros(c, 100, DAY, DAY) == 0
    assert todays_budget_micros(c, 130, DAY, DAY) == 0


def test_a_part_day_at_the_end_of_the_flight_counts_as_a_day() -> None:
    assert flight_days_left(2.5 * DAY, 0.0, DAY) == 3
    assert flight_days_left(3 * DAY, 0.0, DAY) == 3
    assert flight_days_left(0.5 * DAY, 0.0, DAY) == 1
    assert flight_days_left(-DAY, 0.0, DAY) == 1  # ended: still only today


@given(
    st.integers(1, 10**9),
    st.integers(1, 10**10),
    st.integers(1, 60),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=60),
)
def test_a_flight_never_spends_past_its_lifetime_budget(
    daily: int, lifetime: int, days: int, uses: list[float]
) -> None:
    """Each day spends any part of its share; the flight's total stays within the lifetime."""
    c = campaign(daily, lifetime, days * DAY)
    spent = 0
    for day in range(days):
        share = todays_budget_micros(c, spent, day * DAY, DAY)
        assert 0 <= share <= daily
        spent += int(share * uses[day % len(uses)])
    assert spent <= lifetime


@given(st.integers(1, 10**9), st.integers(1, 10**10), st.integers(1, 60))
def test_spending_each_share_in_full_spends_close_to_the_lifetime(
    daily: int, lifetime: int, days: int
) -> None:
    """With a daily budget that never binds, the flight spends all but its rounding."""
    c = campaign(lifetime, lifetime, days * DAY)
    spent = 0
    for day in range(days):
        spent += todays_budget_micros(c, spent, day * DAY, DAY)
    assert lifetime - days < spent <= lifetime
