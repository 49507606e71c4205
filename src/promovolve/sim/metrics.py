"""Pacing-lab metrics (PACING_LAB.md, "Metrics"): pure functions over numbers.

The lab feeds these with cumulative values at the 24 checkpoints t_h = h·T/24, h = 1..24;
the last checkpoint is the end of the day, so it holds the day's totals.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LEVELS = 7  # quantized levels are 0..7, one per sparkline character
CHECKPOINTS = 24
SparkChars = "▁▂▃▄▅▆▇█"


def quantize_shape(values: Sequence[float]) -> list[int]:
    """Levels 0..7 by round-half-up of 7·v/max(v); all-zero (or empty max) gives all 0."""
    top = max(values, default=0.0)
    if top <= 0.0:
        return [0] * len(values)
    # round() would round half to even (3.5 → 4 but 2.5 → 2); the contract rounds half up.
    return [min(LEVELS, max(0, math.floor(LEVELS * v / top + 0.5))) for v in values]


@dataclass(frozen=True, slots=True)
class ShapeMetrics:
    matches: int  # buckets whose levels are equal (0..24)
    within_one: int  # buckets whose levels differ by at most one
    error: float  # total variation between the normalized level vectors, 0..1


def shape_metrics(learned: Sequence[float], actual: Sequence[float]) -> ShapeMetrics:
    """Compare a learned traffic shape to the configured one on quantized levels."""
    if len(learned) != len(actual):
        raise ValueError(f"shapes differ in length: {len(learned)} vs {len(actual)}")
    lev_l = quantize_shape(learned)
    lev_a = quantize_shape(actual)
    matches = sum(1 for x, y in zip(lev_l, lev_a, strict=True) if x == y)
    within_one = sum(1 for x, y in zip(lev_l, lev_a, strict=True) if abs(x - y) <= 1)
    sum_l, sum_a = sum(lev_l), sum(lev_a)
    if sum_l == 0 and sum_a == 0:
        error = 0.0  # two empty shapes agree
    elif sum_l == 0 or sum_a == 0:
        error = 1.0  # an empty shape shares no mass with a non-empty one
    else:
        error = 0.5 * sum(abs(x / sum_l - y / sum_a) for x, y in zip(lev_l, lev_a, strict=True))
    return ShapeMetrics(matches=matches, within_one=within_one, error=error)


@dataclass(frozen=True, slots=True)
class CampaignDayMetrics:
    utilization: float
    overspend: float
    pacing_error: float
    rms_pacing_error: float
    exhausted_at: float | None


def traffic_fractions(requests_at_checkpoints: Sequence[int]) -> list[float]:
    """F(t_h): the realized traffic CDF; a day without requests has F = 0 everywhere."""
    total = requests_at_checkpoints[-1]
    if total <= 0:
        return [0.0] * len(requests_at_checkpoints)
    return [r / total for r in requests_at_checkpoints]


def campaign_day_metrics(
    budget_micros: int,
    spend_at_checkpoints: Sequence[int],
    requests_at_checkpoints: Sequence[int],
    exhausted_at: float | None,
) -> CampaignDayMetrics:
    """Utilization, overspend and pacing error of one campaign on one day.

    The pacing error compares the spend CDF with the traffic CDF; with no spend it is 0 (there
    is no curve to compare). With spend but no requests (which a real run cannot produce) F is
    0, so the error is the spend CDF itself, reaching 1.
    """
    if budget_micros <= 0:
        raise ValueError(f"budget_micros must be positive, got {budget_micros}")
    if len(spend_at_checkpoints) != CHECKPOINTS or len(requests_at_checkpoints) != CHECKPOINTS:
        raise ValueError(
            f"need {CHECKPOINTS} checkpoints, got {len(spend_at_checkpoints)} spend and "
            f"{len(requests_at_checkpoints)} request values"
        )
    total = spend_at_checkpoints[-1]
    utilization = total / budget_micros
    overspend = max(0, total - budget_micros) / budget_micros
    if total <= 0:
        return CampaignDayMetrics(utilization, overspend, 0.0, 0.0, exhausted_at)
    traffic = traffic_fractions(requests_at_checkpoints)
    diffs = [abs(s / total - f) for s, f in zip(spend_at_checkpoints, traffic, strict=True)]
    return CampaignDayMetrics(
        utilization=utilization,
        overspend=overspend,
        pacing_error=max(diffs),
        rms_pacing_error=math.sqrt(sum(d * d for d in diffs) / len(diffs)),
        exhausted_at=exhausted_at,
    )


def revenue_per_mille(revenue_micros: int, requests: int) -> float:
    """Publisher revenue per thousand requests, USD (0 without requests)."""
    return 0.0 if requests <= 0 else revenue_micros * 1000 / requests / 1_000_000


def revenue_summary(days: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The publishers' figures over every day: total revenue and per thousand requests."""
    revenue_micros = sum(round(float(d.get("revenue", 0.0)) * 1_000_000) for d in days)
    requests = sum(int(d.get("requests", 0)) for d in days)
    return {
        "revenue": revenue_micros / 1_000_000,
        "revenuePerThousandRequests": round(revenue_per_mille(revenue_micros, requests), 6),
    }


def sparkline(values: Sequence[float]) -> str:
    """One character per value, by the same 0..7 levels as the shape metrics.

    Using the quantized levels means two buckets "match" exactly when their characters do.
    """
    return "".join(SparkChars[level] for level in quantize_shape(values))


# ---------------------------------------------------------------------------------------
# The JSON summary block


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def day_shape_matches(day: Mapping[str, Any]) -> int | None:
    """The day's shapeMatches; of a network day, its worst site's."""
    sites = day.get("sites")
    if isinstance(sites, list):
        found = [int(s["shapeMatches"]) for s in sites if s.get("shapeMatches") is not None]
        return min(found, default=None)
    value = day.get("shapeMatches")
    return None if value is None else int(value)


def summarize(days: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``summary`` block of the lab's JSON from its ``days`` list.

    Pacing figures cover eligible campaign-days only: day 2 on (day 1 starts with an unlearned
    traffic shape) and flagged ``"eligible": true`` by the lab, which decides when a day is a
    fair test of pacing. Statistics over nothing are null.
    """
    campaign_days = 0
    eligible: list[Mapping[str, Any]] = []
    for day in days:
        campaigns = day.get("campaigns") or []
        campaign_days += len(campaigns)
        if int(day.get("day", 0)) >= 2:
            eligible.extend(c for c in campaigns if c.get("eligible") is True)

    def values(key: str) -> list[float]:
        return [v for v in (_float(c.get(key)) for c in eligible) if v is not None]

    pacing = values("pacingError")
    utilization = values("utilization")
    overspend = values("overspend")
    matches_from_3 = [
        m for d in days if int(d.get("day", 0)) >= 3 and (m := day_shape_matches(d)) is not None
    ]
    final = day_shape_matches(days[-1]) if days else None
    return {
        "campaignDays": campaign_days,
        "eligibleCampaignDays": len(eligible),
        "medianPacingError": statistics.median(pacing) if pacing else None,
        "maxPacingError": max(pacing, default=None),
        "minUtilization": min(utilization, default=None),
        "maxOverspend": max(overspend, default=None),
        "meanUtilization": statistics.fmean(utilization) if utilization else None,
        "finalShapeMatches": None if final is None else int(final),
        "minShapeMatchesFromDay3": min(matches_from_3, default=None),
    }
