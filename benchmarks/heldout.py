"""Pacing targets on scenarios that are not in the repo: `python -m benchmarks.heldout`.

Draws random scenarios of the lab's format (diurnal shapes with one to three peaks, a
weekend shape of its own or none, per-advertiser budgets and CPMs, optional noise, small
bursts and quiet periods), runs each with the chosen strategies, and checks the issue's
targets on every campaign-day the lab marks eligible. Days the lab does not mark (the first
day of a day type, budget changes, pauses) are listed separately with their worst error.
Campaign-days that were outbid (even every request of their sites not won by a higher bidder,
at their full bid, could not buy their budget: `benchmarks/outbid.py`) are counted apart, as
the auction's correct outcome, and left out of the targets and the medians.
With `--network`, each scenario is a network of sites (PACING_LAB.md, "Networks"); with
`--configured-shapes`, each site's shape is in its pacing config.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
from pathlib import Path
from random import Random
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.outbid import outbid_campaign_days
from promovolve.sim.lab import run_lab
from promovolve.sim.plan import build_plan
from promovolve.sim.scenario import Scenario, parse_scenario

DAY_SECONDS = 600


def random_shape(rng: Random) -> list[float]:
    """A night trough plus one to three Gaussian peaks, rounded to two decimals."""
    base = rng.uniform(0.05, 0.3)
    shape = [base] * 24
    for _ in range(rng.randint(1, 3)):
        centre, width, height = rng.uniform(6, 23), rng.uniform(1.0, 4.0), rng.uniform(0.5, 3.0)
        for h in range(24):
            shape[h] += height * math.exp(-(((h + 0.5 - centre) / width) ** 2) / 2)
    return [round(v, 2) for v in shape]


def random_scenario(index: int, seed: int) -> dict[str, Any]:
    """One scenario of the lab's format; its traffic carries 1.6x to 5x the budgets."""
    rng = Random(f"heldout:{seed}:{index}")
    weekday = random_shape(rng)
    weekend = random_shape(rng) if rng.random() < 0.5 else None
    advertisers = rng.randint(1, 5)
    cpms = [rng.choice([1.0, 2.5, 5.0, 8.0, 12.0]) for _ in range(advertisers)]
    delay_ms = rng.choice([5.0, 10.0, 20.0, 40.0])
    shapes = [weekday] + ([weekend] if weekend else [])
    requests = min(
        1000.0 / delay_ms * DAY_SECONDS / 24 * sum(s) / max(s) for s in shapes
    )  # the smaller day type's expected requests
    weights = [rng.uniform(0.2, 1.0) for _ in range(advertisers)]
    capacity = rng.uniform(1.6, 5.0)
    impressions = requests / capacity  # what all budgets together may buy
    share = [w / sum(weights) for w in weights]
    pairs = zip(share, cpms, strict=True)
    budgets = [round(max(0.5, impressions * s * c / 1000), 2) for s, c in pairs]
    scenario: dict[str, Any] = {
        "name": f"heldout-{seed}-{index}",
        "advertisers": advertisers,
        "budgets": budgets,
        "cpms": cpms,
        "dayDurationSeconds": DAY_SECONDS,
        "delayMs": delay_ms,
        "weekdayShapeVolumes": weekday,
        "stopAfterDays": 8,
        "seed": rng.randint(1, 10_000),
        "noise": rng.choice([0.0, 0.0, 0.05, 0.1]),
    }
    if weekend:
        scenario["weekendShapeVolumes"] = weekend
    if rng.random() < 0.3:
        scenario["bursts"] = [
            {"day": d, "hour": rng.randint(6, 20), "minutes": 10, "multiplier": 2}
            for d in rng.sample(range(2, 9), 2)
        ]
    if rng.random() < 0.2:
        scenario["quietPeriodProbability"] = 0.002
        scenario["quietPeriodMinMs"] = 1000
        scenario["quietPeriodMaxMs"] = 3000
    return scenario


def expected_requests(shapes: list[list[float]], delay_ms: float) -> float:
    """The smaller day type's expected requests at this peak delay."""
    return min(1000.0 / delay_ms * DAY_SECONDS / 24 * sum(s) / max(s) for s in shapes)


