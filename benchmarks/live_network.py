"""``python -m benchmarks.live_network SCENARIO``: a live run through several processes.

Starts ``--processes`` real ``promovolve serve`` processes on one new PostgreSQL schema and
one Redis, runs ``promovolve simulate`` with one ``--url`` per process, ``--trace`` and
``--json``, and prints the lab's summary of the run and its eligible days. The world is
created through the first process; the others start once it exists, so they load it at
start (the run begins when every process knows the site). The schema is dropped at the end.

Options: ``--processes N`` (3), ``--redis-url`` (``redis://127.0.0.1:6379/13``),
``--database-url`` (``postgresql+asyncpg://postgres@127.0.0.1:5432/test``), ``--out DIR``
(where the trace, the JSON report and the simulator's output go; default a temp dir).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from benchmarks.server import free_port, running_server

CREATED = "Created publisher"  # what simulate prints once the world exists
READY_SECONDS = 180.0  # a first start compiles the serve loops (numba) into the data dir


def _drop_schema(database_url: str, schema: str) -> None:
    async def drop() -> None:
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(dsn, timeout=5)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(drop())


def _wait_for_world(log: Path, process: subprocess.Popen[bytes]) -> None:
    while CREATED not in log.read_text(encoding="utf-8", errors="replace"):
        if process.poll() is not None:
            raise SystemExit(f"simulate exited before the world existed:\n{log.read_text()}")
        time.sleep(0.2)


def run(scenario: Path, processes: int, redis_url: str, database_url: str, out: Path) -> int:
    schema = f"live_{secrets.token_hex(4)}"
    env = {
        "PROMOVOLVE_DATABASE_URL": database_url,
        "PROMOVOLVE_DATABASE_SCHEMA": schema,
        "PROMOVOLVE_REDIS_URL": redis_url,
        "PROMOVOLVE_DATA_DIR": str(out),  # one numba cache for all of them
        "PROMOVOLVE_ADMIN_KEY": "live-" + secrets.token_urlsafe(16),
    }
    ports = [free_port() for _ in range(processes)]
    trace, report, log = out / "trace.csv", out / "report.json", out / "simulate.log"
    command = [sys.executable, "-m", "promovolve.cli.main", "simulate", str(scenario)]
    for port in ports:
        command += ["--url", f"http://127.0.0.1:{port}"]
    command += ["--admin-key", env["PROMOVOLVE_ADMIN_KEY"], "--trace", str(trace), "--json"]
    try:
        with ExitStack() as stack:
            stack.enter_context(running_server(env, ports[0], READY_SECONDS))
            with report.open("wb") as stdout, log.open("wb") as stderr:
                simulator = subprocess.Popen(command, stdout=stdout, stderr=stderr)
                _wait_for_world(log, simulator)
                for port in ports[1:]:
                    stack.enter_context(running_server(env, port, READY_SECONDS))
                code = simulator.wait()
    finally:
        _drop_schema(database_url, schema)
    if code != 0:
        print(log.read_text(encoding="utf-8", errors="replace")[-3000:], file=sys.stderr)
        return code
    _print(json.loads(report.read_text()), out)
    return 0


def _print(result: dict[str, Any], out: Path) -> None:
    urls = result["simulation"]["urls"]
    print(
        f"{result['scenario']}: {len(urls)} processes, {result['simulation']['requests']} requests"
    )
    for day in result["days"]:
        for c in day["campaigns"]:
            print(
                f"day {day['day']} {c['campaignId']}: utilization {c['utilization']:.4f} "
                f"pacingError {c['pacingError']:.4f} eligible {c['eligible']}"
            )
    print("summary", json.dumps(result["summary"]))
    print(f"trace, report and simulator output in {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="promovolve-live-"))
    out.mkdir(parents=True, exist_ok=True)
    return run(args.scenario, args.processes, args.redis_url, args.database_url, out)


if __name__ == "__main__":
    sys.exit(main())
