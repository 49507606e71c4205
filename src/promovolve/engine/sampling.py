"""Thompson sampling over the creatives of the campaigns that passed the pacing gate.

Each creative draws a CTR from Beta(clicks + 1, impressions − clicks + 1); the highest
CTR × CPM^bidWeight wins. Small pools draw one by one; large pools draw in one
vectorized call, which is an order of magnitude cheaper past a dozen creatives.
"""

from __future__ import annotations

from random import Random

import numpy as np

from promovolve.domain.beta import sample_beta as sample_beta  # re-exported for tests
from promovolve.domain.model import Creative
from promovolve.engine.gates import Candidate

# Above this many creatives, one numpy call beats drawing one at a time.
VECTOR_POOL_SIZE = 12


class ThompsonSampler:
    """Picks a winner; its numpy generator is seeded from the caller's random generator."""

    def __init__(self) -> None:
        self._vector_rng: np.random.Generator | None = None

    def pick(self, passed: list[Candidate], rng: Random) -> tuple[Candidate, Creative]:
        if sum(len(c.creatives) for c in passed) > VECTOR_POOL_SIZE:
            return self._pick_vectorized(passed, rng)
        best_score = -1.0
        best: tuple[Candidate, Creative] | None = None
        for c in passed:
            multiplier = c.multiplier
            for creative, stats in c.creatives:
                clicks = min(stats.clicks, stats.impressions)
                ctr = sample_beta(clicks + 1, stats.impressions - clicks + 1, rng)
                if ctr * multiplier > best_score:
                    best_score = ctr * multiplier
                    best = (c, creative)
        if best is None:
            raise ValueError("no creative to pick from")
        return best

    def _pick_vectorized(self, passed: list[Candidate], rng: Random) -> tuple[Candidate, Creative]:
        if self._vector_rng is None:
            self._vector_rng = np.random.default_rng(rng.getrandbits(64))
        alphas: list[int] = []
        betas: list[int] = []
        multipliers: list[float] = []
        owners: list[tuple[Candidate, Creative]] = []
        for c in passed:
            for creative, stats in c.creatives:
                clicks = min(stats.clicks, stats.impressions)
                alphas.append(clicks + 1)
                betas.append(stats.impressions - clicks + 1)
                multipliers.append(c.multiplier)
                owners.append((c, creative))
        scores = self._vector_rng.beta(alphas, betas) * np.asarray(multipliers)
        return owners[int(np.argmax(scores))]