def random_network(index: int, seed: int) -> dict[str, Any]:
    """A network of two to six sites; each advertiser runs on a random subset of them.

    Each site's traffic, divided by a random capacity factor (1.6 to 5), is shared equally
    among the advertisers on it; an advertiser's budget buys its shares at its CPM.
    """
    rng = Random(f"heldout-network:{seed}:{index}")
    scenario = random_scenario(index, seed)
    scenario["name"] = f"heldout-network-{seed}-{index}"
    scenario.pop("bursts", None)
    ids = [f"site-{k + 1}" for k in range(rng.randint(2, 6))]
    sites: list[dict[str, Any]] = []
    capacity: dict[str, float] = {}
    for site_id in ids:
        shapes = [random_shape(rng)] + ([random_shape(rng)] if rng.random() < 0.5 else [])
        delay_ms = rng.choice([10.0, 20.0, 40.0, 80.0])
        site: dict[str, Any] = {
            "id": site_id,
            "weekdayShapeVolumes": shapes[0],
            "delayMs": delay_ms,
        }
        if len(shapes) == 2:
            site["weekendShapeVolumes"] = shapes[1]
        sites.append(site)
        capacity[site_id] = expected_requests(shapes, delay_ms) / rng.uniform(1.6, 5.0)
    advertisers = int(scenario["advertisers"])
    subsets = [sorted(rng.sample(ids, rng.randint(1, len(ids)))) for _ in range(advertisers)]
    sharing = {s: sum(s in subset for subset in subsets) for s in ids}
    cpms = scenario["cpms"]
    scenario["budgets"] = [
        round(max(0.5, sum(capacity[s] / sharing[s] for s in subset) * cpm / 1000), 2)
        for subset, cpm in zip(subsets, cpms, strict=True)
    ]
    scenario["sites"] = sites
    scenario["advertiserSites"] = subsets
    return scenario


def check(result: dict[str, Any], outbid: set[tuple[int, str]]) -> dict[str, Any]:
    """The targets on the eligible campaign-days that were not outbid (`benchmarks.outbid`:
    higher bids bought the traffic their budget needed, so falling short is correct)."""
    marked = [(d["day"], c) for d in result["days"] for c in d["campaigns"] if c["eligible"]]
    eligible = [c for day, c in marked if (day, c["campaignId"]) not in outbid]
    failed = [
        c
        for c in eligible
        if c["overspend"] > 0 or c["utilization"] < 0.99 or c["pacingError"] > 0.03
    ]
    unmarked = [c for d in result["days"][1:] for c in d["campaigns"] if not c["eligible"]]
    return {
        "eligible": len(eligible),
        "failed": len(failed),
        "outbid": len(marked) - len(eligible),
        "errors": [c["pacingError"] for c in eligible],
        "maxError": max((c["pacingError"] for c in eligible), default=0.0),
        "minUtilization": min((c["utilization"] for c in eligible), default=1.0),
        "unmarkedMaxError": max((c["pacingError"] for c in unmarked), default=None),
    }


def run_checked(scenario: Scenario, strategy: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="heldout-") as tmp:
        trace = Path(tmp) / "trace.csv"
        result = run_lab(scenario, strategy, trace_path=trace)
        return check(result, outbid_campaign_days(build_plan(scenario), result, trace))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.heldout", description=__doc__)
    parser.add_argument("--count", type=int, default=12, help="scenarios to draw")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--strategies", default="default,seed")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--network", action="store_true", help="draw networks of sites")
    parser.add_argument(
        "--configured-shapes", action="store_true", help="put each site's shape in its config"
    )
    args = parser.parse_args(argv)
    strategies = args.strategies.split(",")
    err = Console(stderr=True)
    rows: list[tuple[str, dict[str, dict[str, Any]]]] = []
    for index in range(args.count):
        data = (random_network if args.network else random_scenario)(index, args.seed)
        data["configuredShapes"] = args.configured_shapes
        scenario, _ = parse_scenario(data, data["name"])
        by_strategy: dict[str, dict[str, Any]] = {}
        for strategy in strategies:
            err.print(f"[dim]{scenario.name}: {strategy}[/]")
            by_strategy[strategy] = run_checked(scenario, strategy)
        rows.append((scenario.name, by_strategy))
    medians = {
        s: statistics.median(e) if (e := [x for _, r in rows for x in r[s]["errors"]]) else None
        for s in strategies
    }
    if args.json:
        for _, by_strategy in rows:
            for r in by_strategy.values():
                r.pop("errors")
        print(json.dumps({"scenarios": dict(rows), "medianPacingError": medians}, indent=2))
        return 0
    table = Table(title="Held-out scenarios: eligible campaign-days meeting the targets")
    table.add_column("scenario")
    for s in strategies:
        table.add_column(f"{s}: met", justify="right")
        table.add_column(f"{s}: max err", justify="right")
        table.add_column(f"{s}: min util", justify="right")
        table.add_column(f"{s}: outbid", justify="right")
    table.add_column("unmarked days: max err (default)", justify="right")
    for name, by_strategy in rows:
        cells = [name]
        for s in strategies:
            r = by_strategy[s]
            cells += [
                f"{r['eligible'] - r['failed']}/{r['eligible']}",
                f"{r['maxError']:.4f}",
                f"{r['minUtilization']:.4f}",
                str(r["outbid"]),
            ]
        unmarked = by_strategy[strategies[0]]["unmarkedMaxError"]
        cells.append("—" if unmarked is None else f"{unmarked:.4f}")
        table.add_row(*cells)
    # Wide enough for four columns a strategy even when the output is piped to a file.
    console = Console(width=max(Console().width, 170))
    console.print(table)
    console.print(
        "median pacingError over eligible campaign-days: "
        + ", ".join(f"{s} {'—' if v is None else f'{v:.4f}'}" for s, v in medians.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
