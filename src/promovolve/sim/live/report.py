"""The live simulator's periodic report (the seed's RunScenario format), as plain text.

Pure functions and a small stateful :class:`PacingReporter` that remembers the previous
report to compute the spend-ratio trend and the spend rate over the last interval. Nothing
here does I/O; the simulator feeds it what it counted and what the server's stats said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from promovolve.sim.live.values import number

SPARK_LEVELS = "▁▂▃▄▅▆▇█"
# A spend ratio change smaller than this between reports is "stable".
TREND_TOLERANCE = 0.02
# The spend rate is ON PACE within ±10% of the target rate.
PACE_TOLERANCE = 0.10


def quantize(values: Sequence[float]) -> list[int]:
    """Levels 0..7 by ``round(7 × v / max(v))`` (PACING_LAB.md); all-zero → all 0."""
    top = max(values, default=0.0)
    if top <= 0:
        return [0] * len(values)
    return [min(7, max(0, round(7 * v / top))) for v in values]


def sparkline(values: Sequence[float], mark: int | None = None) -> str:
    """``▁▂▃▄▅▆▇█`` bars; the bucket ``mark`` (e.g. the current hour) is shown as ``[x]``."""
    bars = [SPARK_LEVELS[level] for level in quantize(values)]
    return "".join(f"[{bar}]" if i == mark else bar for i, bar in enumerate(bars))


def shape_matches(learned: Sequence[float], actual: Sequence[float]) -> tuple[int, int]:
    """(buckets with equal levels, buckets within one level) of the quantized shapes."""
    a, b = quantize(learned), quantize(actual)
    equal = sum(1 for x, y in zip(a, b, strict=False) if x == y)
    close = sum(1 for x, y in zip(a, b, strict=False) if abs(x - y) <= 1)
    return equal, close


def _shape(value: object) -> list[float] | None:
    if isinstance(value, list) and len(value) == 24:
        numbers = [number(v) for v in value]
        if all(n is not None for n in numbers):
            return [n for n in numbers if n is not None]
    return None


def find_learned_shape(stats: Mapping[str, object], weekend: bool) -> list[float] | None:
    """The learned shape for the current day type in a per-site stats document.

    The server's field names are matched leniently: a 24-number list under a key such as
    ``learnedShape``/``trafficShape``/``shape``, or an object of shapes keyed by day type
    (``weekday``/``weekend``, ``current``/``active``).
    """
    preferred = ("weekend", "weekendShape") if weekend else ("weekday", "weekdayShape")
    candidates: list[object] = []
    for key in ("learnedShape", "learnedShapes", "trafficShape", "shape", "shapes"):
        if key in stats:
            candidates.append(stats[key])
    pacing = stats.get("pacing")
    if isinstance(pacing, Mapping):
        candidates.extend(pacing[k] for k in ("learnedShape", "learnedShapes") if k in pacing)
    for value in candidates:
        shape = _shape(value)
        if shape is not None:
            return shape
        if isinstance(value, Mapping):
            for key in ("current", "active", "today", *preferred):
                shape = _shape(value.get(key))
                if shape is not None:
                    return shape
    for key, value in stats.items():  # last resort: e.g. learnedWeekdayShape
        lowered = key.lower()
        if "shape" in lowered and preferred[0] in lowered:
            shape = _shape(value)
            if shape is not None:
                return shape
    return None


def learned_days(stats: Mapping[str, object], weekend: bool) -> int | None:
    """Whole days the server's shape for the day type has learned (``learnedShape``)."""
    shapes = stats.get("learnedShape")
    if not isinstance(shapes, Mapping):
        return None
    days = number(shapes.get("weekendDaysLearned" if weekend else "weekdayDaysLearned"))
    return None if days is None else int(days)


@dataclass(frozen=True, slots=True)
class StatsSample:
    """What the server's stats said at one report (None where the server gave nothing)."""

    elapsed: float  # wall seconds since the run began
    day_index: int | None = None
    total_spend: float | None = None
    expected_fraction: float | None = None
    spend_ratio: float | None = None
    throttle: float | None = None
    learned_shape: list[float] | None = None
    days_learned: int | None = None

    @classmethod
    def from_stats(
        cls,
        elapsed: float,
        test_stats: Mapping[str, object] | None,
        site_stats: Mapping[str, object] | None,
        weekend: bool,
    ) -> StatsSample:
        test_stats = test_stats or {}
        site_stats = site_stats or {}

        def pick(key: str) -> float | None:
            value = number(site_stats.get(key))
            return value if value is not None else number(test_stats.get(key))

        day = number(site_stats.get("dayIndex"))
        return cls(
            elapsed=elapsed,
            day_index=int(day) if day is not None else None,
            total_spend=number(test_stats.get("totalSpend"))
            if "totalSpend" in test_stats
            else pick("totalSpend"),
            expected_fraction=pick("expectedSpendFraction"),
            spend_ratio=number(site_stats.get("spendRatio")),
            throttle=number(site_stats.get("throttle")),
            learned_shape=find_learned_shape(site_stats, weekend),
            days_learned=learned_days(site_stats, weekend),
        )


@dataclass(frozen=True, slots=True)
class Counts:
    """What the simulator itself counted (answers it received)."""

    requests: int
    selected: int
    pacing_skipped: int
    budget_exhausted: int = 0
    no_candidates: int = 0


def trend(previous: float | None, current: float | None) -> str:
    if previous is None or current is None:
        return "→ (stable)"
    if current - previous > TREND_TOLERANCE:
        return "↑ (rising)"
    if previous - current > TREND_TOLERANCE:
        return "↓ (falling)"
    return "→ (stable)"


