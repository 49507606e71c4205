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
from promovolve.domain.thompson import CreativeStatsTable
from promovolve.engine.gates import BoolArray, Candidate, IntArray

# Above this many creatives, numpy beats drawing one at a time. In a tight loop the
# crossover lies between 12 and 24 creatives; in the server, where every numpy call costs
# more (measured with the serve benchmark), near 40.
VECTOR_POOL_SIZE = 40

_POSITION = attrgetter("position")
FloatArray = npt.NDArray[np.float64]


class CandidatePool:
    """The candidates of one page context and slot size, flattened to their creatives.

    Built when the engine's candidate cache is (re)built; each candidate's `position` is
    its index here, so any subset the pacing gate passes maps back onto these arrays, and
    each creative's row in the site's statistics table is kept in `rows`.
    """

    __slots__ = (
        "budget_total",
        "budgets",
        "campaign_ids",
        "candidates",
        "cpm_total",
        "cpms",
        "multipliers",
        "owners",
        "pace_rows",
        "pairs",
        "prices",
        "rows",
        "table",
    )

    def __init__(self, candidates: list[Candidate], table: CreativeStatsTable) -> None:
        self.candidates = candidates
        self.table = table
        self.campaign_ids = [c.campaign_id for c in candidates]
        self.budgets: IntArray = np.array([c.budget for c in candidates], dtype=np.int64)
        self.prices: IntArray = np.array([c.price for c in candidates], dtype=np.int64)
        self.cpms: IntArray = np.array([c.cpm for c in candidates], dtype=np.int64)
        self.budget_total = int(self.budgets.sum())
        self.cpm_total = int(self.cpms.sum())
        # Rows of these campaigns in the default gate's pace table, filled on first use.
        self.pace_rows: npt.NDArray[np.intp] | None = None
        self.pairs: list[tuple[Candidate, Creative]] = []
        multipliers: list[float] = []
        owners: list[int] = []
        rows: list[int] = []
        for position, c in enumerate(candidates):
            c.position = position
            for creative, row in c.creatives:
                self.pairs.append((c, creative))
                multipliers.append(c.multiplier)
                owners.append(position)
                rows.append(row)
        self.multipliers: FloatArray = np.asarray(multipliers, dtype=np.float64)
        self.owners: npt.NDArray[np.intp] = np.asarray(owners, dtype=np.intp)
        self.rows: npt.NDArray[np.intp] = np.asarray(rows, dtype=np.intp)

    @property
    def creative_count(self) -> int:
        return len(self.pairs)


class ThompsonSampler:
    """Picks a winner; its numpy generator is seeded from the caller's random generator.

    Pools of more than `vector_pool_size` creatives are drawn with numpy.
    """

    def __init__(self, vector_pool_size: int = VECTOR_POOL_SIZE) -> None:
        self.vector_pool_size = vector_pool_size
        self._vector_rng: np.random.Generator | None = None

    def pick(
        self, passed: Sequence[Candidate], rng: Random, pool: CandidatePool
    ) -> tuple[Candidate, Creative]:
        """The winner among `passed`, which are candidates of `pool`."""
        if pool.creative_count > self.vector_pool_size:
            return self._pick_vectorized(passed, rng, pool)
        impressions, clicks = pool.table.impressions, pool.table.clicks
        best_score = -1.0
        best: tuple[Candidate, Creative] | None = None
        for c in passed:
            multiplier = c.multiplier
            for creative, row in c.creatives:
                shown = impressions[row]
                clicked = min(clicks[row], shown)
                ctr = sample_beta(clicked + 1, shown - clicked + 1, rng)
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
        admitted: BoolArray | None = None
        if len(passed) < len(pool.candidates):
            admitted = np.zeros(len(pool.candidates), dtype=bool)
            admitted[np.fromiter(map(_POSITION, passed), dtype=np.intp, count=len(passed))] = True
        return self.pick_admitted(admitted, rng, pool)

    def pick_admitted(
        self, admitted: BoolArray | None, rng: Random, pool: CandidatePool
    ) -> tuple[Candidate, Creative]:
        """The winner among the pool's candidates where `admitted` is true (all if None)."""
        if self._vector_rng is None:
            self._vector_rng = np.random.default_rng(rng.getrandbits(64))
        impressions = np.frombuffer(pool.table.impressions, dtype=np.int64)[pool.rows]
        clicks = np.frombuffer(pool.table.clicks, dtype=np.int64)[pool.rows]
        scores = draw_ctrs(impressions, clicks, self._vector_rng)
        scores *= pool.multipliers
        if admitted is not None:
            scores[~admitted[pool.owners]] = -1.0
        return pool.pairs[int(np.argmax(scores))]


def draw_ctrs(impressions: IntArray, clicks: IntArray, rng: np.random.Generator) -> FloatArray:
    """One CTR draw per creative from Beta(clicks + 1, impressions − clicks + 1).

    Exact, as in `sample_beta`: without clicks (a = 1) the inverse CDF 1 − U^(1/b), one
    uniform and one power each, far cheaper than a general Beta draw; with clicks, numpy's.
    """
    n = len(impressions)
    with_clicks = int(np.count_nonzero(clicks))
    if not with_clicks:  # usual for new creatives; fewer array operations (runs per request)
        return _inverse_cdf(np.add(impressions, 1.0, dtype=np.float64), rng)
    clicked = np.minimum(clicks, impressions).astype(np.float64)
    b = impressions - clicked + 1.0
    if with_clicks == n:
        ctrs: FloatArray = rng.beta(clicked + 1.0, b)
        return ctrs
    ctrs = _inverse_cdf(b, rng)
    rows = np.flatnonzero(clicked)
    ctrs[rows] = rng.beta(clicked[rows] + 1.0, b[rows])
    return ctrs


def _inverse_cdf(b: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Beta(1, b) draws: 1 − U^(1/b)."""
    ctrs: FloatArray = rng.random(len(b))
    np.power(ctrs, 1.0 / b, out=ctrs)
    np.subtract(1.0, ctrs, out=ctrs)
    return ctrs
