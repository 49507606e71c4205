"""Each campaign's recent average price paid on a site: what pacing divides budgets by.

With second pricing a campaign pays less than its bid, so dividing its budget left by its
bid would undercount the impressions it still buys. The average is an exponential moving
average of the prices it paid here; before its first win it is the bid (0 in the table).
"""

from __future__ import annotations

from array import array

import numpy as np

from promovolve.engine.candidates import CandidatePool, IntArray
from promovolve.engine.kernels import expected_prices

RECENT_WEIGHT = 0.05  # about the last twenty wins


class PaidPrices:
    __slots__ = ("_rows", "averages")

    def __init__(self) -> None:
        self._rows: dict[str, int] = {}
        self.averages = array("d")

    def row(self, campaign_id: str) -> int:
        row = self._rows.get(campaign_id)
        if row is None:
            row = self._rows[campaign_id] = len(self.averages)
            self.averages.append(0.0)
        return row

    def record(self, campaign_id: str, price: int) -> None:
        row = self.row(campaign_id)
        average = self.averages[row]
        self.averages[row] = (
            price if average == 0.0 else average + RECENT_WEIGHT * (price - average)
        )

    def average(self, campaign_id: str) -> float | None:
        row = self._rows.get(campaign_id)
        return None if row is None or self.averages[row] == 0.0 else self.averages[row]

    def of_pool(self, pool: CandidatePool) -> IntArray:
        """The price each candidate of the pool is expected to pay."""
        out: IntArray = np.empty(len(pool), dtype=np.int64)
        expected_prices(pool.rows_in(self), self.averages, pool.prices, out)
        return out
