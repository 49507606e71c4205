"""The `promovolve simulate` command: the live HTTP simulator (issue 3, section 6)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import typer

from promovolve.settings import ADMIN_KEY_FILE, DEFAULT_DATA_DIR


class AdminKeyError(Exception):
    pass


def resolve_admin_key(
    given: str | None, environ: dict[str, str] | None = None, data_dir: Path | None = None
) -> str:
    """The admin key: the option, else PROMOVOLVE_ADMIN_KEY, else the key file the server
    keeps in its data dir (``data_dir``, else PROMOVOLVE_DATA_DIR, else ``./var`` as the
    server's default)."""
    env = dict(os.environ) if environ is None else environ
    if given:
        return given.strip()
    from_env = env.get("PROMOVOLVE_ADMIN_KEY", "").strip()
    if from_env:
        return from_env
    directory = data_dir or Path(env.get("PROMOVOLVE_DATA_DIR", "").strip() or DEFAULT_DATA_DIR)
    path = directory / ADMIN_KEY_FILE
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = ""
    except OSError as error:
        raise AdminKeyError(f"cannot read the admin key from {path}: {error}") from None
    if not key:
        raise AdminKeyError(
            f"no admin key: no key file at {path} (the server writes it on its first start "
            "in its data dir); pass --admin-key, set PROMOVOLVE_ADMIN_KEY, or point "
            "--data-dir / PROMOVOLVE_DATA_DIR at the server's data dir"
        )
    return key


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate_command(
        scenario: Path = typer.Argument(..., help="Scenario JSON file (see PACING_LAB.md)."),
        urls: list[str] = typer.Option(
            ["http://127.0.0.1:8080"],
            "--url",
            envvar="PROMOVOLVE_URL",
            help="Base URL of the running server; repeat it for several processes of one "
            "network, and the traffic is spread over them in turn.",
        ),
        admin_key: str | None = typer.Option(
            None,
            "--admin-key",
            help="Admin API key (default: PROMOVOLVE_ADMIN_KEY, else the server's data dir).",
        ),
        data_dir: Path | None = typer.Option(
            None,
            "--data-dir",
            help="The server's data dir, to read its admin key from "
            "(default: PROMOVOLVE_DATA_DIR, else ./var).",
        ),
        continuous: bool = typer.Option(
            False, "--continuous", help="Keep running across days until Ctrl-C."
        ),
        concurrency: int | None = typer.Option(
            None,
            "--concurrency",
            min=1,
            help="Most requests in flight at once (default: the simulator's, 64).",
        ),
        trace: Path | None = typer.Option(
            None, "--trace", help="Write the lab's per-request trace CSV (PACING_LAB.md)."
        ),
        as_json: bool = typer.Option(
            False,
            "--json",
            help="Print the lab's JSON report of the run on stdout (the live output goes "
            "to stderr).",
        ),
    ) -> None:
        """Drive a running server with a scenario's traffic in real time and report pacing."""
        # Imported here, not with the module: every command's module is imported to build
        # the CLI, and `promovolve serve` should not pay for the simulator at start.
        from rich.console import Console

        from promovolve.sim.live import DEFAULT_CONCURRENCY, simulate
        from promovolve.sim.live.world import NetworkPlanError, only_site
        from promovolve.sim.plan import build_plan
        from promovolve.sim.scenario import ScenarioError, load_scenario

        console = Console(stderr=as_json)
        err = Console(stderr=True)
        try:
            parsed, warnings = load_scenario(scenario)
        except ScenarioError as error:
            err.print(f"[bold red]error:[/] {error}")
            raise typer.Exit(2) from None
        for warning in warnings:
            err.print(f"[yellow]warning:[/] {warning}")
        try:
            only_site(build_plan(parsed))
        except NetworkPlanError as error:
            err.print(f"[bold red]error:[/] {error}")
            raise typer.Exit(2) from None
        try:
            key = resolve_admin_key(admin_key, data_dir=data_dir)
        except AdminKeyError as error:
            err.print(f"[bold red]error:[/] {error}")
            raise typer.Exit(2) from None
        for url in urls:
            if not url.startswith(("http://", "https://")):
                err.print(f"[bold red]error:[/] --url must be an http(s) URL, got {url!r}")
                raise typer.Exit(2)
        if trace is not None:
            try:
                trace.parent.mkdir(parents=True, exist_ok=True)
                trace.open("w").close()
            except OSError as exc:
                err.print(f"[bold red]error:[/] cannot write trace file {trace}: {exc.strerror}")
                raise typer.Exit(2) from None
        mode = "continuous" if continuous or parsed.continuous else "bounded"
        console.print(
            f"[bold]Simulating[/] {parsed.name} against {', '.join(urls)} ({mode}; "
            f"{parsed.day_duration_seconds}s days, report every {parsed.report_every} requests)"
        )
        try:
            result = asyncio.run(
                simulate(
                    parsed,
                    urls,
                    key,
                    continuous=continuous,
                    console=console,
                    concurrency=DEFAULT_CONCURRENCY if concurrency is None else concurrency,
                    trace_path=trace,
                    lab_report=as_json,
                )
            )
        except KeyboardInterrupt:  # only where Ctrl-C cannot be handled by the simulator
            raise typer.Exit(130) from None
        if result.lab_report is not None:
            typer.echo(json.dumps(result.lab_report))
        if result.error:
            raise typer.Exit(1)
        if result.interrupted:
            raise typer.Exit(130)
