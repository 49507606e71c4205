"""Thompson sampling over the creatives of the campaigns that passed the pacing gate.

Each creative draws a CTR from Beta(clicks + 1, impressions − clicks + 1); the highest
CTR × CPM^bidWeight wins. The draws run in one compiled pass over arrays prepared once per
candidate pool (each creative's statistics row, multiplier and owner):
`promovolve.engine.kernels.thompson_pick`.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from random import Random

import numpy as np
import numpy.typing as npt

from promovolve.domain.model import Creative
from promovolve.domain.thompson import CreativeStatsTable
from promovolve.engine.gates import BoolArray, Candidate, IntArray
from promovolve.engine.kernels import RandomState, new_random_state, thompson_pick

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
        "everyone",
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
        self.everyone: BoolArray = np.ones(len(candidates), dtype=bool)


class ThompsonSampler:
    """Picks a winner; its random state is seeded once, from the first caller's generator."""

    def __init__(self) -> None:
        self._state: RandomState | None = None

    def pick(
        self, passed: Sequence[Candidate], rng: Random, pool: CandidatePool
    ) -> tuple[Candidate, Creative]:
        """The winner among `passed`, which are candidates of `pool`."""
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
        if self._state is None:
            self._state = new_random_state(rng.getrandbits(64))
        winner = thompson_pick(
            pool.table.impressions,
            pool.table.clicks,
            pool.rows,
            pool.multipliers,
            pool.owners,
            pool.everyone if admitted is None else admitted,
            self._state,
        )
        if winner < 0:
            raise ValueError("no creative to pick from")
        return pool.pairs[winner]
