"""``python -m benchmarks.run``: the serve-path benchmark with a Rich table (``make bench``).

Each pool size is measured in ``--rounds`` rounds (default 3): ``GET /healthz`` then
``POST /v1/serve``, back to back; the table shows the median round's figures and the ratio's
median with its range over the rounds.

Options: ``--seconds N`` (per measurement), ``--rounds R``, ``--pool-sizes 1,10,100``,
``--connections C``, ``--python-loadgen`` (skip wrk), ``--default-pacing`` (the default
per-campaign gate instead of ``testThrottleOverride`` 0), ``--json`` (print the results as
JSON instead of a table).

``--network --redis-url URL`` measures the scale-out setups instead (``benchmarks.network_bench``):
embedded, Redis + PostgreSQL with one process and with two, in one run (``--postgres-url``,
default the local ``test`` database; the Redis database given is flushed).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict

from rich.console import Console
from rich.table import Table

from benchmarks.commit_floor import commit_latency_ms
from benchmarks.cpu_use import cores
from benchmarks.network_bench import (
    NetworkBenchConfig,
    SetupResult,
    run_network_benchmark,
    two_over_one_ceiling,
    verdicts,
)
from benchmarks.serve_bench import (
    TARGET_RATIO,
    BenchConfig,
    PoolResult,
    SetupError,
    results_json,
    run_benchmark,
)

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def parse_pool_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected e.g. 1,10,100, got {text!r}") from None
    if not sizes or any(size < 1 or size > 10_000 for size in sizes):
        raise argparse.ArgumentTypeError("pool sizes must be between 1 and 10000")
    if len(set(sizes)) != len(sizes):
        raise argparse.ArgumentTypeError(f"each pool size once, got {text!r}")
    return sizes


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def results_table(tool: str, pacing: str, results: Sequence[PoolResult]) -> Table:
    table = Table(
        title=f"Promovolve serve benchmark (load generator: {tool}; pacing: {pacing})",
        caption=(
            "serve = POST /v1/serve, healthz = GET /healthz; ratio = serve/healthz req/s, "
            "the median round's (lowest–highest round)"
        ),
    )
    table.add_column("pool", justify="right")
    table.add_column("endpoint")
    table.add_column("req/s", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("selected", justify="right")
    table.add_column("ratio", justify="right")
    for r in results:
        style = "green" if r.ratio >= TARGET_RATIO else "red"
        for name, load in (("healthz", r.healthz), ("serve", r.serve)):
            table.add_row(
                str(r.pool_size),
                name,
                f"{load.requests_per_second:,.0f}",
                f"{load.p50_ms:.2f}",
                f"{load.p99_ms:.2f}",
                str(load.errors),
                f"{r.selected_share:.0%}" if load is r.serve else "",
                f"[{style}]{r.ratio:.2f}[/] ({min(r.ratios):.2f}–{max(r.ratios):.2f})"
                if load is r.serve
                else "",
            )
        table.add_section()
    return table


def network_table(results: Sequence[SetupResult]) -> Table:
    table = Table(
        title="Promovolve serve benchmark across setups (one run)",
        caption="saturated: load generators at full speed, one per process; half rate: "
        "paced at half the saturated req/s, latency from when each request was due",
    )
    for column in ("setup", "processes", "req/s", "p50 ms", "p99 ms", "errors", "selected"):
        table.add_column(column, justify="left" if column == "setup" else "right")
    table.add_column("half-rate p50 / p99 ms", justify="right")
    table.add_column("healthz at that rate p50 / p99 ms", justify="right")
    table.add_column("CPU µs/req server+redis+pg+load", justify="right")
    for r in results:
        s = r.saturated
        cpu = r.cpu_micros_per_request
        table.add_row(
            r.setup.name,
            str(r.setup.processes),
            f"{s.requests_per_second:,.0f}",
            f"{s.p50_ms:.2f}",
            f"{s.p99_ms:.2f}",
            str(s.errors + r.half_rate.errors),
            f"{r.selected_share:.0%}",
            f"{r.half_rate.p50_ms:.2f} / {r.half_rate.p99_ms:.2f}",
            f"{r.half_rate_healthz.p50_ms:.2f} / {r.half_rate_healthz.p99_ms:.2f}",
            f"{cpu['servers']:.0f}+{cpu['redis']:.0f}+{cpu['postgres']:.0f}"
            f"+{cpu['loadGenerators']:.0f}",
        )
    return table


def waits_line(result: SetupResult) -> str:
    """What a serve waited for inside the server at half rate, for one setup."""
    waits = ", ".join(
        f"{wait} p50 {w.p50_ms:.2f} / p99 {w.p99_ms:.2f} ms ({w.over_5ms_share:.1%} over 5 ms)"
        for wait, w in result.half_rate_waits.items()
        if w.count
    )
    label = f"{result.setup.name} ×{result.setup.processes}"
    return f"{label} at half rate, waiting inside the server: {waits or 'nothing timed'}"


def network_main(args: argparse.Namespace) -> int:
    config = NetworkBenchConfig(
        redis_url=args.redis_url,
        postgres_url=args.postgres_url,
        seconds=args.seconds,
        warmup_seconds=args.warmup,
        pool_size=args.pool_sizes[0],
        connections=args.connections,
    )
    err = Console(stderr=True)
    try:
        results = run_network_benchmark(config, progress=lambda m: err.print(f"[dim]{m}[/]"))
    except (RuntimeError, SetupError) as error:
        err.print(f"[bold red]benchmark failed:[/] {error}")
        return 1
    checks = verdicts(results)
    commit_p50, commit_p99 = commit_latency_ms(args.postgres_url)
    if args.json:
        data = {
            "setups": [
                {
                    "setup": r.setup.name,
                    "processes": r.setup.processes,
                    "saturated": asdict(r.saturated),
                    "halfRate": asdict(r.half_rate),
                    "halfRateHealthz": asdict(r.half_rate_healthz),
                    "selectedShare": r.selected_share,
                    "cpuMicrosPerRequest": r.cpu_micros_per_request,
                    "halfRateWaits": {w: asdict(s) for w, s in r.half_rate_waits.items()},
                }
                for r in results
            ],
            "twoOverOneCeiling": round(two_over_one_ceiling(results), 3),
            "postgresCommitMs": {"p50": round(commit_p50, 3), "p99": round(commit_p99, 3)},
            "targets": [
                {"target": t, "measured": round(m, 3), "wanted": w, "met": ok}
                for t, m, w, ok in checks
            ],
        }
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    console = Console()
    console.print(network_table(results))
    for target, measured, wanted, met in checks:
        sign = "≤" if "p99" in target else "≥"
        verdict = "[green]meets[/]" if met else "[red]misses[/]"
        console.print(f"{target}: {measured:.2f} — {verdict} the target {sign} {wanted:g}")
    for r in results:
        console.print(waits_line(r))
    console.print(
        f"the most 2 processes / 1 can be on {cores()} cores at the CPU per request measured "
        f"(servers, Redis, PostgreSQL and load generators share them): "
        f"{two_over_one_ceiling(results):.2f}"
    )
    console.print(
        f"PostgreSQL's own one-row commit here (a served ad waits for one): "
        f"p50 {commit_p50:.2f} ms, p99 {commit_p99:.2f} ms"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--rounds", type=positive_int, default=3, help="rounds per pool size")
    parser.add_argument("--warmup", type=float, default=2.0, help="serve warm-up seconds")
    parser.add_argument("--pool-sizes", type=parse_pool_sizes, default=(1, 10, 100))
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--python-loadgen", action="store_true", help="do not use wrk")
    parser.add_argument(
        "--default-pacing",
        action="store_true",
        help="pace with the default gate instead of testThrottleOverride 0",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--redis-url", help="serve with the budget ledger in this Redis")
    parser.add_argument(
        "--network",
        action="store_true",
        help="embedded vs Redis + PostgreSQL with 1 and 2 processes (needs --redis-url)",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--http-server",
        choices=("uvicorn", "granian"),
        default="uvicorn",
        help="run the app on uvicorn (as `promovolve serve`) or on Granian, to compare them",
    )
    args = parser.parse_args(argv)
    if args.network:
        if not args.redis_url:
            parser.error("--network needs --redis-url")
        return network_main(args)
    config = BenchConfig(
        seconds=args.seconds,
        warmup_seconds=args.warmup,
        pool_sizes=args.pool_sizes,
        rounds=args.rounds,
        connections=args.connections,
        force_python=args.python_loadgen,
        default_pacing=args.default_pacing,
        redis_url=args.redis_url,
        http_server=args.http_server,
    )
    err = Console(stderr=True)
    try:
        tool, results = run_benchmark(config, progress=lambda m: err.print(f"[dim]{m}[/]"))
    except (RuntimeError, SetupError) as error:
        err.print(f"[bold red]benchmark failed:[/] {error}")
        return 1
    if args.json:
        json.dump(results_json(tool, config, results), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        console = Console()
        console.print(results_table(tool, config.pacing, results))
        worst = min((r.ratio for r in results), default=0.0)
        verdict = "meets" if worst >= TARGET_RATIO else "misses"
        console.print(
            f"serve/healthz throughput ratio (median of rounds): worst {worst:.2f} — "
            f"{verdict} the target ≥ {TARGET_RATIO:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
