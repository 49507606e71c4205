"""In-memory implementations of the hot-state interfaces (the embedded default)."""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from promovolve.domain.ledger import fits_budget
from promovolve.engine.kernels import gather_spent

NO_DAY = -1  # the day of a campaign that has no reservation yet
ROW_LISTS_KEPT = 4_096


class InMemoryBudgetLedger:
    """One process's ledger; atomic because the engine runs on one thread.

    Each campaign has a row in flat arrays (its current day and that day's spend), so a
    whole candidate pool's spend is one compiled gather (`spent_many`), not a dictionary
    lookup per campaign. Rows never move.
    """

    def __init__(self) -> None:
        self._rows: dict[str, int] = {}
        self._days = array("q")
        self._spent = array("q")
        self._reservations: list[dict[str, int]] = []
        # Rows of the id lists asked about (a candidate pool asks with the same one each time).
        self._row_lists: dict[tuple[str, ...], npt.NDArray[np.intp]] = {}

    def _row(self, campaign_id: str) -> int:
        row = self._rows.get(campaign_id)
        if row is None:
            row = self._rows[campaign_id] = len(self._days)
            self._days.append(NO_DAY)
            self._spent.append(0)
            self._reservations.append({})
        return row

    def reserve(
        self, campaign_id: str, day: int, request_id: str, amount: int, budget: int
    ) -> bool:
        row = self._row(campaign_id)
        current = self._days[row]
        if day > current:
            self._start_day(row, day, {})
        elif day < current:
            return False
        reservations = self._reservations[row]
        if request_id in reservations:
            return True
        if not fits_budget(self._spent[row], amount, budget):
            return False
        self._spent[row] += amount
        reservations[request_id] = amount
        return True

    def release(self, campaign_id: str, day: int, request_id: str) -> bool:
        row = self._rows.get(campaign_id)
        if row is None or self._days[row] != day:
            return False
        amount = self._reservations[row].pop(request_id, None)
        if amount is None:
            return False
        self._spent[row] -= amount
        return True

    def spent(self, campaign_id: str, day: int) -> int:
        row = self._rows.get(campaign_id)
        return self._spent[row] if row is not None and self._days[row] == day else 0

    def spent_many(self, campaign_ids: Sequence[str], day: int) -> array[int]:
        key = tuple(campaign_ids)
        rows = self._row_lists.get(key)
        if rows is None:
            if len(self._row_lists) >= ROW_LISTS_KEPT:
                self._row_lists.clear()
            rows = self._row_lists[key] = np.array([self._row(c) for c in key], dtype=np.intp)
        out = array("q", bytes(8 * len(rows)))
        gather_spent(rows, self._days, self._spent, day, out)
        return out

    def load(self, campaign_id: str, day: int, reservations: dict[str, int]) -> None:
        """Rebuild a campaign's day from durable reservations (used at restart)."""
        self._start_day(self._row(campaign_id), day, dict(reservations))

    def _start_day(self, row: int, day: int, reservations: dict[str, int]) -> None:
        self._days[row] = day
        self._spent[row] = sum(reservations.values())
        self._reservations[row] = reservations
