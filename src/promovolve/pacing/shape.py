"""Learns a site's hourly traffic shape, separately for weekdays and weekends.

Shapes are relative volumes (mean 1.0 over the 24 buckets). Time arguments are
seconds on the 24-hour clock (see DayClock.scaled_elapsed_seconds).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

from promovolve.pacing.config import BUCKETS_PER_DAY, SECONDS_PER_DAY
from promovolve.pacing.day_counts import (
    MIN_OBSERVED_SHARE,
    coefficient_of_variation,
    denoised,
    departs_from_shape,
    filled_in,
    normalized,
    observed_weights,
)

logger = logging.getLogger(__name__)

SEED_INTRADAY_ALPHA = 0.1
SEED_DAY_ALPHA = 0.2
# Configured volumes count as this many days of observation for the adaptive blend,
# so one day's traffic refines an operator's shape without overwriting it.
CONFIGURED_PRIOR_DAYS = 4
# An hour with no request is an outage only where at least this many were expected (a Poisson
# count of that mean is zero less than once in three thousand hours).
OUTAGE_MIN_EXPECTED = 8.0


class TrafficShapeTracker:
    """24 hourly buckets per day type, learned from the requests the site sees.

    - Within a day, at each bucket boundary the finished bucket's count, relative to an
      EMA of bucket counts, is blended in with `alpha` (the seed's intraday update).
    - At rollover, today's counts (normalized to mean 1) are blended in with `day_alpha`.
      With `adaptive_rollover`, the blend weight is max(day_alpha, 1/(days seen + 1)):
      a running mean in the first days (fast convergence from a flat prior) that settles
      to the fixed EMA, so it is no noisier later; and a day type with nothing learned
      starts from the other type's shape instead of flat.
    """

    def __init__(
        self,
        bucket_count: int = BUCKETS_PER_DAY,
        alpha: float = SEED_INTRADAY_ALPHA,
        interpolate_volumes: bool = False,
        day_alpha: float = SEED_DAY_ALPHA,
        adaptive_rollover: bool = False,
    ) -> None:
        if bucket_count <= 0:
            raise ValueError("bucket_count must be positive")
        if not 0.0 <= alpha <= 1.0 or not 0.0 < day_alpha <= 1.0:
            raise ValueError("alpha must be in [0, 1] and day_alpha in (0, 1]")
        self.bucket_count = bucket_count
        self.alpha = alpha
        self.day_alpha = day_alpha
        self.interpolate_volumes = interpolate_volumes
        self.adaptive_rollover = adaptive_rollover
        self.bucket_seconds = SECONDS_PER_DAY / bucket_count
        self.weekday_shape = [1.0] * bucket_count
        self.weekend_shape = [1.0] * bucket_count
        self.weekday_days = 0
        self.weekend_days = 0
        self.is_weekend = False
        self.today_count = [0] * bucket_count
        # 24-hour-clock seconds today's counts began at: 0 for a whole day; later for the
        # first day of a site or process started mid-day, whose earlier hours went unseen.
        self.observed_from = 0.0
        self._current_bucket: int | None = None
        self._requests_in_bucket = 0
        self._ema_bucket_requests: float | None = None
        self._prefix: list[float] | None = None

    @property
    def shape(self) -> list[float]:
        return self.weekend_shape if self.is_weekend else self.weekday_shape

    @property
    def days_learned(self) -> int:
        return self.weekend_days if self.is_weekend else self.weekday_days

    def set_day_type(self, is_weekend: bool) -> None:
        if is_weekend != self.is_weekend:
            self.is_weekend = is_weekend
            self._prefix = None
        if self.adaptive_rollover and self.days_learned == 0:
            # Nothing learned for this day type yet: the other type's shape is a better
            # guess than flat (both share the night trough). The first rollover of this
            # type replaces it entirely (its blend weight is 1).
            other = self.weekday_shape if is_weekend else self.weekend_shape
            other_days = self.weekday_days if is_weekend else self.weekend_days
            if other_days > 0:
                self.shape[:] = other
                self._prefix = None

    def configure(
        self, weekday: Sequence[float] | None, weekend: Sequence[float] | None = None
    ) -> None:
        """Pre-configured volumes; one shape given alone serves both day types."""
        weekday = weekday if weekday is not None else weekend
        weekend = weekend if weekend is not None else weekday
        if weekday is not None:
            self._check_length(weekday)
            self.weekday_shape = normalized(weekday)
            self.weekday_days = max(self.weekday_days, CONFIGURED_PRIOR_DAYS)
        if weekend is not None:
            self._check_length(weekend)
            self.weekend_shape = normalized(weekend)
            self.weekend_days = max(self.weekend_days, CONFIGURED_PRIOR_DAYS)
        self._prefix = None

    def observe_from(self, elapsed_seconds: float) -> None:
        """Today's counts begin at `elapsed_seconds`: the hours before are unseen, not empty."""
        self.observed_from = min(max(0.0, elapsed_seconds), float(SECONDS_PER_DAY))

    def observed_part_before(self, elapsed_seconds: float) -> float:
        """Share of the observed part of today's expected traffic that comes before
        `elapsed_seconds` (the day's whole expected fraction when all of it is observed)."""
        fraction = self.cumulative_fraction_at(elapsed_seconds)
        if self.observed_from <= 0.0:
            return fraction
        start = self.cumulative_fraction_at(self.observed_from)
        if start >= 1.0:
            return 1.0
        return max(0.0, fraction - start) / (1.0 - start)

    def record_request(self, bucket: int) -> None:
        if bucket != self._current_bucket:
            self._close_bucket()
            self._current_bucket = bucket
        self._requests_in_bucket += 1
        self.today_count[bucket] += 1

    def _close_bucket(self) -> None:
        bucket, count = self._current_bucket, self._requests_in_bucket
        self._requests_in_bucket = 0
        if bucket is None or count == 0:
            return
        alpha = self.alpha
        ema = self._ema_bucket_requests
        if ema is None:
            # The first finished bucket seeds the average instead of being compared with 0.
            self._ema_bucket_requests = float(count)
            ema = float(count)
        if alpha > 0:
            shape = self.shape
            observation = count / max(1.0, ema)
            shape[bucket] = alpha * observation + (1 - alpha) * shape[bucket]
            self._ema_bucket_requests = alpha * count + (1 - alpha) * ema
            self._prefix = None

    def rollover_day(self, day_alpha: float | None = None) -> float:
        """Blend today's counts into the active shape and start a new day of counts.

        Answers the share of the day's traffic that fell in its observed part (1.0 for a
        whole day), so the day's total can be told from its count."""
        self._close_bucket()
        self._current_bucket = None
        weights = observed_weights(self.observed_from, self.bucket_count)
        observed = [b for b, w in enumerate(weights) if w >= MIN_OBSERVED_SHARE]
        estimate = filled_in(self.today_count, weights, self.shape)
        observed_share = 1.0
        if sum(self.today_count[b] for b in observed) > 0:
            total = math.fsum(estimate)
            observed_share = (
                math.fsum(w * v for w, v in zip(weights, estimate, strict=True)) / total
            )
            today = (
                denoised(estimate, noisy_buckets=len(observed))
                if self.adaptive_rollover
                else normalized(estimate)
            )
            relearn = self.adaptive_rollover and self.days_learned > 0
            if relearn and departs_from_shape(
                [self.today_count[b] for b in observed], [self.shape[b] for b in observed]
            ):
                # Today's traffic did not follow the learned shape: learn afresh from it.
                logger.debug("Traffic shape change detected, relearning the shape")
                if self.is_weekend:
                    self.weekend_days = 0
                else:
                    self.weekday_days = 0
            weight = self._rollover_weight(day_alpha)
            shape = self.shape
            for i in range(self.bucket_count):
                shape[i] = weight * today[i] + (1 - weight) * shape[i]
            if self.is_weekend:
                self.weekend_days += 1
            else:
                self.weekday_days += 1
        self.today_count = [0] * self.bucket_count
        self.observed_from = 0.0
        self._prefix = None
        return observed_share

    def departed_so_far(self, buckets: int) -> bool:
        """True when today's first `buckets` hours left the learned shape by far more than noise."""
        if buckets <= 1:
            return False
        return departs_from_shape(self.today_count[:buckets], self.shape[:buckets])

    def silent_share_so_far(self, buckets: int, day_total: float) -> float:
        """Share of the day's traffic in today's first `buckets` whole hours that had no
        request although the shape expected at least `OUTAGE_MIN_EXPECTED` of `day_total`
        (an outage: that traffic is lost, not late)."""
        shape = self.shape
        total = sum(shape)
        if total <= 0.0:
            return 0.0
        lost = 0.0
        for bucket in range(min(buckets, self.bucket_count)):
            share = shape[bucket] / total
            if self.today_count[bucket] == 0 and share * day_total >= OUTAGE_MIN_EXPECTED:
                lost += share
        return lost

    @property
    def current_bucket(self) -> int | None:
        return self._current_bucket

    def _rollover_weight(self, day_alpha: float | None) -> float:
        base = self.day_alpha if day_alpha is None else day_alpha
        if not self.adaptive_rollover:
            return base
        return max(base, 1.0 / (self.days_learned + 1))

    def _prefix_sums(self) -> list[float]:
        prefix = self._prefix
        if prefix is None:
            prefix = [0.0]
            for v in self.shape:
                prefix.append(prefix[-1] + v)
            self._prefix = prefix
        return prefix

    def cumulative_fraction_at(self, elapsed_seconds: float) -> float:
        """Share of the day's traffic expected before `elapsed_seconds` (24-hour clock)."""
        prefix = self._prefix if self._prefix is not None else self._prefix_sums()
        total = prefix[-1]
        if elapsed_seconds <= 0:
            return 0.0
        if elapsed_seconds >= SECONDS_PER_DAY:
            return 1.0
        if total <= 0:
            return elapsed_seconds / SECONDS_PER_DAY
        position = elapsed_seconds / self.bucket_seconds
        bucket = int(position)
        fraction = position - bucket
        return (prefix[bucket] + self.shape[bucket] * fraction) / total

    def relative_volume(self, elapsed_seconds: float, feedforward_window: float = 0.0) -> float:
        """Current bucket's volume over the mean, easing into the next bucket near its end."""
        shape = self.shape
        mean = self._prefix_sums()[-1] / self.bucket_count
        if mean <= 0:
            return 1.0
        position = max(0.0, min(elapsed_seconds, SECONDS_PER_DAY - 1e-9)) / self.bucket_seconds
        bucket = int(position)
        into = position - bucket
        current = shape[bucket]
        following = shape[(bucket + 1) % self.bucket_count]
        if self.interpolate_volumes:
            # Smooth peaks: interpolate between bucket centres.
            if into < 0.5:
                previous = shape[(bucket - 1) % self.bucket_count]
                current = previous + (current - previous) * (into + 0.5)
            else:
                current = current + (following - current) * (into - 0.5)
        elif feedforward_window > 0 and into > 1.0 - feedforward_window:
            blend = (into - (1.0 - feedforward_window)) / feedforward_window
            smooth = blend * blend * (3 - 2 * blend)
            current = current + smooth * (following - current)
        return current / mean

    def coefficient_of_variation(self) -> float:
        return coefficient_of_variation(self.shape)

    def snapshot(self) -> dict[str, object]:
        return {
            "weekdayShape": list(self.weekday_shape),
            "weekendShape": list(self.weekend_shape),
            "weekdayDays": self.weekday_days,
            "weekendDays": self.weekend_days,
            "isWeekend": self.is_weekend,
            "todayCount": list(self.today_count),
            "observedFrom": self.observed_from,
            "currentBucket": self._current_bucket,
            "requestsInBucket": self._requests_in_bucket,
            "emaBucketRequests": self._ema_bucket_requests,
        }

    def adopt_learned(self, data: Mapping[str, object]) -> None:
        """Take the learned shapes and day counts of a snapshot (the network's, learnt once
        for every process), keeping today's own counts."""
        weekday, weekend = _floats(data["weekdayShape"]), _floats(data["weekendShape"])
        for values in (weekday, weekend):
            self._check_length(values)
        self.weekday_shape, self.weekend_shape = weekday, weekend
        self.weekday_days = int(_number(data.get("weekdayDays", 0)))
        self.weekend_days = int(_number(data.get("weekendDays", 0)))
        self._prefix = None

    def restore(self, data: Mapping[str, object]) -> None:
        weekday = _floats(data["weekdayShape"])
        weekend = _floats(data["weekendShape"])
        today = [int(v) for v in _floats(data["todayCount"])]
        for values in (weekday, weekend, today):
            self._check_length(values)
        self.weekday_shape, self.weekend_shape, self.today_count = weekday, weekend, today
        self.weekday_days = int(_number(data.get("weekdayDays", 0)))
        self.weekend_days = int(_number(data.get("weekendDays", 0)))
        self.is_weekend = bool(data.get("isWeekend", False))
        self.observed_from = _number(data.get("observedFrom", 0.0))
        bucket = data.get("currentBucket")
        self._current_bucket = None if bucket is None else int(_number(bucket))
        self._requests_in_bucket = int(_number(data.get("requestsInBucket", 0)))
        ema = data.get("emaBucketRequests")
        self._ema_bucket_requests = None if ema is None else _number(ema)
        self._prefix = None

    def _check_length(self, values: Sequence[float]) -> None:
        if len(values) != self.bucket_count:
            raise ValueError(f"expected {self.bucket_count} buckets, got {len(values)}")


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _floats(value: object) -> list[float]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of numbers, got {value!r}")
    return [_number(v) for v in value]
