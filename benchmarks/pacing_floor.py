"""How well could any forecast pace this traffic? `python -m benchmarks.pacing_floor FILE`.

For a one-site scenario, replays the default gate's arithmetic (remaining budget over
remaining requests, credits capped at two) for one campaign buying `--impressions` a day on
the lab's own arrivals, with two forecasts of the requests still to come:

- `learned`: the default's (`ForecastPacing.remaining_requests` on the default tracker),
  learning the shape and day totals from the traffic as the lab does;
- `known`: the traffic's true expectation (total and hourly shape averaged over
  `--calibration-days` independent days of the same scenario), which no online pacer can
  beat on average: what it still gets wrong is the traffic the future brings that its
  expectation does not.

Prints each day's pacingError (max over the hours of |spent share - traffic share|) and, with
`--seeds`, the median and the days above the 0.03 target over those arrival seeds. Weekend
days are left out of the summary when the scenario has no weekend shape of its own only if
they are a day type's first day (the lab does not count those either).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from random import Random

from promovolve.engine.policies import default_tracker
from promovolve.engine.site_clock import pacing_controller
from promovolve.pacing.forecast import FINISH_FRACTION, MAX_CREDIT, ForecastPacing
from promovolve.sim.scenario import HOURS_PER_DAY, Scenario, load_scenario
from promovolve.sim.traffic import generate_day_arrivals

# (requests today, expected fraction by the learned shape, seconds into the day) -> to come
Forecast = Callable[[int, float, float], float]


def expectation(scenario: Scenario, weekend: bool, days: int) -> tuple[float, list[float]]:
    """Mean day total and the traffic CDF at each hour boundary, by simulation."""
    rng = Random("pacing-floor:calibration")
    length = scenario.day_duration_seconds
    day = next(d for d in range(1, 8) if scenario.is_weekend(d) == weekend)
    hours = [0] * HOURS_PER_DAY
    for _ in range(days):
        for t in generate_day_arrivals(scenario, day, rng):
            hours[min(HOURS_PER_DAY - 1, int(t * HOURS_PER_DAY / length))] += 1
    total = sum(hours)
    cdf = [0.0]
    for count in hours:
        cdf.append(cdf[-1] + count / max(1, total))
    return total / days, cdf


def known_forecast(total: float, cdf: list[float], length: float) -> Forecast:
    def forecast(requests: int, fraction: float, elapsed: float) -> float:
        position = min(float(HOURS_PER_DAY), elapsed * HOURS_PER_DAY / length)
        hour = min(HOURS_PER_DAY - 1, int(position))
        share = cdf[hour] + (cdf[hour + 1] - cdf[hour]) * (position - hour)
        return max(0.0, total * (1.0 - share / FINISH_FRACTION))

    return forecast


def pacing_error(arrivals: list[float], served: list[float], length: float) -> float:
    worst, i, j = 0.0, 0, 0
    for hour in range(1, HOURS_PER_DAY):
        edge = hour * length / HOURS_PER_DAY
        while i < len(arrivals) and arrivals[i] < edge:
            i += 1
        while j < len(served) and served[j] < edge:
            j += 1
        worst = max(worst, abs(j / max(1, len(served)) - i / max(1, len(arrivals))))
    return worst


def run_days(
    scenario: Scenario, seed: int, impressions: int, known: bool, calibration: int
) -> list[tuple[int, bool, float]]:
    """(day, first day of its type, pacingError) for each day of the scenario."""
    length = float(scenario.day_duration_seconds)
    controller = pacing_controller(default_tracker(), scenario.day_duration_seconds)
    pacing = ForecastPacing()
    expected = {w: expectation(scenario, w, calibration) for w in (False, True)} if known else {}
    seen_types: set[bool] = set()
    results = []
    for day in range(1, scenario.stop_after_days + 1):
        weekend = scenario.is_weekend(day)
        arrivals = generate_day_arrivals(scenario, day, Random(f"{seed}:arrivals:{day}"))
        start = (day - 1) * length
        forecast: Forecast
        if known:
            forecast = known_forecast(*expected[weekend], length)
        else:
            forecast = lambda n, fraction, _: pacing.remaining_requests(n, fraction)  # noqa: E731
        left, credit, served = float(impressions), 0.0, []
        for t in arrivals:
            if controller.observe_request(start + t):
                pacing.start_day(controller.past_day_requests(controller.tracker.is_weekend))
            to_come = forecast(
                controller.requests_today, controller.expected_fraction(start + t), t
            )
            rate = 1.0 if to_come <= left else left / to_come
            credit = min(MAX_CREDIT, credit + rate)
            if credit >= 1.0 and left >= 1.0:
                credit -= 1.0
                left -= 1.0
                served.append(t)
        results.append((day, weekend not in seen_types, pacing_error(arrivals, served, length)))
        seen_types.add(weekend)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pacing_floor", description=__doc__)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seeds", default="1", help="arrival seeds, e.g. 1,2,3 (the lab's --seed)")
    parser.add_argument(
        "--impressions",
        type=int,
        default=0,
        help="a day's impressions (default: the first budget at its CPM)",
    )
    parser.add_argument("--calibration-days", type=int, default=60)
    args = parser.parse_args(argv)
    scenario, _ = load_scenario(args.scenario)
    impressions = args.impressions or round(
        scenario.advertiser_budget(1) / scenario.advertiser_cpm(1) * 1000
    )
    seeds = [int(s) for s in args.seeds.split(",")]
    for name, known in (("learned", False), ("known", True)):
        errors = []
        for seed in seeds:
            days = run_days(scenario, seed, impressions, known, args.calibration_days)
            counted = [e for day, first, e in days if day >= 2 and not first]
            errors += counted
            if len(seeds) == 1:
                print(name, " ".join(f"d{day}:{e:.4f}" for day, _, e in days))
        over = sum(e > 0.03 for e in errors)
        summary = f"median {statistics.median(errors):.4f}, max {max(errors):.4f}"
        print(f"{name}: {summary}, above 0.03 on {over} of {len(errors)} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
