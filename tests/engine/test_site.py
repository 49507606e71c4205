"""SiteEngine: the serve path (approval, eligibility, budget, pacing, Thompson sampling)."""

from __future__ import annotations

from collections import Counter
from random import Random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.model import (
    ApprovalStatus,
    CampaignStatus,
    CreativeStatus,
    Site,
)
from promovolve.engine import kernels
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.pacing.config import PacingConfig
from tests.engine.site_world import (
    DAY,
    SHORT_DAY,
    campaign,
    creative,
    ledger_of,
    make_engine,
    outcomes,
    request,
    serve_many,
)


@pytest.fixture
def picks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts Thompson-sampling picks (calls of the compiled sampler) in its one element."""
    count = [0]
    real = kernels.entry_of(kernels.thompson_pick)

    def counting(*args: Any) -> tuple[int, float, float]:
        count[0] += 1
        return real(*args)

    entry_of = kernels.entry_of
    monkeypatch.setattr(
        kernels, "entry_of", lambda k: counting if k is kernels.thompson_pick else entry_of(k)
    )
    return count


def test_unapproved_creative_is_never_served_and_is_queued_once():
    engine = make_engine([campaign()], [creative()], approve=False)
    assert outcomes(engine.serve(request("r1"), 1.0, Random(1))) == ["noCandidates"]
    assert engine.drain_pending() == ["cr1"]
    assert engine.approvals["cr1"] is ApprovalStatus.PENDING
    assert set(serve_many(engine, 30, start=2.0)) == {"noCandidates"}
    # Another page context (another candidate lookup) does not queue it again.
    engine.serve(request("r2", categories=frozenset({"sports"})), 10.0, Random(1))
    assert engine.drain_pending() == []
    assert ledger_of(engine).spent("c1", 0) == 0
    engine.set_approval("cr1", ApprovalStatus.APPROVED)
    result = engine.serve(request("r3"), 11.0, Random(1))
    assert outcomes(result) == ["selected"]
    assert result.slots[0].creative is not None and result.slots[0].creative.id == "cr1"


def test_rejected_creative_is_never_served_nor_queued_again():
    engine = make_engine([campaign()], [creative()], approve=False)
    engine.set_approval("cr1", ApprovalStatus.REJECTED)
    assert set(serve_many(engine, 20)) == {"noCandidates"}
    assert engine.drain_pending() == []


def test_creative_is_queued_only_when_it_would_have_been_eligible():
    engine = make_engine(
        [campaign("c1", categories=frozenset({"sports"})), campaign("c2")],
        [
            creative("sports-box", "c1"),
            creative("leaderboard", "c2", width=728, height=90),
            creative("blocked", "c2", landing="https://ads.spam.example/x"),
        ],
        approve=False,
    )
    engine.set_blocklist(["spam.example"])
    engine.serve(request("r1"), 1.0, Random(1))  # 300x250 on a page about nothing
    assert engine.drain_pending() == []
    engine.serve(request("r2", categories=frozenset({"sports"})), 2.0, Random(1))
    assert engine.drain_pending() == ["sports-box"]
    engine.serve(request("r3", slots=(("top", 728, 90),)), 3.0, Random(1))
    assert engine.drain_pending() == ["leaderboard"]
    assert "blocked" not in engine.approvals


def test_approved_creative_is_selected_at_cpm_over_1000():
    engine = make_engine([campaign(cpm=2_500_000)], [creative()])
    result = engine.serve(request("r1"), 1.0, Random(1))
    decision = result.slots[0]
    assert decision.outcome == "selected"
    assert decision.campaign is not None and decision.campaign.id == "c1"
    assert decision.creative is not None and decision.creative.id == "cr1"
    assert decision.price_micros == 2500  # $2.50 CPM → $0.0025 an impression
    assert ledger_of(engine).spent("c1", 0) == 2500
    assert result.request_id == "r1"
    assert result.day_index == 0


def test_price_floors_to_whole_micros():
    engine = make_engine([campaign(cpm=1_999_999)], [creative()])
    assert engine.serve(request("r1"), 1.0, Random(1)).slots[0].price_micros == 1999


# -- warmup ------------------------------------------------------------------------------------
def test_warmup_serves_nothing_but_records_traffic():
    engine = make_engine(
        [campaign()], [creative()], pacing=PacingConfig(day_duration_seconds=DAY, warmup_mode=True)
    )
    rng = Random(1)
    for i in range(40):
        result = engine.serve(
            request(f"r{i}", slots=(("a", 300, 250), ("b", 300, 250))), i * 5.0, rng
        )
        assert all(d.outcome == "warmup" and d.creative is None for d in result.slots)
    assert ledger_of(engine).spent("c1", 0) == 0
    assert engine.controller.requests_today == 40
    assert sum(engine.controller.tracker.today_count) == 40
    assert engine.controller.tracker.today_count[0] == 5  # 25 s per hourly bucket: 0, 5, .., 20
    assert engine.controller.observer.request_count == 40
    stats = engine.stats(200.0)
    assert stats["selected"] == 0
    assert stats["noCandidates"] == 0
    assert stats["totalSpend"] == 0.0
    # Leaving warmup keeps what was learned.
    engine.update_site(
        Site(id="site-123", publisher_id="pub-1", domain="news.example", pacing=SHORT_DAY), 201.0
    )
    assert outcomes(engine.serve(request("after"), 201.0, rng)) == ["selected"]
    assert engine.controller.requests_today == 41


# -- eligibility -------------------------------------------------------------------------------
def test_blocklisted_landing_domain_is_never_served():
    engine = make_engine([campaign()], [creative(landing="https://Shop.Example.com/sale")])
    engine.set_blocklist(["EXAMPLE.com"])
    assert set(serve_many(engine, 30)) == {"noCandidates"}
    assert ledger_of(engine).spent("c1", 0) == 0
    engine.set_blocklist([])
    assert outcomes(engine.serve(request("r-ok"), 50.0, Random(1))) == ["selected"]


def test_paused_campaign_is_not_served_and_keeps_its_approvals():
    engine = make_engine([campaign()], [creative()])
    engine.catalog.put_campaign(campaign(status=CampaignStatus.PAUSED))
    assert set(serve_many(engine, 20)) == {"noCandidates"}
    assert engine.approvals["cr1"] is ApprovalStatus.APPROVED
    engine.catalog.put_campaign(campaign())
    assert outcomes(engine.serve(request("r-back"), 50.0, Random(1))) == ["selected"]


def test_paused_creative_is_not_served():
    engine = make_engine([campaign()], [creative()])
    engine.catalog.put_creative(creative(status=CreativeStatus.PAUSED))
    assert set(serve_many(engine, 10)) == {"noCandidates"}


def test_targeting_and_slot_size_decide_candidates():
    engine = make_engine([campaign(categories=frozenset({"sports"}))], [creative()])
    assert outcomes(engine.serve(request("r1"), 1.0, Random(1))) == ["noCandidates"]
    sports = frozenset({"sports"})
    assert outcomes(engine.serve(request("r2", categories=sports), 2.0, Random(1))) == ["selected"]
    wide = request("r3", slots=(("top", 728, 90),), categories=sports)
    assert outcomes(engine.serve(wide, 3.0, Random(1))) == ["noCandidates"]


# -- budget ------------------------------------------------------------------------------------
def test_budget_exhausted_after_the_last_affordable_impression():
    engine = make_engine([campaign(budget=3 * 2500 + 2499)], [creative()])
    found = serve_many(engine, 6)
    assert found == ["selected"] * 3 + ["budgetExhausted"] * 3
    assert ledger_of(engine).spent("c1", 0) == 3 * 2500
    # The next day starts afresh.
    assert outcomes(engine.serve(request("tomorrow"), DAY + 1.0, Random(1))) == ["selected"]
    assert ledger_of(engine).spent("c1", 1) == 2500


def test_budget_shared_by_two_sites_is_never_overspent():
    ledger = InMemoryBudgetLedger()
    budget = 5 * 2500
    one = make_engine([campaign(budget=budget)], [creative()], ledger=ledger)
    two = make_engine([campaign(budget=budget)], [creative()], ledger=ledger)
    rng = Random(3)
    results = []
    for i in range(10):
        engine = one if i % 2 == 0 else two
        results.extend(outcomes(engine.serve(request(f"r{i}"), 1.0 + i, rng)))
    assert results.count("selected") == 5
    assert results.count("budgetExhausted") == 5
    assert ledger.spent("c1", 0) == budget


@st.composite
def traffic(draw: st.DrawFn) -> list[tuple[float, int, frozenset[str]]]:
    steps = draw(
        st.lists(
            st.tuples(
                st.floats(0.0, 60.0),  # seconds since the previous request
                st.integers(1, 3),  # slots on the page
                st.sampled_from([frozenset(), frozenset({"sports"}), frozenset({"news"})]),
            ),
            min_size=1,
            max_size=60,
        )
    )
    return steps


@settings(max_examples=40, deadline=None)
@given(
    traffic(),
    st.sampled_from(["default", "fixed:0", "seed", "fixed:0.5"]),
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(0, 12), min_size=3, max_size=3),
)
def test_spend_never_exceeds_budget(
    steps: list[tuple[float, int, frozenset[str]]], policy: str, seed: int, budgets: list[int]
):
    campaigns = [
        campaign("c1", budget=budgets[0] * 2500 + 1234, cpm=2_500_000),
        campaign("c2", budget=budgets[1] * 1000, cpm=1_000_000, categories=frozenset({"sports"})),
        campaign("c3", budget=budgets[2] * 7777, cpm=7_777_000),
    ]
    creatives = [creative("a", "c1"), creative("b", "c2"), creative("c", "c3"), creative("d", "c3")]
    engine = make_engine(campaigns, creatives, policy=policy)
    ledger = ledger_of(engine)
    rng = Random(seed)
    prices = {"c1": 2500, "c2": 1000, "c3": 7777}
    spent: Counter[tuple[str, int]] = Counter()
    now = 0.0
    for i, (gap, n_slots, categories) in enumerate(steps):
        now += gap
        slots = tuple((f"s{k}", 300, 250) for k in range(n_slots))
        result = engine.serve(request(f"r{i}", slots, categories), now, rng)
        served = [d.campaign.id for d in result.slots if d.campaign is not None]
        assert len(served) == len(set(served))  # a campaign at most once per page
        for d in result.slots:
            if d.outcome == "selected":
                assert d.campaign is not None
                # Second price: never above the bid's impression price.
                assert 1 <= d.price_micros <= prices[d.campaign.id]
                spent[(d.campaign.id, result.day_index)] += d.price_micros
            else:
                assert d.outcome in {"pacingSkipped", "budgetExhausted", "noCandidates"}
                assert d.campaign is None and d.price_micros == 0
        for c in campaigns:
            day_spend = ledger.spent(c.id, result.day_index)
            assert day_spend <= c.daily_budget_micros
            assert day_spend == spent[(c.id, result.day_index)]


# -- pacing gate before Thompson sampling ------------------------------------------------------
def test_pacing_decides_before_thompson_sampling(picks: list[int]):
    engine = make_engine([campaign()], [creative("cr1"), creative("cr2")], policy="fixed:1.0")
    found = serve_many(engine, 25, rng=Random(5))
    assert found == ["pacingSkipped"] * 25
    assert picks == [0]  # no Thompson sampling at all
    assert all(s.impressions == s.clicks == 0 for _, s in engine.creative_stats.items())
    assert ledger_of(engine).spent("c1", 0) == 0
    assert engine.stats(5.0)["pacingSkipped"] == 25


def test_thompson_sampling_runs_when_pacing_passes(picks: list[int]):
    engine = make_engine([campaign()], [creative("cr1"), creative("cr2")], policy="fixed:0")
    assert serve_many(engine, 5, rng=Random(5)) == ["selected"] * 5
    assert picks == [5]


def test_site_throttle_override_from_the_start_replaces_the_policy(picks: list[int]):
    override = PacingConfig(day_duration_seconds=DAY, test_throttle_override=1.0)
    engine = make_engine([campaign()], [creative()], policy="default", pacing=override)
    assert serve_many(engine, 10, rng=Random(1)) == ["pacingSkipped"] * 10
    assert picks == [0]


def test_site_throttle_override_can_be_set_and_cleared():
    engine = make_engine([campaign()], [creative()], policy="fixed:0")
    site = engine.site
    engine.update_site(
        Site(
            id=site.id,
            publisher_id=site.publisher_id,
            domain=site.domain,
            pacing=PacingConfig(day_duration_seconds=DAY, test_throttle_override=1.0),
        ),
        1.0,
    )
    assert set(serve_many(engine, 10)) == {"pacingSkipped"}
    engine.update_site(site, 5.0)
    assert set(serve_many(engine, 3, start=6.0)) == {"selected"}


# -- several slots -----------------------------------------------------------------------------
def test_one_campaign_at_most_once_per_page():
    engine = make_engine([campaign()], [creative("cr1"), creative("cr2")])
    two_slots = request("r1", slots=(("top", 300, 250), ("side", 300, 250)))
    result = engine.serve(two_slots, 1.0, Random(1))
    assert outcomes(result) == ["selected", "noCandidates"]
    assert ledger_of(engine).spent("c1", 0) == 2500


def test_two_campaigns_fill_two_slots():
    engine = make_engine(
        [campaign("c1"), campaign("c2", cpm=1_000_000)], [creative("a", "c1"), creative("b", "c2")]
    )
    two_slots = request("r1", slots=(("top", 300, 250), ("side", 300, 250)))
    result = engine.serve(two_slots, 1.0, Random(1))
    assert outcomes(result) == ["selected", "selected"]
    served = {d.campaign.id for d in result.slots if d.campaign is not None}
    assert served == {"c1", "c2"}
    # Each pays at most its bid; the other's win set the first slot's price.
    assert 1 <= ledger_of(engine).spent("c1", 0) <= 2500
    assert 1 <= ledger_of(engine).spent("c2", 0) <= 1000


# -- Thompson sampling -------------------------------------------------------------------------
