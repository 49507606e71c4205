"""Lifetime budgets in the site engine: today's share of the flight is what can be spent."""

from __future__ import annotations

from dataclasses import replace
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.model import Campaign
from promovolve.engine.lifetime_spend import LifetimeSpend
from promovolve.engine.site import SiteEngine
from tests.engine.site_world import DAY, campaign, creative, make_engine, request

PRICE = 2_500  # a $2.50 CPM impression, in micros


def lifetime_campaign(lifetime: int, days: int) -> Campaign:
    return replace(
        campaign("c1", budget=100 * PRICE),
        flight_start=0.0,
        flight_end=float(days * DAY),
        lifetime_budget_micros=lifetime,
    )


def selected_on_day(engine: SiteEngine, day: int, n: int = 200) -> int:
    rng = Random(day)
    count = 0
    for i in range(n):
        result = engine.serve(request(f"d{day}-{i}"), day * DAY + 1.0 + i, rng)
        count += result.slots[0].outcome == "selected"
    return count


def test_each_day_spends_its_share_of_what_the_flight_has_left() -> None:
    c = lifetime_campaign(lifetime=30 * PRICE, days=3)
    engine = make_engine([c], [creative("a", "c1")])
    # 30 impressions over 3 days: 10 a day, though the daily budget buys 100.
    assert [selected_on_day(engine, d) for d in range(3)] == [10, 10, 10]
    assert engine.lifetime_spend.total("c1") == 30 * PRICE


def test_a_day_that_underspends_leaves_more_to_the_days_after() -> None:
    c = lifetime_campaign(lifetime=40 * PRICE, days=4)
    engine = make_engine([c], [creative("a", "c1")])
    assert selected_on_day(engine, 0, n=4) == 4  # traffic ran out: 6 of today's 10 left over
    assert selected_on_day(engine, 1) == 12  # 36 left over 3 days
    assert selected_on_day(engine, 2) == 12
    assert selected_on_day(engine, 3) == 12
    assert engine.lifetime_spend.total("c1") == 40 * PRICE


def test_the_spend_before_today_is_the_networks_not_the_sites() -> None:
    """Two sites share one tracker: what either spent counts against the lifetime budget."""
    c = lifetime_campaign(lifetime=20 * PRICE, days=2)
    shared = LifetimeSpend()
    shared.load("c1", 0, before=0, on_day=10 * PRICE)  # another site spent day 0's share
    engine = make_engine([c], [creative("a", "c1")])
    engine.lifetime_spend = engine.candidates.lifetime_spend = shared
    assert selected_on_day(engine, 1) == 10


def test_a_released_selection_gives_its_spend_back_to_the_lifetime() -> None:
    c = lifetime_campaign(lifetime=20 * PRICE, days=2)
    engine = make_engine([c], [creative("a", "c1")])
    result = engine.serve(request("r1"), 1.0, Random(1))
    decision = result.slots[0]
    assert decision.outcome == "selected"
    assert engine.release("r1", decision, result.day_index)
    assert engine.lifetime_spend.total("c1") == 0


def test_lifetime_spend_splits_at_the_latest_day() -> None:
    spend = LifetimeSpend()
    spend.add("c", 0, 5)
    spend.add("c", 0, 3)
    spend.add("c", 2, 4)
    assert (spend.before("c", 2), spend.before("c", 3), spend.total("c")) == (8, 12, 12)
    spend.add("c", 0, -3)  # a past day's reservation released late
    assert (spend.before("c", 2), spend.total("c")) == (5, 9)
    assert spend.before("other", 7) == 0


@settings(deadline=None, max_examples=40)
@given(
    st.integers(1, 60),
    st.integers(1, 6),
    st.lists(st.integers(0, 40), min_size=1, max_size=6),
    st.integers(1, 40),
)
def test_the_engine_never_spends_past_a_lifetime_budget(
    impressions: int, days: int, traffic: list[int], daily: int
) -> None:
    """Whatever the traffic per day and the daily cap, the flight's spend stays within the
    lifetime budget, and no day spends past its daily budget."""
    c = replace(
        campaign("c1", budget=daily * PRICE),
        flight_start=0.0,
        flight_end=float(days * DAY),
        lifetime_budget_micros=impressions * PRICE,
    )
    engine = make_engine([c], [creative("a", "c1")])
    for day in range(days + 1):
        before = engine.lifetime_spend.total("c1")
        selected_on_day(engine, day, n=traffic[day % len(traffic)])
        assert engine.lifetime_spend.total("c1") - before <= daily * PRICE
    assert engine.lifetime_spend.total("c1") <= impressions * PRICE
