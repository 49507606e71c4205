"""The default gate's admission by credits, one campaign at a time through the compiled gate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.engine import kernels
from promovolve.engine.gates import ForecastGate
from promovolve.engine.network_pace import InMemoryNetworkPace
from promovolve.pacing.forecast import ForecastPacing

PRICE = 2500  # micros per impression ($2.50 CPM)


class CompiledPacing(ForecastPacing):
    """ForecastPacing whose `admit` asks the engine's compiled gate about one campaign."""

    def __init__(self, network: InMemoryNetworkPace | None = None, site_id: str = "") -> None:
        super().__init__()
        self.gate = ForecastGate(self, network, site_id)
        self.day_start = 0.0

    def start_day(self, own_history: list[int], requests_yesterday: int = 0) -> None:
        super().start_day(own_history, requests_yesterday)
        self.day_start += 1.0

    def admit(
        self,
        campaign_id: str,
        remaining_budget: int,
        price: int,
        requests_today: int,
        remaining_requests: float,
    ) -> bool:
        gate, paces = self.gate, self.paces
        admitted = np.empty(1, dtype=bool)
        kernels.forecast_admit(
            np.array([remaining_budget], dtype=np.int64),
            np.array([price], dtype=np.int64),
            np.array([price > 0 and remaining_budget >= price]),
            np.array([gate.row(campaign_id)], dtype=np.intp),
            paces.seen,
            paces.eligible,
            paces.pass_rate,
            gate.credit_of,
            gate.network.credit,
            gate.network.credit_since,
            self.day_start,
            gate.entry_of,
            gate.network.expected,
            gate.network.ring,
            requests_today,
            remaining_requests,
            self.max_credit,
            admitted,
        )
        return bool(admitted[0])

    def on_served(self, campaign_id: str) -> None:
        self.gate.on_served(campaign_id)


def run_gate(pacing: CompiledPacing, impressions_left: int, remaining: float, n: int) -> int:
    """n eligible requests (every request is eligible); serve whatever passes. Answer passes."""
    passes = 0
    for i in range(n):
        if pacing.admit("c1", impressions_left * PRICE, PRICE, i + 1, remaining):
            passes += 1
            pacing.on_served("c1")
    return passes


def credit_of(pacing: CompiledPacing, campaign_id: str) -> float:
    assert pacing.paces.today(campaign_id) is not None
    gate = pacing.gate
    return gate.network.credit[gate.credit_of[gate.row(campaign_id)]]


def test_pass_rate_is_impressions_left_over_expected_eligible_requests():
    pacing = CompiledPacing()
    pacing.admit("c1", 300 * PRICE, PRICE, 1, 1000.0)
    assert pacing.pass_rate("c1") == pytest.approx(0.3)
    assert pacing.pass_rate("unknown") == 0.0


def test_pass_rate_uses_the_campaigns_share_of_requests():
    pacing = CompiledPacing()
    pacing.admit("c1", 100 * PRICE, PRICE, 1, 1000.0)
    # Not eligible on requests 2 and 3, eligible on 4: 2 of 4, so 1000·0.5 = 500 to come.
    pacing.admit("c1", 100 * PRICE, PRICE, 4, 1000.0)
    assert pacing.pass_rate("c1") == pytest.approx(100 / 500)


def test_pass_rate_is_one_when_budget_outlasts_the_traffic():
    pacing = CompiledPacing()
    assert pacing.admit("c1", 5000 * PRICE, PRICE, 1, 1000.0)
    assert pacing.pass_rate("c1") == 1.0


@pytest.mark.parametrize(
    ("impressions_left", "remaining"), [(300, 1000.0), (250, 1000.0), (7, 9.0)]
)
def test_credits_pass_p_of_eligible_requests(impressions_left: int, remaining: float):
    p = impressions_left / remaining
    n = 200
    passes = run_gate(CompiledPacing(), impressions_left, remaining, n)
    assert abs(passes - p * n) <= 1


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 1000), st.floats(1.0, 10_000.0), st.integers(1, 300))
def test_credits_pass_roughly_p_of_eligible_requests(
    impressions_left: int, remaining: float, n: int
):
    p = min(1.0, impressions_left / remaining)
    passes = run_gate(CompiledPacing(), impressions_left, remaining, n)
    assert abs(passes - p * n) <= 1


def test_credit_is_capped_when_admitted_but_not_served():
    pacing = CompiledPacing()
    for i in range(10):
        assert pacing.admit("c1", 10_000 * PRICE, PRICE, i + 1, 100.0)  # p = 1, never served
    assert credit_of(pacing, "c1") == pytest.approx(2.0)
    pacing.on_served("c1")
    pacing.on_served("c1")
    assert credit_of(pacing, "c1") == 0.0
    pacing.on_served("c1")
    assert credit_of(pacing, "c1") == 0.0


def test_campaigns_keep_separate_credits():
    pacing = CompiledPacing()
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
    pacing = CompiledPacing()
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
    pacing = CompiledPacing()
    for remaining_budget, price, requests, remaining, served in steps:
        admitted = pacing.admit("c1", remaining_budget, price, requests, remaining)
        if price <= 0 or remaining_budget < price:
            assert not admitted
        if admitted and served:
            pacing.on_served("c1")


def test_start_day_forgets_credits():
    pacing = CompiledPacing()
    for i in range(3):
        pacing.admit("c1", 1000 * PRICE, PRICE, i + 1, 100.0)  # p = 1, never served
    assert credit_of(pacing, "c1") == 2.0
    pacing.start_day([100])
    assert pacing.paces.today("c1") is None
    assert not pacing.admit("c1", 10 * PRICE, PRICE, 1, 100.0)  # p = 0.1, from no credit
    pacing.reset()
    assert pacing.paces.today("c1") is None
    assert pacing.pass_rate("c1") == 0.0


def test_a_campaign_first_seen_mid_day_is_paced_not_let_through():
    pacing = CompiledPacing()
    pacing.start_day([10_000])
    # 5,000 requests into the day a campaign appears (a restart, or a resume) with 100
    # impressions to buy over about 5,000 requests to come: it should pass about 1 in 50.
    remaining = pacing.remaining_requests(5_000, 0.5)
    passes = 0
    for i in range(1_000):
        if pacing.admit("late", 100 * PRICE, PRICE, 5_001 + i, remaining):
            passes += 1
            pacing.on_served("late")
    assert 15 <= passes <= 25


def test_credit_earned_where_a_campaign_is_outbid_is_spent_on_its_other_site():
    # One campaign on two sites of 200 requests each, 100 impressions to buy: p = 0.25 of
    # every eligible request. On site a higher bids win whatever it is admitted for; the
    # credit it earns there buys on site b, so by half of the traffic it has bought half of
    # its budget (a credit per site would have bought about 30: p of site b's requests, a
    # little more as it fell behind).
    network = InMemoryNetworkPace()
    outbid_site, open_site = CompiledPacing(network, "a"), CompiledPacing(network, "b")
    served = 0
    for n in range(1, 101):
        to_come, left = 200.0 - n, (100 - served) * PRICE
        outbid_site.admit("c1", left, PRICE, n, to_come)
        if open_site.admit("c1", left, PRICE, n, to_come):
            open_site.on_served("c1")
            served += 1
    assert abs(served - 50) <= 2
