"""What one live run counted, and what it hands back when it ends."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from promovolve.sim.live.world import SimWorld

# The seed's four serve outcomes, in the order reports show them.
OUTCOMES = ("selected", "pacingSkipped", "budgetExhausted", "noCandidates")


@dataclass(slots=True)
class SimCounters:
    dispatched: int = 0
    requests: int = 0  # answered serve requests
    serve_errors: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    impressions: int = 0
    clicks: int = 0
    beacon_errors: int = 0
    actions: int = 0
    errors: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class SimResult:
    world: SimWorld | None
    counters: SimCounters
    reports: int
    days: int
    elapsed: float
    interrupted: bool
    error: str | None
    test_stats: dict[str, Any] | None = None
    site_stats: dict[str, Any] | None = None
    max_lag: float = 0.0  # seconds the schedule fell behind, at most
    last_ratio: float | None = None  # the last report's spend ratio
    last_learned: list[float] | None = None  # the last learned shape the server reported
    lab_report: dict[str, Any] | None = None  # the lab's JSON report, when asked for
