"""Day boundaries and time of day, for real (UTC) and simulated days.

Times are float seconds since the Unix epoch (UTC). A simulated day of
`day_duration_seconds` < 86400 is mapped onto a full 24-hour clock, so the
traffic shape's hourly buckets stay meaningful.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from promovolve.pacing.config import BUCKETS_PER_DAY, SECONDS_PER_DAY, validate_day_duration

SECONDS_PER_BUCKET = SECONDS_PER_DAY / BUCKETS_PER_DAY
# 1970-01-01 was a Thursday: real day n (since the epoch) is a weekend day when (n + 3) % 7 >= 5.
_EPOCH_WEEKDAY = 3


@dataclass(frozen=True, slots=True)
class DayClock:
    """Real days start at UTC midnight; simulated days every `day_duration_seconds` from `origin`.

    Simulated day 0 (the first) is a Monday, so day n is a weekend day when n % 7 is 5 or 6.
    """

    day_duration_seconds: int = SECONDS_PER_DAY
    origin: float = 0.0

    def __post_init__(self) -> None:
        validate_day_duration(self.day_duration_seconds)

    @property
    def is_simulated(self) -> bool:
        return self.day_duration_seconds < SECONDS_PER_DAY

    @property
    def time_scale(self) -> float:
        """Day-clock seconds per real second (1.0 for real days)."""
        return SECONDS_PER_DAY / self.day_duration_seconds

    def day_index(self, now: float) -> int:
        if self.is_simulated:
            return math.floor((now - self.origin) / self.day_duration_seconds)
        return math.floor(now / SECONDS_PER_DAY)

    def day_start(self, now: float) -> float:
        index = self.day_index(now)
        if self.is_simulated:
            return self.origin + index * self.day_duration_seconds
        return float(index * SECONDS_PER_DAY)

    def elapsed_seconds(self, now: float) -> float:
        """Real seconds since the current day began."""
        return now - self.day_start(now)

    def scaled_elapsed_seconds(self, now: float) -> float:
        """Seconds since the day began on the 24-hour clock (the traffic shape's time axis)."""
        return min(self.elapsed_seconds(now) * self.time_scale, SECONDS_PER_DAY - 1e-9)

    def bucket(self, now: float) -> int:
        return min(int(self.scaled_elapsed_seconds(now) // SECONDS_PER_BUCKET), BUCKETS_PER_DAY - 1)

    def is_weekend(self, now: float) -> bool:
        index = self.day_index(now)
        if self.is_simulated:
            return index % 7 >= 5
        return (index + _EPOCH_WEEKDAY) % 7 >= 5
