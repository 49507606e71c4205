"""The immutable snapshot a pacing strategy decides on (the seed's PacingContext)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from promovolve.pacing.config import SECONDS_PER_DAY
from promovolve.pacing.shape import TrafficShapeTracker

SECONDS_PER_HOUR = 3600.0
# A ratio when nothing was expected yet but something was spent: clearly over pace.
MAX_SPEND_RATIO = 10.0


@dataclass(frozen=True, slots=True)
class PacingContext:
    """Money in micros; times in epoch seconds. Hours are on the 24-hour day clock."""

    daily_budget: int
    today_spend: int
    day_start: float
    now: float
    request_arrival_rate: float = 0.0
    competing_campaigns: int = 1
    avg_cpm: int = 5_000_000
    day_duration_seconds: int = SECONDS_PER_DAY
    traffic_shape: TrafficShapeTracker | None = None
    request_count: int = 0
    ms_since_last_request: float = 0.0

    @property
    def elapsed_seconds(self) -> float:
        """Real seconds since the day began."""
        return max(0.0, self.now - self.day_start)

    @property
    def day_fraction(self) -> float:
        return min(1.0, self.elapsed_seconds / self.day_duration_seconds)

    @property
    def scaled_elapsed_seconds(self) -> float:
        return self.day_fraction * SECONDS_PER_DAY

    @property
    def elapsed_hours(self) -> float:
        return self.scaled_elapsed_seconds / SECONDS_PER_HOUR

    @property
    def remaining_hours(self) -> float:
        return 24.0 - self.elapsed_hours

    @property
    def expected_spend_fraction(self) -> float:
        """Traffic-shaped when a shape is known, else linear in time."""
        if self.traffic_shape is None:
            return self.day_fraction
        return self.traffic_shape.cumulative_fraction_at(self.scaled_elapsed_seconds)

    @property
    def expected_spend(self) -> float:
        return self.daily_budget * self.expected_spend_fraction

    @property
    def spend_ratio(self) -> float:
        """Actual over expected spend; 1.0 (on pace) before anything was expected or spent."""
        expected = self.expected_spend
        if expected <= 0:
            return 1.0 if self.today_spend <= 0 else MAX_SPEND_RATIO
        return min(self.today_spend / expected, MAX_SPEND_RATIO)

    @property
    def remaining_budget(self) -> int:
        return max(0, self.daily_budget - self.today_spend)

    def relative_volume(self, feedforward_window: float = 0.0) -> float:
        if self.traffic_shape is None:
            return 1.0
        return self.traffic_shape.relative_volume(self.scaled_elapsed_seconds, feedforward_window)

    @property
    def is_exhausted(self) -> bool:
        return self.remaining_budget < math.ceil(self.avg_cpm / 1000)
