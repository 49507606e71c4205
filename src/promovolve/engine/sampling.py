"""Thompson sampling over the creatives of the campaigns that passed the pacing gate.

Each creative draws a CTR from Beta(clicks + 1, impressions − clicks + 1); the highest
CTR × CPM^bidWeight wins. Small pools draw one by one; large pools draw in one
vectorized call over arrays prepared once per candidate pool, which is an order of
magnitude cheaper past a dozen creatives.
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

# Above this many creatives, one numpy call beats drawing one at a time.
VECTOR_POOL_SIZE = 12

_IMPRESSIONS = attrgetter("impressions")
_CLICKS = attrgetter("clicks")
_POSITION = attrgetter("position")


class CandidatePool:
    """The candidates of one page context and slot size, flattened to their creatives.

    Built when the engine's candidate cache is (re)built; each candidate's `position` is
    its index here, so any subset the pacing gate passes maps back onto these arrays.
    """

    __slots__ = ("candidates", "multipliers", "owners", "pairs", "stats")

    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
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
        self.multipliers: npt.NDArray[np.float64] = np.asarray(multipliers, dtype=np.float64)
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
        n = pool.creative_count
        impressions = np.fromiter(map(_IMPRESSIONS, pool.stats), dtype=np.float64, count=n)
        clicks = np.fromiter(map(_CLICKS, pool.stats), dtype=np.float64, count=n)
        np.minimum(clicks, impressions, out=clicks)
        scores = self._vector_rng.beta(clicks + 1.0, impressions - clicks + 1.0)
        scores *= pool.multipliers
        if len(passed) < len(pool.candidates):
            admitted = np.zeros(len(pool.candidates), dtype=bool)
            admitted[np.fromiter(map(_POSITION, passed), dtype=np.intp, count=len(passed))] = True
            scores[~admitted[pool.owners]] = -1.0
        return pool.pairs[int(np.argmax(scores))]
