"""What one day's hourly request counts say: normalized volumes, the part noise explains,
whether they left a learned shape, and a whole day filled in from a partly observed one."""

from __future__ import annotations

import math
from collections.abc import Sequence

from promovolve.pacing.config import SECONDS_PER_DAY

# Total-variation distance between today's and the learned shape that counts as a change
# of traffic pattern (and at least this many times what Poisson noise alone would give).
SHAPE_CHANGE_DISTANCE = 0.15
SHAPE_CHANGE_NOISE_FACTOR = 4.0
# A bucket observed for less than this share of it (the day's counts began inside it) is
# learnt as unobserved rather than scaled up from a few requests.
MIN_OBSERVED_SHARE = 0.5


def normalized(volumes: Sequence[float]) -> list[float]:
    """Scale to mean 1.0; an all-zero input stays all zero."""
    total = math.fsum(volumes)
    if total <= 0:
        return [0.0] * len(volumes)
    mean = total / len(volumes)
    return [v / mean for v in volumes]


def observed_weights(observed_from: float, bucket_count: int) -> list[float]:
    """Share of each bucket after `observed_from` (24-hour-clock seconds)."""
    width = SECONDS_PER_DAY / bucket_count
    return [min(1.0, max(0.0, (b + 1) - observed_from / width)) for b in range(bucket_count)]


def filled_in(
    counts: Sequence[int], weights: Sequence[float], shape: Sequence[float]
) -> list[float]:
    """A whole day's counts from a partly observed one: each observed bucket's count over
    the share of it observed; unobserved buckets (less than `MIN_OBSERVED_SHARE` seen) at
    `shape`'s proportion to the observed ones (a flat shape: their mean)."""
    if all(w >= 1.0 for w in weights):
        return [float(c) for c in counts]
    observed = [b for b, w in enumerate(weights) if w >= MIN_OBSERVED_SHARE]
    seen = math.fsum(counts[b] / weights[b] for b in observed)
    weight = math.fsum(shape[b] for b in observed)
    level = seen / weight if weight > 0 else seen / max(1, len(observed))
    return [
        counts[b] / w if w >= MIN_OBSERVED_SHARE else level * (shape[b] if weight > 0 else 1.0)
        for b, w in enumerate(weights)
    ]


def denoised(counts: Sequence[float], noisy_buckets: int | None = None) -> list[float]:
    """Normalized counts with the part Poisson noise explains shrunk toward the mean.

    James-Stein shrinkage: with k buckets and n requests a normalized bucket has noise
    variance about k/n, so the spread around the mean is scaled by
    max(0, 1 - (m - 3)·(k/n) / Σ(v - 1)²), m the buckets that carry noise (all k, or only
    the observed ones of a partly observed day, the rest filled in). Flat traffic comes out
    flat; a real peak, whose spread dwarfs the noise, is left as it is.
    """
    values = normalized(counts)
    k, n = len(values), math.fsum(counts)
    m = k if noisy_buckets is None else noisy_buckets
    spread = math.fsum((v - 1.0) ** 2 for v in values)
    if n <= 0 or m <= 3 or spread <= 0:
        return values
    keep = max(0.0, 1.0 - (m - 3) * (k / n) / spread)
    return [1.0 + keep * (v - 1.0) for v in values]


def departs_from_shape(counts: Sequence[int], shape: Sequence[float]) -> bool:
    """True when the counts' proportions differ from the shape's by far more than Poisson noise.

    Both are normalized over the buckets given, so a day that is busier or quieter all
    through does not count as a departure; only a change in where the traffic falls does.
    """
    total = sum(counts)
    weight = math.fsum(shape)
    if total <= 0 or weight <= 0:
        return False
    expected = [total * v / weight for v in shape]
    distance = 0.5 * math.fsum(abs(c - e) for c, e in zip(counts, expected, strict=True)) / total
    # Expected distance from Poisson noise alone: ½ Σ sqrt(2λ/π) / N over the buckets.
    noise = 0.5 * math.fsum(math.sqrt(2 * e / math.pi) for e in expected) / total
    return distance > max(SHAPE_CHANGE_DISTANCE, SHAPE_CHANGE_NOISE_FACTOR * noise)


def coefficient_of_variation(values: Sequence[float]) -> float:
    """Population standard deviation over the mean (0 for an empty or all-zero shape)."""
    if not values:
        return 0.0
    mean = math.fsum(values) / len(values)
    if mean <= 0:
        return 0.0
    variance = math.fsum((v - mean) ** 2 for v in values) / len(values)
    return math.sqrt(variance) / mean
