"""The fast Beta sampler draws from the same distribution as random.betavariate."""

from __future__ import annotations

import statistics
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.beta import sample_beta


def ks_distance(xs: list[float], ys: list[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic."""
    xs, ys = sorted(xs), sorted(ys)
    i = j = 0
    distance = 0.0
    while i < len(xs) and j < len(ys):
        if xs[i] <= ys[j]:
            i += 1
        else:
            j += 1
        distance = max(distance, abs(i / len(xs) - j / len(ys)))
    return distance


@pytest.mark.parametrize(
    ("a", "b"), [(1, 500), (40, 1), (51, 951), (3, 200), (200, 3), (2.0, 2.0), (1.5, 7.0)]
)
def test_matches_betavariate_and_the_moments(a: float, b: float) -> None:
    rng = Random(42)
    n = 20_000
    ours = [sample_beta(a, b, rng) for _ in range(n)]
    reference = [rng.betavariate(a, b) for _ in range(n)]
    # 1.63 * sqrt(2/n) is the 1% critical value of the two-sample KS test.
    assert ks_distance(ours, reference) < 1.63 * (2 / n) ** 0.5
    mean = a / (a + b)
    variance = a * b / ((a + b) ** 2 * (a + b + 1))
    assert statistics.fmean(ours) == pytest.approx(mean, abs=4 * (variance / n) ** 0.5)
    assert statistics.pvariance(ours) == pytest.approx(variance, rel=0.05)


@settings(max_examples=200, deadline=None)
@given(
    a=st.floats(min_value=0.2, max_value=1e6),
    b=st.floats(min_value=0.2, max_value=1e6),
    seed=st.integers(0, 2**32),
)
def test_always_a_probability(a: float, b: float, seed: int) -> None:
    assert 0.0 <= sample_beta(a, b, Random(seed)) <= 1.0
