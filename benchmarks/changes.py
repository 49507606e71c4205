"""``python -m benchmarks.changes``: how long a management change takes to be in force on
every process. Starts ``--processes`` real servers on one PostgreSQL schema (made for the
run, dropped after) and one Redis, then through the first process revokes and re-approves a
creative ``--rounds`` times, serving on another process right after each call answers.

Reports the calls' latency (a revoke waits for every process; an approve too, at most 1 s)
and how often the very next serve elsewhere disobeyed the change (it must be never).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from contextlib import ExitStack

from sqlalchemy import text

from benchmarks.networld import build, call
from benchmarks.server import running_server
from promovolve.store import database


def _drop(url: str, schema: str) -> None:
    async def drop() -> None:
        engine = database.create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()

    asyncio.run(drop())


def _ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.changes", description=__doc__)
    parser.add_argument("--database-url", required=True, help="postgresql+asyncpg://...")
    parser.add_argument("--redis-url", required=True, help="redis://host:6379/N")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    schema = "bench_changes_" + uuid.uuid4().hex[:8]
    admin_key = "admin-" + uuid.uuid4().hex
    env = {
        "PROMOVOLVE_DATABASE_URL": args.database_url,
        "PROMOVOLVE_DATABASE_SCHEMA": schema,
        "PROMOVOLVE_REDIS_URL": args.redis_url,
        "PROMOVOLVE_ADMIN_KEY": admin_key,
    }
    revokes: list[float] = []
    approves: list[float] = []
    disobeyed = 0
    try:
        with ExitStack() as stack:
            urls = [stack.enter_context(running_server(env)).url for _ in range(args.processes)]
            network = build(urls[0], admin_key)
            path = f"{network.site_path}/approvals/{network.creative_id}"
            for n in range(args.rounds):
                other = urls[1 + n % (len(urls) - 1)]
                started = time.perf_counter()
                call(urls[0], "POST", path + "/revoke", network.publisher_key)
                revokes.append(time.perf_counter() - started)
                disobeyed += network.serve(other)["outcome"] == "selected"
                started = time.perf_counter()
                call(urls[0], "POST", path + "/approve", network.publisher_key)
                approves.append(time.perf_counter() - started)
                disobeyed += network.serve(other)["outcome"] != "selected"
    finally:
        _drop(args.database_url, schema)
    print(f"{args.processes} processes, {args.rounds} revoke/approve rounds through one")
    for name, values in (("revoke (strict)", revokes), ("approve", approves)):
        print(
            f"{name:16} p50 {_ms(values, 0.5)} ms  p99 {_ms(values, 0.99)} ms  "
            f"max {max(values) * 1000:.1f} ms  mean {statistics.mean(values) * 1000:.1f} ms"
        )
    print(f"next serve on another process disobeyed the change: {disobeyed} times")
    return 0 if disobeyed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
