"""The serve path's second price: the sampler's runner-up, floors, and what is charged."""

from __future__ import annotations

from random import Random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.model import Site
from promovolve.engine import kernels
from promovolve.engine.sampling import ThompsonSampler
from tests.engine.site_world import campaign, creative, ledger_of, make_engine, request
from tests.engine.test_sampling import make_pool


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=3),
        min_size=1,
        max_size=6,
    ),
    st.data(),
    st.integers(0, 2**64 - 1),
)
def test_the_runner_up_is_the_best_score_of_another_campaign(
    stats: list[list[tuple[int, int]]], data: st.DataObject, seed: int
) -> None:
    multipliers = data.draw(
        st.lists(st.floats(0.1, 10.0), min_size=len(stats), max_size=len(stats))
    )
    pool = make_pool(stats, multipliers)
    state = kernels.new_random_state(seed)
    replay = state.copy()
    admitted = np.ones(len(pool), dtype=bool)
    winner, winner_ctr, runner_up = kernels.thompson_pick(
        pool.table.impressions, pool.table.clicks, pool.rows, pool.multipliers, pool.owners,
        admitted, state,
    )  # fmt: skip
    # The same draws in the same order, in plain Python.
    scores = []
    for i, row in enumerate(pool.rows):
        shown, clicked = (
            pool.table.impressions[row],
            min(pool.table.clicks[row], pool.table.impressions[row]),
        )
        ctr = kernels.beta(clicked + 1.0, shown - clicked + 1.0, replay)
        scores.append((ctr * pool.multipliers[i], ctr, int(pool.owners[i])))
    best = max(range(len(scores)), key=lambda i: scores[i][0])
    assert winner == best
    assert winner_ctr == scores[best][1]
    others = [s for s, _, owner in scores if owner != scores[best][2]]
    assert runner_up == (max(others) if others else -1.0)


def test_picking_with_a_runner_up_draws_exactly_as_before() -> None:
    pool = make_pool([[(10, 1)], [(20, 5), (3, 0)], [(0, 0)]], [1.0, 2.0, 0.5])
    sampler = ThompsonSampler()
    wins = [sampler.auction(None, Random(3), pool) for _ in range(30)]
    again = ThompsonSampler()
    assert [w.creative.id for w in wins] == [
        again.pick(None, Random(3), pool)[1].id for _ in range(30)
    ]


def floored(engine_site: Site, floor: int, category_floors: dict[str, int] | None = None) -> Site:
    return Site(
        id=engine_site.id,
        publisher_id=engine_site.publisher_id,
        domain=engine_site.domain,
        pacing=engine_site.pacing,
        floor_cpm_micros=floor,
        category_floors=category_floors or {},
    )


def test_a_sole_bidder_pays_the_floor_and_spend_is_charged_at_it() -> None:
    engine = make_engine([campaign("c1", cpm=2_500_000)], [creative("a", "c1")])
    engine.update_site(floored(engine.site, 1_000_000), 0.0)
    result = engine.serve(request("r1"), 1.0, Random(1))
    assert result.slots[0].outcome == "selected"
    assert result.slots[0].price_micros == 1_000
    assert ledger_of(engine).spent("c1", 0) == 1_000
    assert engine.campaign_days["c1"].spend == 1_000


def test_without_a_floor_a_sole_bidder_pays_its_bid() -> None:
    engine = make_engine([campaign("c1", cpm=2_500_000)], [creative("a", "c1")])
    assert engine.serve(request("r1"), 1.0, Random(1)).slots[0].price_micros == 2_500


def test_a_bid_under_the_floor_is_not_a_candidate_and_is_counted() -> None:
    campaigns = [campaign("c1", cpm=2_500_000), campaign("c2", cpm=900_000)]
    engine = make_engine(campaigns, [creative("a", "c1"), creative("b", "c2")])
    engine.update_site(floored(engine.site, 1_000_000), 0.0)
    rng = Random(2)
    results = [engine.serve(request(f"r{i}"), 1.0 + i, rng).slots[0] for i in range(20)]
    assert {d.campaign.id for d in results if d.campaign is not None} == {"c1"}
    assert all(d.price_micros == 1_000 for d in results if d.outcome == "selected")
    assert engine.lifetime.below_floor == 20


