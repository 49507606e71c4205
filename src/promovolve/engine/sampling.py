"""Thompson sampling over the creatives of the campaigns that passed the pacing gate.

Each creative draws a CTR from Beta(clicks + 1, impressions − clicks + 1); the highest
CTR × CPM^bidWeight wins; the winner's sampled CTR and the runner-up's score set its price
(`promovolve.domain.auction`). The draws run in one compiled pass over the pool's arrays (each
creative's statistics row, multiplier and owner): `promovolve.engine.kernels.thompson_pick`.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from promovolve.domain.model import Creative
from promovolve.engine import kernels
from promovolve.engine.candidates import BoolArray, Candidate, CandidatePool
from promovolve.engine.kernels import RandomState, new_random_state


@dataclass(slots=True)
class Win:
    candidate: Candidate
    creative: Creative
    ctr: float  # the winner's sampled CTR
    runner_up: float  # the best score of another candidate; −1 for a sole bidder


class ThompsonSampler:
    """Picks a winner; its random state is seeded once, from the first caller's generator."""

    def __init__(self) -> None:
        self._state: RandomState | None = None
        self._pick = kernels.entry_of(kernels.thompson_pick)

    def pick(
        self, admitted: BoolArray | None, rng: Random, pool: CandidatePool
    ) -> tuple[Candidate, Creative]:
        """The winner among the pool's candidates where `admitted` is true (all if None)."""
        win = self.auction(admitted, rng, pool)
        return win.candidate, win.creative

    def auction(self, admitted: BoolArray | None, rng: Random, pool: CandidatePool) -> Win:
        """The winner, with what its price is computed from."""
        if self._state is None:
            self._state = new_random_state(rng.getrandbits(64))
        table = pool.table
        winner, ctr, runner_up = self._pick(
            table.impressions,
            table.clicks,
            pool.rows,
            pool.multipliers,
            pool.owners,
            pool.everyone if admitted is None else admitted,
            self._state,
        )
        if winner < 0:
            raise ValueError("no creative to pick from")
        candidate, creative = pool.pairs[winner]
        return Win(candidate, creative, ctr, runner_up)
