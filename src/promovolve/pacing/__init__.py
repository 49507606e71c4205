"""Pacing: the day clock, shape learning, the rate observer and the strategies (stdlib only)."""

from promovolve.pacing.clock import DayClock
from promovolve.pacing.config import (
    BUCKETS_PER_DAY,
    SECONDS_PER_DAY,
    PacingConfig,
    PacingConfigError,
)
from promovolve.pacing.context import PacingContext
from promovolve.pacing.controller import PacingController
from promovolve.pacing.forecast import ForecastPacing
from promovolve.pacing.observer import TrafficObserver
from promovolve.pacing.shape import TrafficShapeTracker
from promovolve.pacing.strategy import FixedThrottlePacing, PacingStrategy, RateAwarePacing

__all__ = [
    "BUCKETS_PER_DAY",
    "SECONDS_PER_DAY",
    "DayClock",
    "FixedThrottlePacing",
    "ForecastPacing",
    "PacingConfig",
    "PacingConfigError",
    "PacingContext",
    "PacingController",
    "PacingStrategy",
    "RateAwarePacing",
    "TrafficObserver",
    "TrafficShapeTracker",
]
