"""Invalid serves counted per site, day and reason: the protocol, and its in-memory
implementation (one process). `promovolve.network.invalid_counts` keeps them in Redis, so
that every process adds to, and reads, the network's counts."""

from __future__ import annotations

from typing import Protocol

from promovolve.domain.traffic import SERVE_REASONS


class InvalidServeCounts(Protocol):
    def add(self, site_id: str, day: int, reason: str) -> None: ...

    def of(self, site_id: str, day: int) -> dict[str, int]:
        """The day's counts of a site, every serve reason listed."""
        ...


class InMemoryInvalidServeCounts:
    def __init__(self) -> None:
        # site → (its latest day, reason → count): older days are dropped as a new one starts.
        self._counts: dict[str, tuple[int, dict[str, int]]] = {}

    def add(self, site_id: str, day: int, reason: str) -> None:
        current = self._counts.get(site_id)
        if current is None or current[0] < day:
            current = self._counts[site_id] = (day, dict.fromkeys(SERVE_REASONS, 0))
        elif current[0] > day:
            return  # a day already over
        current[1][reason] = current[1].get(reason, 0) + 1

    def of(self, site_id: str, day: int) -> dict[str, int]:
        current = self._counts.get(site_id)
        counts = current[1] if current is not None and current[0] == day else {}
        return {str(r): counts.get(r, 0) for r in SERVE_REASONS}
