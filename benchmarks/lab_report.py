"""Compare pacing strategies on every scenario: `python -m benchmarks.lab_report`.

Every scenario means scenarios/*.json and the network scenarios in scenarios/network/.

For each scenario and strategy: the median and worst pacingError and the lowest
utilization over eligible campaign-days (see the lab's `eligible` flag), how many of
those met the targets, and the lab's simulated requests per second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from promovolve.sim.lab import run_lab
from promovolve.sim.metrics import day_shape_matches
from promovolve.sim.scenario import load_scenario

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"


def meets_targets(c: dict[str, Any]) -> bool:
    return bool(c["overspend"] == 0 and c["utilization"] >= 0.99 and c["pacingError"] <= 0.03)


def row(result: dict[str, Any]) -> dict[str, Any]:
    days = [c for d in result["days"] for c in d["campaigns"] if c["eligible"]]
    errors = [c["pacingError"] for c in days]
    return {
        "eligible": len(days),
        "met": sum(meets_targets(c) for c in days),
        "medianPacingError": statistics.median(errors) if errors else None,
        "maxPacingError": max(errors) if errors else None,
        "minUtilization": min((c["utilization"] for c in days), default=None),
        "meanUtilization": statistics.fmean(c["utilization"] for c in days) if days else None,
        # Of a network, the worst site's.
        "day3ShapeMatches": (
            day_shape_matches(result["days"][2]) if len(result["days"]) >= 3 else None
        ),
        "requestsPerSecond": result["simulation"]["requestsPerSecond"],
        "errors": errors,
    }


def markdown(
    results: dict[str, dict[str, Any]], strategies: list[str], overall: dict[str, float | None]
) -> str:
    """Per scenario and strategy: lowest utilization, median / worst pacingError, targets met."""

    def fmt(v: float | None, spec: str = ".3f") -> str:
        return "—" if v is None else format(v, spec)

    head = "| scenario | " + " | ".join(f"{s}: min util, med / max err, met" for s in strategies)
    lines = [head + " |", "|---" * (len(strategies) + 1) + "|"]
    for name, by_strategy in results.items():
        cells = [
            f"{fmt(r['minUtilization'])}, {fmt(r['medianPacingError'])} / "
            f"{fmt(r['maxPacingError'])}, {r['met']}/{r['eligible']}"
            for r in (by_strategy[s] for s in strategies)
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Median pacingError over all eligible campaign-days: "
        + ", ".join(f"{s} {fmt(v, '.4f')}" for s, v in overall.items())
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--strategies", default="default,seed,oracle")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--markdown", action="store_true", help="a Markdown table: utilization, median/worst error"
    )
    args = parser.parse_args(argv)
    paths = args.scenarios or [
        *sorted(SCENARIO_DIR.glob("*.json")),
        *sorted((SCENARIO_DIR / "network").glob("*.json")),
    ]
    strategies = args.strategies.split(",")
    console = Console(stderr=True)
    results: dict[str, dict[str, Any]] = {}
    for path in paths:
        scenario, _ = load_scenario(path)
        for strategy in strategies:
            console.print(f"running {path.stem} with {strategy}")
            results.setdefault(path.stem, {})[strategy] = row(
                run_lab(scenario, strategy, seed=args.seed)
            )
    overall = {
        s: statistics.median(e)
        if (e := [x for r in results.values() for x in r[s]["errors"]])
        else None
        for s in strategies
    }
    if args.json:
        for by_strategy in results.values():
            for r in by_strategy.values():
                r.pop("errors")
        print(json.dumps({"scenarios": results, "medianPacingError": overall}, indent=2))
        return 0
    if args.markdown:
        print(markdown(results, strategies, overall))
        return 0
    table = Table(title="Eligible campaign-days: met targets, pacingError, utilization")
    table.add_column("scenario")
    for s in strategies:
        table.add_column(f"{s}: met", justify="right")
        table.add_column(f"{s}: med/max err", justify="right")
        table.add_column(f"{s}: min util", justify="right")
    table.add_column("day-3 matches", justify="right")
    table.add_column("req/s (default)", justify="right")

    def fmt(v: float | None, spec: str = ".4f") -> str:
        return "—" if v is None else format(v, spec)

    for name, by_strategy in results.items():
        cells = [name]
        for s in strategies:
            r = by_strategy[s]
            cells += [
                f"{r['met']}/{r['eligible']}",
                f"{fmt(r['medianPacingError'])}/{fmt(r['maxPacingError'])}",
                fmt(r["minUtilization"]),
            ]
        first = by_strategy[strategies[0]]
        cells += [str(first["day3ShapeMatches"]), str(first["requestsPerSecond"])]
        table.add_row(*cells)
    Console().print(table)
    Console().print(
        "median pacingError over all eligible campaign-days: "
        + ", ".join(f"{s} {fmt(v)}" for s, v in overall.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
