"""Thompson sampling: the winner is an admitted creative, as often as its posterior says."""

from __future__ import annotations

from collections import Counter
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.model import Campaign, Creative
from promovolve.domain.thompson import CreativeStatsTable
from promovolve.engine.candidates import BoolArray, Candidate, CandidatePool
from promovolve.engine.sampling import ThompsonSampler


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
        creatives = tuple(
            (
                Creative(f"c{i}-{k}", campaign.id, "adv", "https://cdn/x.png", "https://l/", 1, 1),
                table.row(f"c{i}-{k}"),
            )
            for k in range(len(creative_stats))
        )
        candidates.append(Candidate(campaign, 1000, multiplier, creatives, position=i))
    return CandidatePool(candidates, table)


def mask(pool: CandidatePool, positions: list[int]) -> BoolArray:
    admitted = np.zeros(len(pool), dtype=bool)
    admitted[positions] = True
    return admitted


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
    sampler = ThompsonSampler()
    for _ in range(5):
        winner, creative = sampler.pick(mask(pool, passed_positions), Random(seed), pool)
        assert winner in passed
        assert creative in [c for c, _ in winner.creatives]
    if len(passed) == len(pool):
        winner, _ = sampler.pick(None, Random(seed), pool)
        assert winner in passed


def test_a_pool_maps_each_creative_to_its_candidate() -> None:
    pool = make_pool([[(0, 0)], [(1, 0), (2, 1)], [(5, 5)]], [1.0, 2.0, 3.0])
    assert [c.position for c in pool.candidates] == [0, 1, 2]
    assert pool.owners.tolist() == [0, 1, 1, 2]
    assert pool.multipliers.tolist() == [1.0, 2.0, 2.0, 3.0]
    assert pool.campaign_ids == ("c0", "c1", "c2")
    assert [pool.table.impressions[r] for r in pool.rows] == [0, 1, 2, 5]
    assert [creative.id for _, creative in pool.pairs] == ["c0-0", "c1-0", "c1-1", "c2-0"]


def posterior_win_share(stats: list[tuple[int, int]], multipliers: list[float], n: int) -> float:
    """How often the first creative wins, from draws of Python's own betavariate."""
    rng = Random(5)
    wins = 0
    for _ in range(n):
        scores = [
            rng.betavariate(clicks + 1, shown - clicks + 1) * m
            for (shown, clicks), m in zip(stats, multipliers, strict=True)
        ]
        wins += scores[0] == max(scores)
    return wins / n


@pytest.mark.parametrize(
    ("stats", "multipliers"),
    [
        ([(1000, 14)] + [(1000, 10)] * 49, [1.0] * 50),  # a better CTR among equals
        ([(0, 0)] + [(500, 3)] * 9, [1.0] * 10),  # a new creative among clicked ones
        ([(200, 2)] + [(0, 0), (50, 1)] * 20, [0.3] + [1.0] * 40),  # a lower bid
    ],
)
def test_each_creative_wins_as_often_as_its_posterior_says(
    stats: list[tuple[int, int]], multipliers: list[float]
) -> None:
    pool = make_pool([[s] for s in stats], multipliers)
    sampler = ThompsonSampler()
    rng = Random(3)
    n = 6000
    wins = Counter(sampler.pick(None, rng, pool)[0].position for _ in range(n))
    expected = posterior_win_share(stats, multipliers, n)
    assert wins[0] / n == pytest.approx(
        expected, abs=4 * (expected * (1 - expected) / n) ** 0.5 + 0.005
    )


def test_an_empty_pass_is_refused() -> None:
    pool = make_pool([[(0, 0)]] * 30, [1.0] * 30)
    with pytest.raises(ValueError, match="no creative"):
        ThompsonSampler().pick(np.zeros(30, dtype=bool), Random(1), pool)


def test_a_seeded_sampler_repeats_its_picks() -> None:
    pool = make_pool([[(0, 0), (100, 2)]] * 20, [1.0] * 20)
    picks = [
        [sampler.pick(None, Random(9), pool)[1].id for _ in range(50)]
        for sampler in (ThompsonSampler(), ThompsonSampler())
    ]
    assert picks[0] == picks[1]
    assert len(set(picks[0])) > 5
