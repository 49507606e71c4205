"""Thompson sampling over creatives: sampled CTR times CPM to the site's bid weight."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass


@dataclass(slots=True)
class CreativeStats:
    """Impressions and clicks of one creative on one site."""

    impressions: int = 0
    clicks: int = 0


def bid_multiplier(cpm_usd: float, bid_weight: float) -> float:
    """Score = sampled CTR × CPM^bidWeight; this is the CPM part."""
    return float(cpm_usd**bid_weight)


class CreativeStatsTable:
    """Impressions and clicks of one site's creatives, a row each in two flat arrays.

    Rows never move or disappear, so a candidate pool keeps its creatives' row numbers and
    sampling reads a whole pool's counts at once (as a buffer) instead of object by object.
    """

    __slots__ = ("_rows", "clicks", "impressions")

    def __init__(self) -> None:
        self._rows: dict[str, int] = {}
        self.impressions = array("q")
        self.clicks = array("q")

    def row(self, creative_id: str) -> int:
        """The creative's row, added (with no impressions) on first use."""
        row = self._rows.get(creative_id)
        if row is None:
            row = self._rows[creative_id] = len(self.impressions)
            self.impressions.append(0)
            self.clicks.append(0)
        return row

    def get(self, creative_id: str) -> CreativeStats | None:
        row = self._rows.get(creative_id)
        return None if row is None else CreativeStats(self.impressions[row], self.clicks[row])

    def items(self) -> Iterator[tuple[str, CreativeStats]]:
        for creative_id, row in self._rows.items():
            yield creative_id, CreativeStats(self.impressions[row], self.clicks[row])

    def record_impression(self, creative_id: str) -> None:
        self.impressions[self.row(creative_id)] += 1

    def record_click(self, creative_id: str) -> None:
        """Counts a click, but never more clicks than impressions."""
        row = self.row(creative_id)
        if self.clicks[row] < self.impressions[row]:
            self.clicks[row] += 1

    def load(self, counts: Mapping[str, tuple[int, int]]) -> None:
        """Replace every count (rows are kept: pools built earlier stay valid)."""
        for row in range(len(self.impressions)):
            self.impressions[row] = self.clicks[row] = 0
        for creative_id, (impressions, clicks) in counts.items():
            row = self.row(creative_id)
            self.impressions[row] = impressions
            self.clicks[row] = min(clicks, impressions)
