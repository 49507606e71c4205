"""In-memory implementations of the hot-state interfaces (the embedded default)."""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from promovolve.domain.ledger import DEFAULT_IDEMPOTENCY_WINDOW_SECONDS, fits_budget
from promovolve.engine import kernels

NO_DAY = -1  # the day of a campaign that has no reservation yet
ROW_LISTS_KEPT = 4_096
_ZERO = array("q", [0])

# (campaign row, day) → {request id: amount} for the reservations accepted in one generation.
Accepted = dict[tuple[int, int], dict[str, int]]


class InMemoryBudgetLedger:
    """One process's ledger; atomic because the engine runs on one thread.

    Each campaign has a row in flat arrays (its current day and that day's spend), so a
    whole candidate pool's spend is one compiled gather (`spent_many`), not a dictionary
    lookup per campaign. Rows never move.

    Accepted request ids are kept in two generations, each `window` seconds long: when a
    new generation starts, the one before the current one is dropped. So an id is
    remembered for at least a window and at most two, and memory holds at most two
    windows of traffic whatever the length of the day.
    """

    def __init__(
        self,
        idempotency_window_seconds: float = DEFAULT_IDEMPOTENCY_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not idempotency_window_seconds > 0:
            raise ValueError("the idempotency window must be positive")
        self._window = idempotency_window_seconds
        self._clock = clock
        self._rows: dict[str, int] = {}
        self._days = array("q")
        self._spent = array("q")
        self._current: Accepted = {}
        self._previous: Accepted = {}
        self._origin = clock()
        self._generation = 0
        # Rows of the id lists asked about (a candidate pool asks with the same one each time):
        # by the identity of a tuple (immutable, and kept here so its id is not reused), which
        # spares hashing every id of a large pool per request, and else by the ids.
        self._rows_by_tuple: dict[int, tuple[tuple[str, ...], npt.NDArray[np.intp]]] = {}
        self._row_lists: dict[tuple[str, ...], npt.NDArray[np.intp]] = {}
        self._gather = kernels.entry_of(kernels.gather_spent)

    def _row(self, campaign_id: str) -> int:
        row = self._rows.get(campaign_id)
        if row is None:
            row = self._rows[campaign_id] = len(self._days)
            self._days.append(NO_DAY)
            self._spent.append(0)
        return row

    def _generation_now(self) -> int:
        return math.floor((self._clock() - self._origin) / self._window)

    def _rotate(self, generation: int | None = None) -> None:
        # Generations follow a fixed grid of windows from the start, so an id accepted in
        # generation k goes when generation k + 2 begins: more than one window after it was
        # accepted, and at most two, however rarely the ledger is called.
        if generation is None:
            generation = self._generation_now()
        if generation == self._generation:
            return
        self._previous = self._current if generation == self._generation + 1 else {}
        self._current = {}
        self._generation = generation

    def open(self, campaign_ids: Sequence[str]) -> None:
        """New campaigns start empty here anyway (the Redis ledger needs to be told)."""

    def reserve(
        self,
        campaign_id: str,
        day: int,
        request_id: str,
        amount: int,
        budget: int,
        spent_before: int | None = None,  # one process: its own count is the whole
    ) -> bool:
        # Once per served slot: written out rather than through the helpers below.
        row = self._rows.get(campaign_id)
        if row is None:
            row = self._row(campaign_id)
        days, spent = self._days, self._spent
        current = days[row]
        if day > current:
            days[row] = day
            spent[row] = 0
        elif day < current:
            return False
        generation = math.floor((self._clock() - self._origin) / self._window)
        if generation != self._generation:
            self._rotate(generation)
        key = (row, day)
        accepted = self._current.get(key)
        if accepted is not None and request_id in accepted:
            return True
        earlier = self._previous.get(key)
        if earlier is not None and request_id in earlier:
            return True
        if not fits_budget(spent[row], amount, budget):
            return False
        spent[row] += amount
        if accepted is None:
            accepted = self._current[key] = {}
        accepted[request_id] = amount
        return True

    def release(self, campaign_id: str, day: int, request_id: str) -> bool:
        row = self._rows.get(campaign_id)
        if row is None or self._days[row] != day:
            return False
        self._rotate()
        amount = self._amount((row, day), request_id, pop=True)
        if amount is None:
            return False
        self._spent[row] -= amount
        return True

    def refund(self, campaign_id: str, day: int, amount: int) -> bool:
        row = self._rows.get(campaign_id)
        if row is None or self._days[row] != day or amount <= 0:
            return False
        self._spent[row] = max(0, self._spent[row] - amount)
        return True

    def _amount(self, key: tuple[int, int], request_id: str, pop: bool) -> int | None:
        """The amount of an accepted reservation still remembered (taken out if `pop`)."""
        for generation in (self._current, self._previous):
            accepted = generation.get(key)
            if accepted is not None and request_id in accepted:
                return accepted.pop(request_id) if pop else accepted[request_id]
        return None

    def spent(self, campaign_id: str, day: int) -> int:
        row = self._rows.get(campaign_id)
        return self._spent[row] if row is not None and self._days[row] == day else 0

    def spent_many(self, campaign_ids: Sequence[str], day: int) -> array[int]:
        known = self._rows_by_tuple.get(id(campaign_ids))
        if known is not None and known[0] is campaign_ids:
            rows = known[1]
        else:
            rows = self._rows_of(campaign_ids)
        out = _ZERO * len(rows)  # (repeating a one-element array beats building from bytes)
        self._gather(rows, self._days, self._spent, day, out)
        return out

    def _rows_of(self, campaign_ids: Sequence[str]) -> npt.NDArray[np.intp]:
        key = tuple(campaign_ids)
        rows = self._row_lists.get(key)
        if rows is None:
            if len(self._row_lists) >= ROW_LISTS_KEPT:
                self._row_lists.clear()
            rows = self._row_lists[key] = np.array([self._row(c) for c in key], dtype=np.intp)
        if isinstance(campaign_ids, tuple):
            if len(self._rows_by_tuple) >= ROW_LISTS_KEPT:
                self._rows_by_tuple.clear()
            self._rows_by_tuple[id(campaign_ids)] = (campaign_ids, rows)
        return rows

    def reservations_held(self) -> int:
        """How many accepted request ids are remembered now (bounded by the window)."""
        return sum(len(ids) for g in (self._current, self._previous) for ids in g.values())

    def load(
        self,
        campaign_id: str,
        day: int,
        spent: int,
        recent: Mapping[str, int],
        before: int = 0,  # kept by LifetimeSpend in one process
    ) -> None:
        """Set a campaign's day from durable state at restart: its spend, and the accepted
        request ids of the last window (already counted in `spent`), which stay idempotent."""
        row = self._row(campaign_id)
        self._days[row] = day
        self._spent[row] = spent
        self._rotate()
        if recent:
            self._current.setdefault((row, day), {}).update(recent)
