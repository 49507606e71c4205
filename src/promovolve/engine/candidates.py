"""The campaigns that may fill a slot, flattened to arrays once per page context and size.

A pool is built when the site engine's candidate cache is (re)built and then only read:
nothing a request computes (budgets left, gate verdicts) is kept on it. It owns scratch
buffers that the request being decided fills before it reads them (a fresh numpy array per
step cost more than the step on a small pool), so nothing left in them is ever read by the
next request. Gates that keep per-campaign rows in tables of their own look them up through
`rows_in`, keyed by the table, so a gate replaced mid-day gets rows of its own table, never
another's.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

import numpy as np
import numpy.typing as npt

from promovolve.domain.model import Campaign, Creative, DeliveryMode
from promovolve.domain.thompson import CreativeStatsTable

IntArray = npt.NDArray[np.int64]
IndexArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
# The flat tables the engine keeps (stdlib arrays), passed to compiled code as they are.
IntTable: TypeAlias = "array[int]"
FloatTable: TypeAlias = "array[float]"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A campaign that may fill the slot, with its approved creatives that fit it.

    `multiplier` is CPM^bidWeight; each creative comes with its row in the site's Thompson
    statistics; `position` is the candidate's index in its pool; `todays_budget` is what it
    may spend today when that is not its daily budget (a lifetime budget spread over the
    flight), and `spent_before` the spend before today that it was worked out from.
    """

    campaign: Campaign
    price: int
    multiplier: float
    creatives: tuple[tuple[Creative, int], ...]
    position: int = 0
    todays_budget: int | None = None
    spent_before: int | None = None
    campaign_id: str = field(init=False)
    budget: int = field(init=False)
    cpm: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "campaign_id", self.campaign.id)
        budget = self.todays_budget
        if budget is None:
            budget = self.campaign.daily_budget_micros
        object.__setattr__(self, "budget", budget)
        object.__setattr__(self, "cpm", self.campaign.cpm_micros)


class RowTable(Protocol):
    """A table with one row per campaign id, rows never moving once handed out."""

    def row(self, campaign_id: str) -> int: ...


class CandidatePool:
    """The candidates of one page context and slot size, and their creatives, as arrays."""

    __slots__ = (
        "_rows_by_table",
        "admitted",
        "asap",
        "asap_count",
        "below_floor",
        "budget_total",
        "budgets",
        "campaign_ids",
        "candidates",
        "cpm_total",
        "cpms",
        "everyone",
        "expected",
        "flighted",
        "floor",
        "funded",
        "multipliers",
        "owners",
        "pairs",
        "position_of",
        "prices",
        "remaining",
        "rows",
        "size",
        "table",
    )

    def __init__(
        self,
        candidates: list[Candidate],
        table: CreativeStatsTable,
        floor: int = 0,
        below_floor: int = 0,
    ) -> None:
        """`floor` is the page's floor CPM (micros, 0: none); `below_floor` counts the
        campaigns left out because they bid under it."""
        self.candidates = candidates
        self.table = table
        self.floor = floor
        self.below_floor = below_floor
        self.size = len(candidates)
        # A tuple: a ledger may key what it caches for the pool on it, and it never changes.
        self.campaign_ids = tuple(c.campaign_id for c in candidates)
        self.position_of = {cid: i for i, cid in enumerate(self.campaign_ids)}
        self.budgets: IntArray = np.array([c.budget for c in candidates], dtype=np.int64)
        self.prices: IntArray = np.array([c.price for c in candidates], dtype=np.int64)
        self.cpms: IntArray = np.array([c.cpm for c in candidates], dtype=np.int64)
        self.budget_total = int(self.budgets.sum())
        self.cpm_total = int(self.cpms.sum())
        self.pairs: list[tuple[Candidate, Creative]] = []
        multipliers: list[float] = []
        owners: list[int] = []
        rows: list[int] = []
        for c in candidates:
            for creative, row in c.creatives:
                self.pairs.append((c, creative))
                multipliers.append(c.multiplier)
                owners.append(c.position)
                rows.append(row)
        self.multipliers: FloatArray = np.asarray(multipliers, dtype=np.float64)
        self.owners: IndexArray = np.asarray(owners, dtype=np.intp)
        self.rows: IndexArray = np.asarray(rows, dtype=np.intp)
        self.everyone: BoolArray = np.ones(len(candidates), dtype=bool)
        # Campaigns delivered as soon as possible skip the pacing gate.
        self.asap: BoolArray = np.array(
            [c.campaign.delivery is DeliveryMode.ASAP for c in candidates], dtype=bool
        )
        self.asap_count = int(self.asap.sum())
        # Positions of the candidates with a flight, checked against the clock per request.
        self.flighted = [
            c.position
            for c in candidates
            if c.campaign.flight_start is not None or c.campaign.flight_end is not None
        ]
        self._rows_by_table: dict[int, tuple[RowTable, IndexArray]] = {}
        # Scratch of the request being decided (see the module's docstring).
        self.remaining: IntArray = np.zeros(self.size, dtype=np.int64)
        self.funded: BoolArray = np.zeros(self.size, dtype=bool)
        self.expected: IntArray = np.zeros(self.size, dtype=np.int64)
        self.admitted: BoolArray = np.zeros(self.size, dtype=bool)

    def __len__(self) -> int:
        return self.size

    def rows_in(self, table: RowTable) -> IndexArray:
        """Each candidate's row in `table`, looked up once per table."""
        cached = self._rows_by_table.get(id(table))
        # The table is kept with its rows, so its id cannot be reused while cached.
        if cached is not None and cached[0] is table:
            return cached[1]
        rows: IndexArray = np.array([table.row(cid) for cid in self.campaign_ids], dtype=np.intp)
        self._rows_by_table[id(table)] = (table, rows)
        return rows


@dataclass(slots=True)
class PoolFunding:
    """A pool's budgets for one request: what each candidate has left and who can pay.

    Candidates already used on the page are not funded (one campaign per page). The arrays
    are the pool's scratch, valid until the next request is decided. (Not frozen: a frozen
    dataclass costs four times as much to build, once per slot.)
    """

    remaining: IntArray
    funded: BoolArray
    count: int  # funded candidates
    remaining_total: int  # left to the funded candidates together
    prices: IntArray  # what each candidate is expected to pay per impression (pacing's price)
