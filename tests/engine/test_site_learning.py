"""The site engine over time: Thompson sampling's learning, stats, snapshots and restarts,
retries, bounded pool caches, and the compiled gates against their reference."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.thompson import CreativeStats
from promovolve.engine import site_candidates
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.engine.site import SiteEngine
from promovolve.pacing.config import PacingConfig
from tests.engine.reference_pacing import ReferenceGate
from tests.engine.site_world import (
    DAY,
    SEED_STATS_FIELDS,
    SHORT_DAY,
    campaign,
    creative,
    ledger_of,
    make_engine,
    outcomes,
    request,
    serve_many,
)


def test_thompson_sampling_favours_a_much_better_ctr():
    engine = make_engine([campaign()], [creative("good"), creative("poor")])
    for _ in range(1000):
        engine.record_impression("good")
        engine.record_impression("poor")
    for _ in range(100):
        engine.record_click("good")  # CTR 10%
    for _ in range(5):
        engine.record_click("poor")  # CTR 0.5%
    rng = Random(8)
    picks: Counter[str] = Counter()
    for i in range(300):
        decision = engine.serve(request(f"r{i}"), 1.0 + i, rng).slots[0]
        assert decision.creative is not None
        picks[decision.creative.id] += 1
    assert picks["good"] >= 295


def test_thompson_sampling_explores_new_creatives():
    engine = make_engine([campaign()], [creative("a"), creative("b")])
    rng = Random(4)
    picks: Counter[str] = Counter()
    for i in range(200):
        decision = engine.serve(request(f"r{i}"), 1.0 + i * 0.5, rng).slots[0]
        assert decision.creative is not None
        picks[decision.creative.id] += 1
    # Two creatives with no data: each is tried often.
    assert picks["a"] >= 50 and picks["b"] >= 50


def test_clicks_never_exceed_impressions():
    engine = make_engine([campaign()], [creative()])
    engine.record_impression("cr1")
    engine.record_click("cr1")
    engine.record_click("cr1")
    assert engine.creative_stats.get("cr1") == CreativeStats(impressions=1, clicks=1)


# -- stats -------------------------------------------------------------------------------------
def test_stats_fields_as_the_seed_names_them():
    engine = make_engine(
        [campaign(budget=2 * 2500, categories=frozenset({"sports"}))], [creative()]
    )
    sports = frozenset({"sports"})
    rng = Random(1)
    for i in range(3):
        engine.serve(request(f"r{i}", categories=sports), 1.0 + i, rng)
    engine.serve(request("r-finance", categories=frozenset({"finance"})), 5.0, rng)
    stats = engine.stats(150.0)
    assert set(stats) == SEED_STATS_FIELDS
    assert stats["siteId"] == "site-123"
    assert stats["selected"] == 2
    assert stats["budgetExhausted"] == 1
    assert stats["noCandidates"] == 1
    assert stats["pacingSkipped"] == 0
    assert stats["totalSpend"] == pytest.approx(0.005)
    assert stats["elapsedHours"] == pytest.approx(6.0)  # 150 s of a 600 s day
    assert stats["expectedSpendFraction"] == pytest.approx(0.25)  # flat shape


def test_stats_total_spend_is_todays():
    engine = make_engine([campaign()], [creative()])
    serve_many(engine, 4)
    assert engine.stats(100.0)["totalSpend"] == pytest.approx(0.01)
    assert engine.stats(DAY + 10.0)["totalSpend"] == 0.0
    engine.serve(request("tomorrow"), DAY + 20.0, Random(1))
    assert engine.stats(DAY + 30.0)["totalSpend"] == pytest.approx(0.0025)
    assert engine.stats(DAY + 30.0)["selected"] == 5  # counts are lifetime


# -- persistence -------------------------------------------------------------------------------
def busy_engine(ledger: InMemoryBudgetLedger) -> SiteEngine:
    engine = make_engine(
        [campaign("c1"), campaign("c2", budget=2 * 1000, cpm=1_000_000)],
        [creative("a", "c1"), creative("b", "c1"), creative("c", "c2")],
        ledger=ledger,
    )
    rng = Random(6)
    for i in range(40):
        result = engine.serve(request(f"r{i}"), 1.0 + i * 7.0, rng)
        for d in result.slots:
            if d.creative is not None:
                engine.record_impression(d.creative.id)
                if i % 4 == 0:
                    engine.record_click(d.creative.id)
    return engine


def test_snapshot_restore_round_trip():
    ledger = InMemoryBudgetLedger()
    original = busy_engine(ledger)
    restored = make_engine(
        [campaign("c1"), campaign("c2", budget=2 * 1000, cpm=1_000_000)],
        [creative("a", "c1"), creative("b", "c1"), creative("c", "c2")],
        ledger=ledger,
    )
    restored.restore(original.snapshot())
    assert restored.snapshot() == original.snapshot()
    assert dict(restored.creative_stats.items()) == dict(original.creative_stats.items())
    now = 300.0
    for field in ("selected", "pacingSkipped", "budgetExhausted", "noCandidates"):
        assert restored.stats(now)[field] == original.stats(now)[field]
    assert (
        restored.stats(now)["expectedSpendFraction"] == original.stats(now)["expectedSpendFraction"]
    )
    assert restored.controller.day_index == original.controller.day_index
    assert restored.controller.requests_today == original.controller.requests_today
    # Both decide the same next request the same way.
    a = original.serve(request("next"), now, Random(9))
    b = restored.serve(request("next-2"), now, Random(9))
    assert [d.creative.id if d.creative else None for d in a.slots] == [
        d.creative.id if d.creative else None for d in b.slots
    ]


def test_restore_keeps_todays_total_spend():
    ledger = InMemoryBudgetLedger()
    original = busy_engine(ledger)
    restored = make_engine(
        [campaign("c1"), campaign("c2", budget=2 * 1000, cpm=1_000_000)],
        [creative("a", "c1"), creative("b", "c1"), creative("c", "c2")],
        ledger=ledger,
    )
    restored.restore(original.snapshot())
    assert original.stats(300.0)["totalSpend"] != 0.0
    assert restored.stats(300.0)["totalSpend"] == original.stats(300.0)["totalSpend"]


def test_retried_request_id_is_counted_once():
    engine = make_engine([campaign()], [creative()])
    first = engine.serve(request("r1"), 1.0, Random(1))
    again = engine.serve(request("r1"), 2.0, Random(1))
    assert outcomes(first) == outcomes(again) == ["selected"]
    assert ledger_of(engine).spent("c1", 0) == 2500
    assert engine.stats(3.0)["totalSpend"] == pytest.approx(0.0025)


def test_candidate_pools_kept_stay_bounded_over_open_ended_page_contexts() -> None:
    engine = make_engine([campaign()], [creative()])
    rng = Random(1)
    outcomes = Counter(
        engine.serve(request(f"r{i}", categories=frozenset({f"topic-{i}"})), 1.0, rng)
        .slots[0]
        .outcome
        for i in range(site_candidates.CANDIDATE_POOLS_KEPT + 50)
    )
    # The untargeted campaign still wins every page after the pools were dropped.
    assert outcomes == {"selected": site_candidates.CANDIDATE_POOLS_KEPT + 50}
    assert 0 < len(engine.candidates) <= site_candidates.CANDIDATE_POOLS_KEPT


@settings(max_examples=30, deadline=None)
@given(
    budgets=st.lists(st.integers(1, 60), min_size=1, max_size=40),
    policy=st.sampled_from(["default", "seed", "fixed:0.3", "fixed:0"]),
    two_slots=st.lists(st.booleans(), min_size=200, max_size=200),
    seed=st.integers(0, 2**32),
)
def test_the_compiled_gates_decide_exactly_as_their_plain_python_reference(
    budgets: list[int], policy: str, two_slots: list[bool], seed: int
) -> None:
    # Budgets of a few impressions each, so campaigns run out while the test serves.
    campaigns = [campaign(f"c{i}", budget=b * 2500, cpm=2_500_000) for i, b in enumerate(budgets)]
    creatives = [creative(f"cr{i}-{k}", f"c{i}") for i in range(len(budgets)) for k in range(2)]
    engines = [make_engine(campaigns, creatives, policy=policy) for _ in range(2)]
    engines[1].gate = ReferenceGate(engines[1].gate)
    rngs = [Random(seed), Random(seed)]
    for i, two in enumerate(two_slots):
        slots = (("a", 300, 250), ("b", 300, 250)) if two else (("a", 300, 250),)
        results = [
            # Under a second apart, so the seed's strategy leaves its grace period.
            e.serve(request(f"r{i}", slots), 1.0 + i * 0.5, rng)
            for e, rng in zip(engines, rngs, strict=True)
        ]
        compiled, reference = (
            [
                (d.outcome, d.campaign and d.campaign.id, d.creative and d.creative.id)
                for d in r.slots
            ]
            for r in results
        )
        assert compiled == reference
    assert engines[0].stats(101.0) == engines[1].stats(101.0)


def test_a_new_day_length_starts_a_whole_day_whatever_the_old_clock_had_seen():
    """A site created at 17:30 UTC on real days saw its first day from 17:30; a new day
    length restarts its clock, so the new first day is observed from its start."""
    real_day = PacingConfig()  # 86,400 s days from UTC midnight
    engine = make_engine([campaign()], [creative("a")], policy="default", pacing=real_day)
    created = 20_000 * 86_400.0 + 17.5 * 3600
    engine.start(created)
    assert engine.controller.expected_fraction(created) == 0.0
    engine.update_site(replace(engine.site, pacing=SHORT_DAY), created + 5.0)
    assert engine.controller.day_index == 0  # the new clock's first day, begun at once
    engine.serve(request("r1"), created + 6.0, Random(1))
    # Its counts begin at that request, one second into the new 600 s day (not at 17:30).
    assert abs(engine.controller.tracker.observed_from - 86_400 / DAY) < 1e-6
    half_way = created + 5.0 + 1.0 + (DAY - 1.0) / 2
    assert abs(engine.controller.expected_fraction(half_way) - 0.5) < 1e-9


def test_a_site_started_mid_day_expects_its_traffic_from_its_start():
    engine = make_engine([campaign()], [creative("a")], policy="default")
    engine.start(DAY / 2)  # half way through day 0
    assert engine.controller.expected_fraction(DAY / 2) == 0.0
    assert abs(engine.controller.expected_fraction(DAY * 0.75) - 0.5) < 1e-9
