"""The serve benchmark across setups, in one run: the embedded default (SQLite, in-memory
hot state), then Redis and PostgreSQL with one process and with two.

Each setup gets a fresh world (one site, a pool of campaigns, `testThrottleOverride` 0 so
every serve selects and reserves) built through its first process; a second process starts
after it, on the same database and Redis, so it loads the same world. The load is spread
over the processes (a load generator per process, run at the same time, as a balancer
would spread it). Measured per setup: saturated serve throughput and latency, then the
latency at half that rate (paced, measured from when each request was due), and as its
reference the same paced load on the same servers' trivial `GET /healthz`: what the paced
Python generator and the shared cores add to any request. At half rate the servers also
time their own waits (`benchmarks.serve_waits`): for the ledger's confirmation and for
the commit of the spend.

Redis: the benchmark flushes the database number it is given before each setup.
PostgreSQL: each setup gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import asyncpg  # type: ignore[import-untyped]
import httpx
import redis

from benchmarks.cpu_use import CpuSplit, ceiling_requests_per_second, snapshot
from benchmarks.load import LoadGenerator, LoadResult
from benchmarks.serve_bench import BenchSite, outcomes_now, selected_between, setup_pool
from benchmarks.serve_waits import WaitSummary, waits_between, waits_now
from benchmarks.server import ServerProcess, running_server, tail

TARGET_TWO_OVER_ONE = 1.5
TARGET_REDIS_OVER_EMBEDDED = 0.7
TARGET_HALF_RATE_P99_MS = 5.0


@dataclass(frozen=True, slots=True)
class Setup:
    name: str
    processes: int
    shared: bool  # Redis and PostgreSQL


SETUPS = (
    Setup("embedded", 1, False),
    Setup("Redis + PostgreSQL", 1, True),
    Setup("Redis + PostgreSQL", 2, True),
)


@dataclass(frozen=True, slots=True)
class NetworkBenchConfig:
    redis_url: str
    postgres_url: str
    seconds: float = 10.0
    warmup_seconds: float = 3.0
    pool_size: int = 10
    connections: int = 32


@dataclass(frozen=True, slots=True)
class SetupResult:
    setup: Setup
    saturated: LoadResult
    half_rate: LoadResult
    half_rate_healthz: LoadResult  # the reference: the same pace on the trivial endpoint
    selected_share: float
    cpu: CpuSplit  # used during the saturated run
    half_rate_waits: dict[str, WaitSummary]  # timed inside the servers, by what for

    @property
    def cpu_micros_per_request(self) -> dict[str, float]:
        return self.cpu.per_request_micros(self.saturated.requests)

    @property
    def ceiling_requests_per_second(self) -> float:
        return ceiling_requests_per_second(self.cpu, self.saturated.requests)


def _combined(results: list[LoadResult]) -> LoadResult:
    """Several generators' figures as one: summed throughput, the worst percentiles."""
    return LoadResult(
        tool=results[0].tool,
        requests=sum(r.requests for r in results),
        seconds=max(r.seconds for r in results),
        requests_per_second=sum(r.requests_per_second for r in results),
        p50_ms=max(r.p50_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
    )


def _raw(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _drop_schema(url: str, schema: str) -> None:
    async def drop() -> None:
        conn = await asyncpg.connect(_raw(url), timeout=10)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(drop())


@contextmanager
def _servers(
    setup: Setup, config: NetworkBenchConfig
) -> Iterator[tuple[list[ServerProcess], BenchSite]]:
    admin_key = "bench-" + secrets.token_urlsafe(24)
    env = {"PROMOVOLVE_ADMIN_KEY": admin_key}
    schema = f"bench_{secrets.token_hex(6)}"
    if setup.shared:
        redis.Redis.from_url(config.redis_url).flushdb()
        env |= {
            "PROMOVOLVE_REDIS_URL": config.redis_url,
            "PROMOVOLVE_DATABASE_URL": config.postgres_url,
            "PROMOVOLVE_DATABASE_SCHEMA": schema,
        }
    try:
        with ExitStack() as stack:
            first = stack.enter_context(running_server(env))
            site = asyncio.run(_setup(first.url, admin_key, config.pool_size))
            servers = [first]
            servers += [
                stack.enter_context(running_server(env)) for _ in range(setup.processes - 1)
            ]
            yield servers, site
            for server in servers:
                if server.process.poll() is not None:
                    raise RuntimeError(f"a server died during the run:\n{tail(server.log)}")
    finally:
        if setup.shared:
            _drop_schema(config.postgres_url, schema)


async def _setup(url: str, admin_key: str, pool_size: int) -> BenchSite:
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        return await setup_pool(client, admin_key, secrets.token_hex(3), pool_size)


def measure(setup: Setup, config: NetworkBenchConfig, say: Callable[[str], None]) -> SetupResult:
    per_server = max(1, config.connections // setup.processes)
    generator = LoadGenerator(per_server)
    try:
        with _servers(setup, config) as (servers, site):
            body = site.serve_body()
            urls = [s.url + "/v1/serve" for s in servers]

            def spread(seconds: float) -> LoadResult:
                with ThreadPoolExecutor(len(urls)) as pool:
                    runs = [pool.submit(generator.run, u, seconds, "POST", body) for u in urls]
                    return _combined([r.result() for r in runs])

            label = f"{setup.name} ×{setup.processes}"
            say(f"{label}: warming up {config.warmup_seconds:g}s")
            spread(config.warmup_seconds)
            time.sleep(1.0)
            before = [outcomes_now(s.url) for s in servers]
            say(f"{label}: saturated, {config.seconds:g}s")
            pids = [s.process.pid for s in servers]
            cpu_before = snapshot(pids)
            saturated = spread(config.seconds)
            cpu = snapshot(pids) - cpu_before
            after = [outcomes_now(s.url) for s in servers]
            share = min(selected_between(b, a) for b, a in zip(before, after, strict=True))
            rate = saturated.requests_per_second / 2
            say(f"{label}: at half that rate ({rate:,.0f} req/s), {config.seconds:g}s")
            paced = LoadGenerator(config.connections)
            waits_before = [waits_now(s.url) for s in servers]
            half = paced.run_paced(urls, config.seconds, rate, "POST", body)
            waits = waits_between(waits_before, [waits_now(s.url) for s in servers])
            health = [s.url + "/healthz" for s in servers]
            say(f"{label}: GET /healthz at that rate, {config.seconds:g}s")
            half_health = paced.run_paced(health, config.seconds, rate, "GET", None)
            paced.close()
    finally:
        generator.close()
    return SetupResult(setup, saturated, half, half_health, share, cpu, waits)


def run_network_benchmark(
    config: NetworkBenchConfig, progress: Callable[[str], None] | None = None
) -> list[SetupResult]:
    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    return [measure(setup, config, say) for setup in SETUPS]


def two_over_one_ceiling(results: list[SetupResult]) -> float:
    """The highest 2-over-1 ratio this machine allows at the CPU per request measured with
    two processes: its cores' requests a second at that cost over one process's rate."""
    one, two = results[1], results[2]
    return two.ceiling_requests_per_second / one.saturated.requests_per_second


def verdicts(results: list[SetupResult]) -> list[tuple[str, float, float, bool]]:
    """(target, measured, wanted, met) for each of the scale-out targets."""
    embedded, one, two = (r.saturated.requests_per_second for r in results)
    one_p99 = results[1].half_rate.p99_ms
    return [
        (
            "2 processes / 1 (Redis)",
            two / one,
            TARGET_TWO_OVER_ONE,
            two / one >= TARGET_TWO_OVER_ONE,
        ),
        (
            "Redis 1 process / embedded",
            one / embedded,
            TARGET_REDIS_OVER_EMBEDDED,
            one / embedded >= TARGET_REDIS_OVER_EMBEDDED,
        ),
        (
            "p99 ms at half rate (Redis, 1 process)",
            one_p99,
            TARGET_HALF_RATE_P99_MS,
            one_p99 <= TARGET_HALF_RATE_P99_MS,
        ),
    ]
