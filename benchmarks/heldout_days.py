"""Why a held-out campaign-day fails: `python -m benchmarks.heldout_days`.

Draws the same scenarios as `benchmarks.heldout` (same flags), runs the default strategy and,
for every counted campaign-day that misses a target, prints hour by hour the realized
traffic CDF F(t) of the campaign's sites, its spend share S(t)/S(T), their difference, its
wins and the average price it paid, next to the requests of the last earlier day of the same
type (what the day-total forecast was built from). Read it for: which hours the spend ran
ahead or behind, whether the day's total or its shape left the previous day's, and whether
the campaign stopped winning (a lower bid outcompeted late in the day).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.heldout import random_network, random_scenario
from benchmarks.outbid import outbid_campaign_days
from promovolve.sim.lab import run_lab
from promovolve.sim.plan import build_plan
from promovolve.sim.scenario import parse_scenario
from promovolve.sim.trace import read_trace

HOURS = 24


def failed(campaign: dict[str, Any]) -> bool:
    return bool(
        campaign["overspend"] > 0
        or campaign["utilization"] < 0.99
        or campaign["pacingError"] > 0.03
    )


class Hourly:
    """A run's trace counted per (day, hour): requests per site, wins and spend per campaign."""

    def __init__(self, trace: Path, day_seconds: float, default_site: str) -> None:
        self.requests: Counter[tuple[int, int, str]] = Counter()
        self.wins: Counter[tuple[int, int, str]] = Counter()
        self.spend: Counter[tuple[int, int, str]] = Counter()
        for row in read_trace(trace):
            hour = min(HOURS - 1, int((row.t - (row.day - 1) * day_seconds) / day_seconds * HOURS))
            self.requests[row.day, hour, row.site_id or default_site] += 1
            if row.campaign_id is not None and row.price_micros is not None:
                self.wins[row.day, hour, row.campaign_id] += 1
                self.spend[row.day, hour, row.campaign_id] += row.price_micros

    def traffic(self, day: int, sites: list[str]) -> list[int]:
        return [sum(self.requests[day, h, s] for s in sites) for h in range(HOURS)]


def describe(
    hourly: Hourly, day: dict[str, Any], campaign: dict[str, Any], same_type: list[int]
) -> list[str]:
    """The lines for one failing campaign-day."""
    sites: list[str] = campaign.get("sites") or [next(iter(hourly.requests))[2]]
    cid, d = campaign["campaignId"], day["day"]
    today = hourly.traffic(d, sites)
    before = hourly.traffic(same_type[-1], sites) if same_type else [0] * HOURS
    totals = {x: sum(hourly.traffic(x, sites)) for x in [*same_type, d]}
    spends = [hourly.spend[d, h, cid] for h in range(HOURS)]
    lines = [
        f"day {d} ({'weekend' if day['weekend'] else 'weekday'}) {cid} on {','.join(sites)}: "
        f"utilization {campaign['utilization']:.4f} pacingError {campaign['pacingError']:.4f}",
        f"  requests on its sites, earlier days of this type and today: {totals}",
        "  hour  requests  before      F      S    S-F  wins  avg CPM",
    ]
    n, spent, total, budget_spent = 0, 0, sum(today), sum(spends)
    for h in range(HOURS):
        n += today[h]
        spent += spends[h]
        f = n / total if total else 0.0
        s = spent / budget_spent if budget_spent else 0.0
        wins = hourly.wins[d, h, cid]
        cpm = spends[h] / wins / 1000 if wins else 0.0
        lines.append(
            f"  {h:4d} {today[h]:9d} {before[h]:7d} {f:6.3f} {s:6.3f} {s - f:+6.3f}"
            f" {wins:5d} {cpm:8.2f}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.heldout_days", description=__doc__)
    parser.add_argument("--count", type=int, default=12, help="scenarios to draw")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--network", action="store_true", help="draw networks of sites")
    parser.add_argument(
        "--configured-shapes", action="store_true", help="put each site's shape in its config"
    )
    parser.add_argument("--only", type=int, default=None, help="just this scenario index")
    args = parser.parse_args(argv)
    indices = range(args.count) if args.only is None else [args.only]
    for index in indices:
        data = (random_network if args.network else random_scenario)(index, args.seed)
        data["configuredShapes"] = args.configured_shapes
        scenario, _ = parse_scenario(data, data["name"])
        with tempfile.TemporaryDirectory(prefix="heldout-days-") as tmp:
            trace = Path(tmp) / "trace.csv"
            result = run_lab(scenario, "default", trace_path=trace)
            outbid = outbid_campaign_days(build_plan(scenario), result, trace)
            hourly = Hourly(trace, float(data["dayDurationSeconds"]), "lab-site")
        for day in result["days"]:
            same_type = [x["day"] for x in result["days"] if x["weekend"] == day["weekend"]]
            earlier = [x for x in same_type if x < day["day"]]
            for campaign in day["campaigns"]:
                counted = (day["day"], campaign["campaignId"]) not in outbid
                if campaign["eligible"] and counted and failed(campaign):
                    print(f"== {scenario.name}")
                    print("\n".join(describe(hourly, day, campaign, earlier)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
