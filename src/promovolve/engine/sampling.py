"""Thompson sampling over the creatives of the campaigns that passed the pacing gate.

Each creative draws a CTR from Beta(clicks + 1, impressions − clicks + 1); the highest
CTR × CPM^bidWeight wins. Small pools draw one by one; large pools draw in one
vectorized pass over arrays prepared once per candidate pool (the multipliers and
who owns each creative), several times cheaper for a hundred creatives.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from random import Random

import numpy as np
import numpy.typing as npt

from promovolve.domain.beta import sample_beta as sample_beta  # re-exported for tests
from promovolve.domain.model import Creative
from promovolve.domain.thompson import CreativeStats
from promovolve.engine.gates import Candidate

# Above this many creatives, numpy beats drawing one at a time (measured: with and
# without clicks the crossover lies between 20 and 50 creatives).
VECTOR_POOL_SIZE = 24

_IMPRESSIONS = attrgetter("impressions")
_CLICKS = attrgetter("clicks")
_POSITION = attrgetter("position")
FloatArray = npt.NDArray[np.float64]


class CandidatePool:
    """The candidates of one page context and slot size, flattened to their creatives.

    Built when the engine's candidate cache is (re)built; each candidate's `position` is
    its index here, so any subset the pacing gate passes maps back onto these arrays.
    """

    __slots__ = ("campaign_ids", "candidates", "multipliers", "owners", "pairs", "stats")

    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
        self.campaign_ids = [c.campaign_id for c in candidates]
        self.pairs: list[tuple[Candidate, Creative]] = []
        self.stats: list[CreativeStats] = []
        multipliers: list[float] = []
        owners: list[int] = []
        for position, c in enumerate(candidates):
            c.position = position
            for creative, stats in c.creatives:
                self.pairs.append((c, creative))
                self.stats.append(stats)
                multipliers.append(c.multiplier)
                owners.append(position)
        self.multipliers: FloatArray = np.asarray(multipliers, dtype=np.float64)
        self.owners: npt.NDArray[np.intp] = np.asarray(owners, dtype=np.intp)

    @property
    def creative_count(self) -> int:
        return len(self.pairs)


class ThompsonSampler:
    """Picks a winner; its numpy generator is seeded from the caller's random generator."""

    def __init__(self) -> None:
        self._vector_rng: np.random.Generator | None = None

    def pick(
        self, passed: Sequence[Candidate], rng: Random, pool: CandidatePool | None = None
    ) -> tuple[Candidate, Creative]:
        """The winner among `passed`; `pool` (their candidate pool) enables the fast path."""
        if pool is not None and pool.creative_count > VECTOR_POOL_SIZE:
            return self._pick_vectorized(passed, rng, pool)
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

    def _pick_vectorized(
        self, passed: Sequence[Candidate], rng: Random, pool: CandidatePool
    ) -> tuple[Candidate, Creative]:
        if not passed:
            raise ValueError("no creative to pick from")
        if self._vector_rng is None:
            self._vector_rng = np.random.default_rng(rng.getrandbits(64))
        scores = draw_ctrs(pool.stats, self._vector_rng)
        scores *= pool.multipliers
        if len(passed) < len(pool.candidates):
            admitted = np.zeros(len(pool.candidates), dtype=bool)
            admitted[np.fromiter(map(_POSITION, passed), dtype=np.intp, count=len(passed))] = True
            scores[~admitted[pool.owners]] = -1.0
        return pool.pairs[int(np.argmax(scores))]


def draw_ctrs(stats: Sequence[CreativeStats], generator: np.random.Generator) -> FloatArray:
    """One CTR draw per creative from Beta(clicks + 1, impressions − clicks + 1).

    Exact, as in `sample_beta`: without clicks (a = 1) the inverse CDF 1 − U^(1/b), one
    uniform and one power each; with clicks, the ratio of two gamma variates.
    """
    n = len(stats)
    impressions = np.fromiter(map(_IMPRESSIONS, stats), dtype=np.float64, count=n)
    clicks = np.fromiter(map(_CLICKS, stats), dtype=np.float64, count=n)
    np.minimum(clicks, impressions, out=clicks)
    b = impressions - clicks + 1.0
    ctrs: FloatArray = generator.random(n)
    np.power(ctrs, 1.0 / b, out=ctrs)
    np.subtract(1.0, ctrs, out=ctrs)
    if np.count_nonzero(clicks):
        clicked = np.flatnonzero(clicks)
        x = generator.standard_gamma(clicks[clicked] + 1.0)
        y = generator.standard_gamma(b[clicked])
        ctrs[clicked] = x / (x + y)
    return ctrs
