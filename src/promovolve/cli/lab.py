"""`promovolve lab SCENARIO`: run a scenario through the real site engine in virtual time."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("lab")(lab)


def lab(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario JSON file.")],
    strategy: Annotated[
        str, typer.Option(help="default, seed, linear, asap, fixed:P or oracle.")
    ] = "default",
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="Days to run (default: stopAfterDays).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON document.")] = False,
    trace: Annotated[
        Path | None, typer.Option(help="Write one CSV row per request to this file.")
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Log pacing decisions at debug level.")] = False,
) -> None:
    """Run a pacing scenario in virtual time and report every campaign-day."""
    # Imported here, not with the module: every command's module is imported to build the
    # CLI, and `promovolve serve` should not pay for the simulator and Rich at start.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from promovolve.engine.policies import UnknownPolicyError, policy_named
    from promovolve.sim.lab import run_lab
    from promovolve.sim.report import render_report
    from promovolve.sim.scenario import ScenarioError, load_scenario
    from promovolve.sim.traffic import expected_day_requests

    err = Console(stderr=True)
    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s %(levelname)s %(message)s")
    try:
        scenario, warnings = load_scenario(scenario_path)
        if strategy != "oracle":
            policy_named(strategy)
    except (ScenarioError, UnknownPolicyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    run_days = days if days is not None else scenario.stop_after_days
    estimate = sum(
        expected_day_requests(traffic, d)
        for _, traffic in scenario.site_traffic()
        for d in range(1, run_days + 1)
    )
    if scenario.max_requests is not None:
        estimate = min(estimate, scenario.max_requests)
    if trace is not None:
        try:
            trace.parent.mkdir(parents=True, exist_ok=True)
            trace.open("w").close()
        except OSError as exc:
            typer.echo(f"error: cannot write trace file {trace}: {exc.strerror}", err=True)
            raise typer.Exit(2) from exc
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task(f"{scenario.name} ({strategy})", total=max(1, int(estimate)))

        def on_progress(done: int, day: int) -> None:
            progress.update(
                task, completed=done, description=f"{scenario.name} ({strategy}) day {day}"
            )

        result = run_lab(scenario, strategy, seed, days, trace, on_progress)
    if as_json:
        typer.echo(json.dumps(result))
    else:
        render_report(result, Console())
