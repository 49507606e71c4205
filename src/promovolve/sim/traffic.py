"""Request arrivals in virtual time (PACING_LAB.md, "Arrivals").

A day's arrivals are a Poisson process whose rate is constant on pieces of the day (hour
buckets, simulated minutes when the delay varies, burst windows). Within a piece the gaps are
exponential; at a piece boundary the process simply restarts, which is exact because the
exponential distribution is memoryless. All randomness comes from the ``random.Random``
passed in, so a day is reproducible from the generator's state.
"""

from __future__ import annotations

import math
import random

from promovolve.sim.scenario import HOURS_PER_DAY, Scenario

MINUTES_PER_DAY = 1440

# (start, end, rate): requests per second of day time on [start, end).
Segment = tuple[float, float, float]


def peak_rate(scenario: Scenario) -> float:
    """Expected requests per second at the peak hour (mean over the delay when it varies)."""
    low, high = scenario.delay_ms, scenario.max_delay_ms
    if scenario.variable_delay and high > low:
        # E[1000/D] for D uniform on [low, high].
        return 1000.0 * math.log(high / low) / (high - low)
    return 1000.0 / low


def hourly_rates(scenario: Scenario, day: int) -> list[float]:
    """Noise-, burst- and quiet-free expected requests per second in each hour bucket."""
    shape = scenario.shape_for_day(day)
    top = max(shape)
    peak = peak_rate(scenario)
    return [peak * volume / top for volume in shape]


def expected_day_requests(scenario: Scenario, day: int) -> float:
    """Expected requests on ``day`` without noise, bursts or quiet periods."""
    hour_seconds = scenario.day_duration_seconds / HOURS_PER_DAY
    return sum(hourly_rates(scenario, day)) * hour_seconds


def _noise_multipliers(scenario: Scenario, rng: random.Random) -> list[float]:
    sigma = scenario.noise
    if sigma <= 0:
        return [1.0] * HOURS_PER_DAY
    # exp(σZ − σ²/2) has mean 1, so noise reshapes traffic without changing its expectation.
    shift = sigma * sigma / 2.0
    return [math.exp(sigma * rng.normalvariate(0.0, 1.0) - shift) for _ in range(HOURS_PER_DAY)]


def _base_segments(scenario: Scenario, day: int, rng: random.Random) -> list[Segment]:
    """Hour pieces, or minute pieces when the peak delay is redrawn every simulated minute."""
    length = float(scenario.day_duration_seconds)
    shape = scenario.shape_for_day(day)
    top = max(shape)
    noise = _noise_multipliers(scenario, rng)
    relative = [shape[b] / top * noise[b] for b in range(HOURS_PER_DAY)]
    if not scenario.variable_delay:
        peak = 1000.0 / scenario.delay_ms
        return [
            (b * length / HOURS_PER_DAY, (b + 1) * length / HOURS_PER_DAY, peak * relative[b])
            for b in range(HOURS_PER_DAY)
        ]
    low, high = scenario.delay_ms, scenario.max_delay_ms
    per_hour = MINUTES_PER_DAY // HOURS_PER_DAY
    return [
        (
            m * length / MINUTES_PER_DAY,
            (m + 1) * length / MINUTES_PER_DAY,
            1000.0 / rng.uniform(low, high) * relative[m // per_hour],
        )
        for m in range(MINUTES_PER_DAY)
    ]


def _apply_burst(segments: list[Segment], start: float, end: float, factor: float) -> list[Segment]:
    """Multiply the rate on [start, end), splitting the pieces that straddle its edges."""
    result: list[Segment] = []
    for seg_start, seg_end, rate in segments:
        if seg_end <= start or seg_start >= end:
            result.append((seg_start, seg_end, rate))
            continue
        inner_start, inner_end = max(seg_start, start), min(seg_end, end)
        if seg_start < inner_start:
            result.append((seg_start, inner_start, rate))
        result.append((inner_start, inner_end, rate * factor))
        if inner_end < seg_end:
            result.append((inner_end, seg_end, rate))
    return result


def day_segments(scenario: Scenario, day: int, rng: random.Random) -> list[Segment]:
    """The day's piecewise-constant rate (draws the noise and delay values from ``rng``).

    A silence is a window of rate zero; before the site's ``startDay`` there are no pieces.
    """
    if day < scenario.start_day:
        return []
    segments = _base_segments(scenario, day, rng)
    length = float(scenario.day_duration_seconds)
    windows: list[Segment] = []
    for burst in scenario.bursts:
        if burst.day == day:
            start = burst.hour * length / HOURS_PER_DAY
            end = start + burst.minutes * length / MINUTES_PER_DAY
            windows.append((start, end, burst.multiplier))
    for silence in scenario.silences:
        if silence.day == day:
            start = silence.hour * length / HOURS_PER_DAY
            windows.append((start, start + silence.hours * length / HOURS_PER_DAY, 0.0))
    for start, end_unclipped, factor in windows:
        end = min(length, end_unclipped)
        if end > start:
            segments = _apply_burst(segments, start, end, factor)
    return segments


def _poisson(segments: list[Segment], rng: random.Random) -> list[float]:
    """Arrivals of a piecewise-constant Poisson process; the hot loop of the lab's traffic."""
    rand = rng.random
    log = math.log
    out: list[float] = []
    append = out.append
    for start, end, rate in segments:
        if rate <= 0.0:
            continue
        inv = 1.0 / rate
        t = start
        while True:
            # 1 - U lies in (0, 1], so the log is finite and the gap non-negative.
            t -= log(1.0 - rand()) * inv
            if t >= end:
                break
            append(t)
    return out


def _poisson_with_quiet(
    segments: list[Segment],
    probability: float,
    quiet_min_s: float,
    quiet_max_s: float,
    rng: random.Random,
) -> list[float]:
    """As :func:`_poisson`, but after each request a quiet period follows with ``probability``.

    Instead of a coin per request, the number of requests until the next quiet period is
    drawn once (geometric), which keeps the per-arrival cost that of the plain process.
    """
    rand = rng.random
    log = math.log
    span = quiet_max_s - quiet_min_s
    log_keep = math.log1p(-probability) if probability < 1.0 else 0.0

    def until_quiet() -> int:
        if log_keep == 0.0:
            return 1
        return 1 + int(log(1.0 - rand()) / log_keep)

    out: list[float] = []
    append = out.append
    left = until_quiet()
    t = 0.0
    for start, end, rate in segments:
        if t >= end:
            continue  # a quiet period covers this whole piece
        if rate <= 0.0:
            continue
        t = max(t, start)
        inv = 1.0 / rate
        while True:
            t -= log(1.0 - rand()) * inv
            if t >= end:
                t = end  # overshoot: memorylessness lets the next piece start afresh
                break
            append(t)
            left -= 1
            if left == 0:
                t += quiet_min_s + span * rand()
                left = until_quiet()
                if t >= end:
                    break  # keep t: the quiet period runs into the next pieces
    return out


def generate_day_arrivals(scenario: Scenario, day: int, rng: random.Random) -> list[float]:
    """Sorted arrival times (seconds since the day began) in [0, dayDurationSeconds).

    Quiet periods are in seconds of day time (ms / 1000), not scaled by the day length, and
    one that reaches the end of the day ends with it.
    """
    segments = day_segments(scenario, day, rng)
    probability = scenario.quiet_period_probability
    if probability <= 0.0:
        return _poisson(segments, rng)
    return _poisson_with_quiet(
        segments,
        probability,
        scenario.quiet_period_min_ms / 1000.0,
        scenario.quiet_period_max_ms / 1000.0,
        rng,
    )