def test_a_category_floor_applies_to_pages_of_that_category() -> None:
    engine = make_engine([campaign("c1", cpm=2_500_000)], [creative("a", "c1")])
    engine.update_site(floored(engine.site, 0, {"luxury": 3_000_000}), 0.0)
    luxury = engine.serve(request("r1", categories=frozenset({"luxury"})), 1.0, Random(1))
    news = engine.serve(request("r2", categories=frozenset({"news"})), 2.0, Random(1))
    assert luxury.slots[0].outcome == "noCandidates"
    assert news.slots[0].outcome == "selected"
    assert engine.lifetime.below_floor == 1


def test_with_competition_the_winner_pays_at_most_its_bid_and_pacing_learns_the_price() -> None:
    campaigns = [campaign("c1", cpm=2_500_000), campaign("c2", cpm=2_000_000)]
    engine = make_engine(campaigns, [creative("a", "c1"), creative("b", "c2")])
    rng = Random(5)
    paid: dict[str, list[int]] = {"c1": [], "c2": []}
    for i in range(200):
        for d in engine.serve(request(f"r{i}"), 1.0 + i * 0.1, rng).slots:
            if d.campaign is not None:
                paid[d.campaign.id].append(d.price_micros)
    assert all(1 <= p <= 2_500 for p in paid["c1"]) and all(1 <= p <= 2_000 for p in paid["c2"])
    # Second price is below first price on average, and pacing's price is the average paid.
    assert sum(paid["c1"]) < 2_500 * len(paid["c1"])
    average = engine.paid_prices.average("c1")
    assert average is not None and min(paid["c1"]) <= average <= max(paid["c1"])


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(1_000, 10_000_000), min_size=1, max_size=5),
    st.integers(0, 10_000_000),
    st.floats(0.0, 2.0),
    st.integers(0, 2**32 - 1),
)
def test_every_served_price_lies_between_the_floor_and_the_bid(
    cpms: list[int], floor: int, bid_weight: float, seed: int
) -> None:
    campaigns = [campaign(f"c{i}", budget=10**9, cpm=cpm) for i, cpm in enumerate(cpms)]
    creatives = [creative(f"cr{i}", f"c{i}") for i in range(len(cpms))]
    engine = make_engine(campaigns, creatives)
    site = floored(engine.site, floor)
    engine.update_site(
        Site(
            id=site.id,
            publisher_id=site.publisher_id,
            domain=site.domain,
            pacing=site.pacing,
            bid_weight=bid_weight,
            floor_cpm_micros=floor,
        ),
        0.0,
    )
    rng = Random(seed)
    for i in range(30):
        for d in engine.serve(request(f"r{i}"), 1.0 + i, rng).slots:
            if d.campaign is None:
                assert d.outcome == "noCandidates" and all(c < floor for c in cpms)
                continue
            bid = d.campaign.cpm_micros
            assert bid >= floor
            assert max(1, floor // 1000) <= d.price_micros <= bid // 1000


def test_bids_under_the_floor_are_counted_across_a_snapshot() -> None:
    campaigns = [campaign("c1", cpm=2_500_000), campaign("c2", cpm=900_000)]
    creatives = [creative("a", "c1"), creative("b", "c2")]
    engine = make_engine(campaigns, creatives)
    engine.update_site(floored(engine.site, 1_000_000), 0.0)
    rng = Random(2)
    for i in range(3):
        engine.serve(request(f"r{i}"), 1.0 + i, rng)
    restored = make_engine(campaigns, creatives)
    restored.restore(engine.snapshot())
    assert (restored.lifetime.below_floor, restored.today.below_floor) == (3, 3)
