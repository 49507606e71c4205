"""Thompson sampling: the one-by-one and the vectorized paths pick alike and exactly."""

from __future__ import annotations

from collections import Counter
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.model import Campaign, Creative
from promovolve.domain.thompson import CreativeStatsTable
from promovolve.engine.gates import Candidate
from promovolve.engine.sampling import (
    VECTOR_POOL_SIZE,
    CandidatePool,
    ThompsonSampler,
    draw_ctrs,
)

ONE_BY_ONE = ThompsonSampler(vector_pool_size=10**9)
VECTORIZED = ThompsonSampler(vector_pool_size=0)


def make_pool(stats: list[list[tuple[int, int]]], multipliers: list[float]) -> CandidatePool:
    """One candidate per entry of `stats`, each with creatives of those (impressions, clicks)."""
    table = CreativeStatsTable()
    table.load(
        {
            f"c{i}-{k}": counts
            for i, creatives in enumerate(stats)
            for k, counts in enumerate(creatives)
        }
    )
    candidates = []
    for i, (creative_stats, multiplier) in enumerate(zip(stats, multipliers, strict=True)):
        campaign = Campaign(f"c{i}", "adv", f"c{i}", 10**12, 1_000_000)
        creatives = [
            (
                Creative(f"c{i}-{k}", campaign.id, "adv", "https://cdn/x.png", "https://l/", 1, 1),
                table.row(f"c{i}-{k}"),
            )
            for k in range(len(creative_stats))
        ]
        candidates.append(Candidate(campaign, 1000, multiplier, creatives))
    return CandidatePool(candidates, table)


counts = st.integers(0, 2000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n)))


@settings(max_examples=60, deadline=None)
@given(
    pool_stats=st.lists(st.lists(counts, min_size=1, max_size=4), min_size=1, max_size=40),
    data=st.data(),
    seed=st.integers(0, 2**32),
)
def test_the_winner_is_always_a_creative_of_a_passed_candidate(
    pool_stats: list[list[tuple[int, int]]], data: st.DataObject, seed: int
) -> None:
    multipliers = data.draw(
        st.lists(st.floats(0.01, 100.0), min_size=len(pool_stats), max_size=len(pool_stats))
    )
    pool = make_pool(pool_stats, multipliers)
    passed_positions = data.draw(
        st.sets(st.integers(0, len(pool.candidates) - 1), min_size=1).map(sorted)
    )
    passed = [pool.candidates[p] for p in passed_positions]
    for sampler in (ONE_BY_ONE, VECTORIZED):
        winner, creative = sampler.pick(passed, Random(seed), pool)
        assert winner in passed
        assert creative in [c for c, _ in winner.creatives]


def test_a_pool_maps_each_creative_to_its_candidate() -> None:
    pool = make_pool([[(0, 0)], [(1, 0), (2, 1)], [(5, 5)]], [1.0, 2.0, 3.0])
    assert [c.position for c in pool.candidates] == [0, 1, 2]
    assert pool.owners.tolist() == [0, 1, 1, 2]
    assert pool.multipliers.tolist() == [1.0, 2.0, 2.0, 3.0]
    assert pool.campaign_ids == ["c0", "c1", "c2"]
    assert [pool.table.impressions[r] for r in pool.rows] == [0, 1, 2, 5]
    assert [creative.id for _, creative in pool.pairs] == ["c0-0", "c1-0", "c1-1", "c2-0"]


@pytest.mark.parametrize(("impressions", "clicks"), [(0, 0), (40, 0), (500, 3), (60, 30)])
def test_vectorized_draws_follow_the_beta_posterior(impressions: int, clicks: int) -> None:
    # Beta(a, b) has mean a / (a + b) and variance ab / ((a + b)^2 (a + b + 1)).
    a, b = clicks + 1, impressions - clicks + 1
    n = 20_000
    draws = draw_ctrs(np.full(n, impressions), np.full(n, clicks), np.random.default_rng(7))
    mean = a / (a + b)
    variance = a * b / ((a + b) ** 2 * (a + b + 1))
    assert ((draws >= 0.0) & (draws <= 1.0)).all()
    assert abs(draws.mean() - mean) < 5 * (variance / n) ** 0.5
    assert draws.var() == pytest.approx(variance, rel=0.05)


def test_both_paths_let_the_better_creative_win_about_equally_often() -> None:
    # One strong creative among weak ones: its share of wins is a property of the
    # posterior, so the one-by-one and the vectorized paths must agree on it.
    weak = [(1000, 10)] * 49
    pool = make_pool([[s] for s in [(1000, 14), *weak]], [1.0] * 50)
    assert pool.creative_count > VECTOR_POOL_SIZE
    shares = []
    for sampler in (ONE_BY_ONE, VECTORIZED):
        rng = Random(3)
        picks = (sampler.pick(pool.candidates, rng, pool) for _ in range(4000))
        wins = Counter(winner.position for winner, _ in picks)
        shares.append(wins[0] / 4000)
    assert shares[0] == pytest.approx(shares[1], abs=0.05)
    assert min(shares) > 1 / 50  # better than a uniform pick


def test_an_empty_pass_is_refused() -> None:
    pool = make_pool([[(0, 0)]] * 30, [1.0] * 30)
    for sampler in (ONE_BY_ONE, VECTORIZED):
        with pytest.raises(ValueError, match="no creative"):
            sampler.pick([], Random(1), pool)


def test_a_pool_mixing_creatives_with_and_without_clicks_draws_each_from_its_own() -> None:
    n = 20_000
    impressions = np.array([0, 500] * n)
    clicks = np.array([0, 3] * n)
    draws = draw_ctrs(impressions, clicks, np.random.default_rng(11))
    fresh, clicked = draws[0::2], draws[1::2]
    assert abs(fresh.mean() - 0.5) < 0.01  # Beta(1, 1)
    assert abs(clicked.mean() - 4 / 502) < 0.0005  # Beta(4, 498)
