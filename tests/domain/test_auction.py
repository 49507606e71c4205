"""The second price: properties the issue asks for, over generated bids, floors and draws."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from promovolve.domain.auction import clearing_cpm_micros, page_floor_micros, price_paid_micros

cpms = st.integers(1_000, 50_000_000)
ctrs = st.floats(1e-4, 1.0)
alphas = st.floats(0.05, 3.0)


def score(ctr: float, cpm_micros: int, alpha: float) -> float:
    return float(ctr * (cpm_micros / 1_000_000) ** alpha)


@settings(deadline=None)
@given(cpms, st.integers(0, 50_000_000), st.floats(-1.0, 1e4), ctrs, st.floats(0.0, 3.0))
def test_price_is_never_above_the_bid_nor_below_the_floor(
    bid: int, floor: int, runner_up: float, ctr: float, alpha: float
) -> None:
    assume(floor <= bid)  # a bid under the floor is not a candidate
    cpm = clearing_cpm_micros(bid, floor, runner_up, ctr, alpha)
    assert floor <= cpm <= bid


@given(cpms, st.integers(1, 50_000_000), ctrs, alphas)
def test_a_sole_bidder_pays_the_floor(bid: int, floor: int, ctr: float, alpha: float) -> None:
    assume(floor <= bid)
    assert clearing_cpm_micros(bid, floor, -1.0, ctr, alpha) == floor


def test_a_sole_bidder_on_a_site_without_a_floor_pays_its_bid() -> None:
    assert clearing_cpm_micros(2_500_000, 0, -1.0, 0.3, 0.5) == 2_500_000


@given(cpms, st.integers(0, 5_000_000), cpms, cpms, ctrs, ctrs, alphas)
def test_raising_the_runner_ups_bid_never_lowers_the_winners_price(
    bid: int, floor: int, low: int, high: int, ctr: float, runner_ctr: float, alpha: float
) -> None:
    low, high = sorted((low, high))
    assume(floor <= bid)
    before = clearing_cpm_micros(bid, floor, score(runner_ctr, low, alpha), ctr, alpha)
    after = clearing_cpm_micros(bid, floor, score(runner_ctr, high, alpha), ctr, alpha)
    assert after >= before


@given(cpms, cpms, ctrs, alphas)
def test_with_equal_ctrs_the_winner_pays_the_runner_ups_bid(
    bid: int, runner_bid: int, ctr: float, alpha: float
) -> None:
    winner, runner = max(bid, runner_bid), min(bid, runner_bid)
    assert clearing_cpm_micros(winner, 0, score(ctr, runner, alpha), ctr, alpha) == runner


def test_the_formula() -> None:
    # Winner CTR 0.02 at $4 (alpha 0.5) against a runner-up scoring 0.02 × √1 = 0.02:
    # it would still have won down to $1.
    assert clearing_cpm_micros(4_000_000, 0, 0.02, 0.02, 0.5) == 1_000_000
    # A runner-up scoring above what the winner's bid could reach is clamped to the bid.
    assert clearing_cpm_micros(4_000_000, 0, 1.0, 0.02, 0.5) == 4_000_000
    assert clearing_cpm_micros(4_000_000, 3_000_000, 0.02, 0.02, 0.5) == 3_000_000


def test_the_impression_price_is_a_thousandth_of_the_cpm_and_at_least_a_micro() -> None:
    assert price_paid_micros(4_000_000, 0, 0.02, 0.02, 0.5) == 1_000
    assert price_paid_micros(4_000_000, 0, 1e-12, 0.5, 0.5) == 1


@pytest.mark.parametrize(
    ("site", "categories", "expected"),
    [(0, [], 0), (500, [], 500), (500, ["sports"], 2_000), (3_000, ["sports", "news"], 3_000)],
)
def test_a_pages_floor_is_the_highest_of_the_site_and_its_categories(
    site: int, categories: list[str], expected: int
) -> None:
    floors = {"sports": 2_000, "news": 1_000}
    assert page_floor_micros(site, floors, categories) == expected