def rate_status(rate: float | None, target: float | None) -> str:
    if rate is None or target is None:
        return "N/A"
    if target <= 0:
        return "ON PACE" if rate <= 0 else "OVER PACE"
    ratio = rate / target
    if ratio > 1 + PACE_TOLERANCE:
        return "OVER PACE"
    if ratio < 1 - PACE_TOLERANCE:
        return "UNDER PACE"
    return "ON PACE"


def format_rate(rate: float) -> str:
    return f"{rate:.0f}" if rate >= 10 else f"{rate:.1f}"


class PacingReporter:
    """Builds the seed's report lines; remembers the last sample for trend and rates."""

    def __init__(self) -> None:
        self.previous: StatsSample | None = None
        self.last_ratio: float | None = None

    def spend_ratio(self, sample: StatsSample, budget: float) -> float | None:
        if sample.spend_ratio is not None:
            return sample.spend_ratio
        spend, fraction = sample.total_spend, sample.expected_fraction
        if spend is None or fraction is None or fraction <= 0 or budget <= 0:
            return None
        return spend / (fraction * budget)

    def rates(
        self, sample: StatsSample, budget: float, day_elapsed: float
    ) -> tuple[float | None, float | None]:
        """(spend $/sec, target $/sec) over the last interval (or the day so far)."""
        spend, fraction = sample.total_spend, sample.expected_fraction
        if spend is None or fraction is None:
            return None, None
        prev = self.previous
        same_day = (
            prev is not None
            and prev.total_spend is not None
            and prev.expected_fraction is not None
            and prev.day_index == sample.day_index
            and spend >= prev.total_spend
            and fraction >= prev.expected_fraction
            and sample.elapsed > prev.elapsed
        )
        if same_day and prev is not None:
            dt = sample.elapsed - prev.elapsed
            assert prev.total_spend is not None and prev.expected_fraction is not None
            return (spend - prev.total_spend) / dt, budget * (
                fraction - prev.expected_fraction
            ) / dt
        if day_elapsed <= 0:
            return None, None
        return spend / day_elapsed, budget * fraction / day_elapsed

    def report(
        self,
        counts: Counts,
        sample: StatsSample,
        budget: float,
        day_elapsed: float,
        actual_shape: Sequence[float],
        bucket: int | None,
        day: int,
        configured_shape: Sequence[float] | None = None,
    ) -> list[str]:
        elapsed = sample.elapsed
        rate = counts.requests / elapsed if elapsed > 0 else 0.0
        share = 100.0 * counts.selected / counts.requests if counts.requests else 0.0
        ratio = self.spend_ratio(sample, budget)
        spend_rate, target_rate = self.rates(sample, budget, day_elapsed)
        lines = [
            f"─── Report @ {counts.requests} requests ({elapsed:.1f}s elapsed) ───",
            f"Requests: {counts.requests} ({format_rate(rate)}/sec)",
            f"Selected: {counts.selected} ({share:.1f}%)",
            f"Pacing skip: {counts.pacing_skipped}",
            f"Budget exhausted: {counts.budget_exhausted}",
            f"No candidates: {counts.no_candidates}",
            "Pacing status:",
        ]
        if ratio is None:
            lines.append("  Spend ratio: n/a (no expected spend yet)")
        else:
            lines.append(f"  Spend ratio: {ratio:.2f}x {trend(self.last_ratio, ratio)}")
        if spend_rate is None or target_rate is None:
            lines.append("  Spend rate: n/a")
        else:
            lines.append(f"  Spend rate: ${spend_rate:.4f}/sec (target: ${target_rate:.4f}/sec)")
        lines.append(f"  Rate status: {rate_status(spend_rate, target_rate)}")
        extras = [f"Day {day}"]
        if bucket is not None:
            extras.append(f"hour {bucket}")
        if sample.total_spend is not None:
            extras.append(f"spend today ${sample.total_spend:.4f} of ${budget:.2f}")
        if sample.throttle is not None:
            extras.append(f"throttle {sample.throttle:.2f}")
        lines.append("  " + " · ".join(extras))
        lines.extend(
            shape_lines(
                sample.learned_shape, actual_shape, bucket, configured_shape, sample.days_learned
            )
        )
        self.previous = sample
        if ratio is not None:
            self.last_ratio = ratio
        return lines


def shape_lines(
    learned: Sequence[float] | None,
    actual: Sequence[float],
    bucket: int | None,
    configured: Sequence[float] | None = None,
    days_learned: int | None = None,
) -> list[str]:
    """The site's shapes against the traffic's actual one, with the match counts.

    A shape configured on the site is the server's starting point, so its learned shape
    matches from the first request; the lines say so instead of passing it off as learned.
    """
    lines = [] if configured is None else [f"  Config:   {sparkline(configured, bucket)}"]
    actual_line = f"  Actual:   {sparkline(actual, bucket)}"
    if learned is None:
        return [*lines, "  Learned:  (not reported by the server)", actual_line]
    if configured is not None:
        source = "the configured shape, refined by traffic"
    elif days_learned is not None:
        days = "1 day" if days_learned == 1 else f"{days_learned} days"
        source = f"from traffic; {days} learned"
    else:
        source = "from traffic"
    equal, close = shape_matches(learned, actual)
    match = f"  Shape: {equal}/24 buckets match, {close}/24 within one bar"
    if configured is not None:
        match += " (the server started from the configured shape)"
    return [*lines, f"  Learned:  {sparkline(learned, bucket)}  ({source})", actual_line, match]
