"""Request arrival rate, smoothed by an exponentially decaying average."""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_TIME_CONSTANT_SECONDS = 10.0


@dataclass(slots=True)
class TrafficObserver:
    """EMA of the request rate with a time (not per-request) constant.

    Each request adds 1/tau to a level that decays as exp(-dt/tau), which is an
    unbiased estimate of a steady Poisson rate whatever the traffic volume.
    """

    time_constant_seconds: float = DEFAULT_TIME_CONSTANT_SECONDS
    _level: float = 0.0
    _last_time: float | None = None
    request_count: int = 0

    def record_request(self, now: float) -> None:
        self._level = self._decayed(now) + 1.0 / self.time_constant_seconds
        # A request stamped earlier than the last one counts, but does not move time back.
        if self._last_time is None or now > self._last_time:
            self._last_time = now
        self.request_count += 1

    def rate(self, now: float) -> float:
        """Smoothed requests per second as seen at `now`."""
        return self._decayed(now)

    @property
    def smoothed_rate(self) -> float:
        return self._level

    @property
    def last_request_time(self) -> float | None:
        return self._last_time

    def seconds_since_last_request(self, now: float) -> float:
        return math.inf if self._last_time is None else max(0.0, now - self._last_time)

    def _decayed(self, now: float) -> float:
        if self._last_time is None:
            return 0.0
        dt = now - self._last_time
        if dt <= 0:
            return self._level
        return self._level * math.exp(-dt / self.time_constant_seconds)
