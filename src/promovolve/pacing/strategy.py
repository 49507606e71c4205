"""Site-level pacing strategies: the seed's PacingStrategy interface and its implementations."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random
from typing import Protocol

from promovolve.pacing.context import PacingContext
from promovolve.pacing.day_counts import coefficient_of_variation
from promovolve.pacing.shape import TrafficShapeTracker

logger = logging.getLogger(__name__)

MIN_GRACE_SECONDS = 10.0
MIN_GRACE_REQUESTS = 50
BASE_STALE_RATE_THRESHOLD_MS = 30000.0
MIN_STALE_RATE_THRESHOLD_MS = 1000.0
DEFAULT_KP = 0.5
DEFAULT_KI = 0.3
OVERPACE_GAIN_FACTOR = 2.0
# The seed leaves the integral unbounded; a bound keeps it from winding up during long
# stretches where the throttle is already saturated at 0 or 1.
MAX_INTEGRAL = 2.0

# Coefficient of variation → (Kp, Ki, feedforward window), interpolated between rows.
VOLATILITY_GAINS: tuple[tuple[float, float, float, float], ...] = (
    (0.0, 0.3, 0.2, 0.2),
    (0.5, 0.5, 0.3, 0.1),
    (1.0, 0.8, 0.5, 0.0),
    (1.5, 1.0, 0.6, 0.0),
)


class PacingStrategy(Protocol):
    """Decides, before Thompson sampling, whether a request may be served."""

    @property
    def name(self) -> str: ...

    def should_serve(self, ctx: PacingContext, rng: Random) -> bool: ...

    def throttle_probability(self, ctx: PacingContext) -> float: ...

    def reset(self) -> None: ...


def clamp01(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


def stale_threshold_ms(day_duration_seconds: int) -> float:
    """How long without a request before the observed rate is no longer trusted."""
    scaled = BASE_STALE_RATE_THRESHOLD_MS * day_duration_seconds / 86400
    return max(MIN_STALE_RATE_THRESHOLD_MS, scaled)


def in_grace_period(ctx: PacingContext) -> bool:
    """Hybrid grace: 10 s AND 50 requests must have passed, and the rate must not be stale."""
    initial_grace_complete = (
        ctx.elapsed_seconds >= MIN_GRACE_SECONDS and ctx.request_count >= MIN_GRACE_REQUESTS
    )
    rate_is_stale = ctx.ms_since_last_request > stale_threshold_ms(ctx.day_duration_seconds)
    return not initial_grace_complete or rate_is_stale


@dataclass(slots=True)
class FixedThrottlePacing:
    """Skips a fixed share of requests (the site's testThrottleOverride)."""

    throttle: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.throttle <= 1.0:
            raise ValueError("throttle must be between 0 and 1")

    @property
    def name(self) -> str:
        return f"fixed:{self.throttle:g}"

    def throttle_probability(self, ctx: PacingContext) -> float:
        return self.throttle

    def should_serve(self, ctx: PacingContext, rng: Random) -> bool:
        return rng.random() >= self.throttle

    def reset(self) -> None:
        return None


class RateAwarePacing:
    """The seed's PI controller on the traffic-shaped spend ratio.

    throttle = baseThrottle − gain·(Kp·error + Ki·integral), error = 1 − spendRatio,
    baseThrottle = 1 − targetImpsPerSec / observedRate with the target scaled by the
    current hour's relative volume. Gains double when over-pacing. The integral
    accumulates once per call, outside the grace period only.
    """

    def __init__(
        self,
        kp: float = DEFAULT_KP,
        ki: float = DEFAULT_KI,
        feedforward_window: float = 0.0,
        label: str = "rate-aware",
    ) -> None:
        self.kp = kp
        self.ki = ki
        self.feedforward_window = feedforward_window
        self.integral = 0.0
        self._label = label
        self._was_in_grace = True

    @property
    def name(self) -> str:
        return self._label

    def reset(self) -> None:
        self.integral = 0.0
        self._was_in_grace = True

    def base_throttle(self, ctx: PacingContext) -> float:
        rate = ctx.request_arrival_rate
        price = ctx.avg_cpm / 1000
        if rate <= 0 or price <= 0:
            return 0.0
        target_imps_per_sec = (
            ctx.daily_budget / price / ctx.day_duration_seconds
        ) * ctx.relative_volume(self.feedforward_window)
        return clamp01(1.0 - target_imps_per_sec / rate)

    def throttle_probability(self, ctx: PacingContext) -> float:
        base = self.base_throttle(ctx)
        if in_grace_period(ctx):
            self._was_in_grace = True
            return base
        if self._was_in_grace:
            self._was_in_grace = False
            logger.debug(
                "Grace period ended: %d requests after %.1fs",
                ctx.request_count,
                ctx.elapsed_seconds,
            )
        spend_ratio = ctx.spend_ratio
        error = 1.0 - spend_ratio
        gain = OVERPACE_GAIN_FACTOR if spend_ratio > 1.0 else 1.0
        self.integral = max(-MAX_INTEGRAL, min(MAX_INTEGRAL, self.integral + error))
        adjustment = gain * (self.kp * error + self.ki * self.integral)
        return clamp01(base - adjustment)

    def should_serve(self, ctx: PacingContext, rng: Random) -> bool:
        return rng.random() >= self.throttle_probability(ctx)


def gains_for_volatility(cv: float) -> tuple[float, float, float]:
    """(Kp, Ki, feedforward window) for a shape's coefficient of variation."""
    rows = VOLATILITY_GAINS
    if cv <= rows[0][0]:
        return rows[0][1:]
    for (c0, kp0, ki0, ff0), (c1, kp1, ki1, ff1) in itertools.pairwise(rows):
        if cv <= c1:
            w = (cv - c0) / (c1 - c0)
            return (kp0 + w * (kp1 - kp0), ki0 + w * (ki1 - ki0), ff0 + w * (ff1 - ff0))
    return rows[-1][1:]


def for_shape(tracker: TrafficShapeTracker) -> RateAwarePacing:
    """RateAwarePacing tuned to the tracker's current shape volatility."""
    return for_shape_volumes(tracker.shape)


def for_shape_volumes(volumes: Sequence[float]) -> RateAwarePacing:
    kp, ki, feedforward = gains_for_volatility(coefficient_of_variation(volumes))
    return RateAwarePacing(kp=kp, ki=ki, feedforward_window=feedforward)
