"""A site's day clock and pacing controller, built the one way every engine, the lab's
replays and the tests build them."""

from __future__ import annotations

from promovolve.pacing.clock import DayClock
from promovolve.pacing.config import SECONDS_PER_DAY
from promovolve.pacing.controller import PacingController
from promovolve.pacing.observer import TrafficObserver
from promovolve.pacing.shape import TrafficShapeTracker

# The request-rate observer's time constant on a 24-hour day (scaled with shorter days).
OBSERVER_TIME_CONSTANT_SECONDS = 10.0


def observer_for(day_duration_seconds: int) -> TrafficObserver:
    scaled = OBSERVER_TIME_CONSTANT_SECONDS * day_duration_seconds / SECONDS_PER_DAY
    return TrafficObserver(time_constant_seconds=max(1.0, scaled))


def pacing_controller(
    tracker: TrafficShapeTracker, day_duration_seconds: int, origin: float = 0.0
) -> PacingController:
    """A controller on days of `day_duration_seconds` counted from `origin`."""
    clock = DayClock(day_duration_seconds, origin)
    return PacingController(clock, tracker, observer_for(day_duration_seconds))
