"""Each campaign's recent average price paid: what pacing divides budgets by.

With second pricing a campaign pays less than its bid, so dividing its budget left by its
bid would undercount the impressions it still buys. The average is an exponential moving
average of the prices it paid on any of its sites (the table is the network pace's, one for
every site engine of a process, so every site turns the budget into the same impressions);
before its first win it is the bid (0 in the table).
The serve path reads a pool's averages in the same compiled pass that funds it
(`promovolve.engine.kernels.fund`, with the pool's rows here from `CandidatePool.rows_in`).
"""

from __future__ import annotations

from array import array

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
        row = self._rows.get(campaign_id)
        if row is None:
            row = self.row(campaign_id)
        average = self.averages[row]
        self.averages[row] = (
            price if average == 0.0 else average + RECENT_WEIGHT * (price - average)
        )

    def average(self, campaign_id: str) -> float | None:
        row = self._rows.get(campaign_id)
        return None if row is None or self.averages[row] == 0.0 else self.averages[row]
