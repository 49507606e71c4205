"""The default strategy's pacing targets, checked on every scenario in the repo.

From day 2 on, on every campaign-day the lab marks eligible (the campaign ran the whole
day unchanged and the day's requests could carry 1.5x the budgets at their prices):
overspend 0, utilization >= 0.99, pacingError <= 0.03; and the default's median
pacingError is at most half the seed strategy's.
"""

from __future__ import annotations

import statistics
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from promovolve.sim.lab import run_lab
from promovolve.sim.scenario import load_scenario

ROOT = Path(__file__).parents[2]
SINGLE_SITE = sorted((ROOT / "scenarios").glob("*.json"))
NETWORK = sorted((ROOT / "scenarios" / "network").glob("*.json"))
SCENARIOS = SINGLE_SITE + NETWORK


@cache
def lab_result(path: Path, strategy: str) -> dict[str, Any]:
    scenario, _ = load_scenario(path)
    return run_lab(scenario, strategy, seed=1)


def eligible_campaign_days(result: dict[str, Any]) -> list[dict[str, Any]]:
    days = result["days"]
    assert isinstance(days, list)
    return [c for d in days for c in d["campaigns"] if c["eligible"]]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_default_meets_pacing_targets(path: Path) -> None:
    failures = [
        (c["campaignId"], c["utilization"], c["overspend"], c["pacingError"])
        for c in eligible_campaign_days(lab_result(path, "default"))
        if c["overspend"] > 0 or c["utilization"] < 0.99 or c["pacingError"] > 0.03
    ]
    assert failures == []


@pytest.mark.parametrize("paths", [SINGLE_SITE, NETWORK], ids=["single-site", "network"])
def test_default_halves_the_seed_median_pacing_error(paths: list[Path]) -> None:
    default_errors: list[float] = []
    seed_errors: list[float] = []
    for path in paths:
        default_errors += [
            c["pacingError"] for c in eligible_campaign_days(lab_result(path, "default"))
        ]
        seed_errors += [c["pacingError"] for c in eligible_campaign_days(lab_result(path, "seed"))]
    assert default_errors and seed_errors
    assert statistics.median(default_errors) <= 0.5 * statistics.median(seed_errors)


def test_default_follows_traffic_that_leaves_the_learned_shape() -> None:
    """Day 4 of pattern-change moves the peak from midday to the evening at the same volume.

    The lab does not mark that day eligible (nothing learned could foresee it), but pacing
    must notice the departure and keep the day's total rather than extrapolate through the
    old shape, which would spend the budget by early afternoon.
    """
    result = lab_result(SCENARIOS[[p.stem for p in SCENARIOS].index("pattern-change")], "default")
    day4 = result["days"][3]["campaigns"]
    assert all(c["pacingError"] <= 0.03 for c in day4)
    assert all(c["utilization"] >= 0.95 for c in day4)


def test_noise_free_scenarios_learn_the_shape_by_day_three() -> None:
    """Scenarios with no noise, bursts or quiet periods and at least 10,000 requests a day.

    `sparse` (about 4,000 a day) is left out: there a bucket's level still wanders by a
    quarter of a level after three days of Poisson arrivals.
    """
    checked = []
    for path in SINGLE_SITE:
        scenario, _ = load_scenario(path)
        if scenario.noise or scenario.bursts or scenario.quiet_period_probability:
            continue
        days = lab_result(path, "default")["days"]
        if len(days) < 3 or min(d["requests"] for d in days[:3]) < 10_000:
            continue
        checked.append((path.stem, days[2]["shapeMatches"]))
    assert len(checked) >= 8
    assert [c for c in checked if c[1] < 22] == []
