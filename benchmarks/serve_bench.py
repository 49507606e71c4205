"""Serve-path benchmark (issue 3, section 8).

Starts a real ``promovolve serve`` subprocess (:mod:`benchmarks.server`), creates one world
per candidate-pool size from a world plan (:func:`pool_plan`: N campaigns that all match the
page, each with approved creatives, big budgets, ``testThrottleOverride`` 0 so every serve
selects), then measures with a load generator in a separate process (:mod:`benchmarks.load`)
both ``POST /v1/serve`` and the trivial
``GET /healthz`` of the same server in the same run: throughput and p50/p99 latency.
The figure of merit is serve throughput / healthz throughput (target ≥ 0.5).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.load import LoadGenerator, LoadResult
from benchmarks.server import running_server, tail
from promovolve.sim.live.api import Api, ApiError
from promovolve.sim.live.world import WorldBuilder
from promovolve.sim.plan import WorldPlan, build_plan
from promovolve.sim.scenario import parse_scenario

TARGET_RATIO = 0.5
SLOT = {"id": "slot-1", "width": 300, "height": 250}
CREATIVES_PER_CAMPAIGN = 2
BIG_BUDGET = 1_000_000.0  # dollars a day: never runs out during a run


@dataclass(frozen=True, slots=True)
class Round:
    """One healthz run and the serve run right after it: the pair a ratio compares."""

    healthz: LoadResult
    serve: LoadResult
    selected_share: float  # of the slots served during the serve run

    @property
    def ratio(self) -> float:
        trivial = self.healthz.requests_per_second
        return self.serve.requests_per_second / trivial if trivial > 0 else 0.0


@dataclass(frozen=True, slots=True)
class PoolResult:
    """All rounds of one pool size. A shared machine drifts and stalls, so each round pairs
    the two endpoints back to back and the figures are the median round's."""

    pool_size: int
    rounds: tuple[Round, ...]

    def _median_by(self, key: Any) -> Round:
        ordered = sorted(self.rounds, key=key)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def ratio(self) -> float:
        return self._median_by(lambda r: r.ratio).ratio

    @property
    def ratios(self) -> list[float]:
        return [r.ratio for r in self.rounds]

    @property
    def serve(self) -> LoadResult:
        return self._median_by(lambda r: r.serve.requests_per_second).serve

    @property
    def healthz(self) -> LoadResult:
        return self._median_by(lambda r: r.healthz.requests_per_second).healthz

    @property
    def selected_share(self) -> float:
        return min(r.selected_share for r in self.rounds)


class SetupError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class BenchSite:
    pool_size: int
    site_id: str
    domain: str
    category: str

    def serve_body(self) -> str:
        return json.dumps(
            {
                "siteId": self.site_id,
                "url": f"https://{self.domain}/articles/benchmark",
                "slots": [SLOT],
                "categories": [self.category],
            },
            separators=(",", ":"),
        )


def pool_plan(pool_size: int, run: str) -> WorldPlan:
    """A site whose page matches exactly ``pool_size`` campaigns (one per advertiser, CPMs
    cycling from $1.50 to $5.50 and $1.00), two creatives each, budgets that never run out."""
    scenario, _ = parse_scenario(
        {
            "name": f"bench-pool-{pool_size}",
            "advertisers": pool_size,
            "campaignsPerAdvertiser": 1,
            "creativesPerCampaign": CREATIVES_PER_CAMPAIGN,
            "budget": BIG_BUDGET,
            "cpms": [1.0 + (c % 10) * 0.5 for c in range(1, 11)],
            "categories": [f"bench{pool_size}"],
        },
        "bench",
    )
    return build_plan(scenario, prefix=f"bench-{run}-p{pool_size}-")


async def setup_pool(
    client: httpx.AsyncClient,
    admin_key: str,
    run: str,
    pool_size: int,
    default_pacing: bool = False,
) -> BenchSite:
    """Create :func:`pool_plan`'s world, all creatives approved.

    Paced by ``testThrottleOverride`` 0 (a site-level gate that passes every request), or
    with ``default_pacing`` by the default per-campaign gate (budgets are big enough that
    it passes nearly every request too).
    """
    plan = pool_plan(pool_size, run)
    pacing = {} if default_pacing else {"testThrottleOverride": 0.0}
    try:
        world = await WorldBuilder(Api(client), admin_key, plan).build(pacing)
    except ApiError as error:
        raise SetupError(str(error)) from None
    return BenchSite(pool_size, world.site_id, world.domain, plan.sites[0].categories[0])


async def setup_pools(
    url: str, admin_key: str, run: str, config: BenchConfig, say: Callable[[str], None]
) -> list[BenchSite]:
    sites = []
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        for size in config.pool_sizes:
            say(f"setting up a pool of {size} campaigns")
            sites.append(await setup_pool(client, admin_key, run, size, config.default_pacing))
    return sites


OUTCOME_COUNTER = "promovolve_serve_outcomes"


def parse_outcomes(metrics_text: str) -> dict[str, float]:
    """Serve outcome counters (by ``outcome`` label) from the server's `/metrics` text."""
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(metrics_text)
        if family.name == OUTCOME_COUNTER and family.type == "counter"
        for sample in family.samples
        if sample.name == OUTCOME_COUNTER + "_total" and "outcome" in sample.labels
    }


def selected_between(before: dict[str, float], after: dict[str, float]) -> float:
    """Share of the slots decided between two readings that were `selected`."""
    decided = sum(after.values()) - sum(before.values())
    selected = after.get("selected", 0.0) - before.get("selected", 0.0)
    return selected / decided if decided > 0 else 0.0


def metrics_text(server_url: str) -> str:
    response = httpx.get(server_url + "/metrics", timeout=30.0)
    response.raise_for_status()
    return response.text


def outcomes_now(server_url: str) -> dict[str, float]:
    return parse_outcomes(metrics_text(server_url))


@dataclass(frozen=True, slots=True)
class BenchConfig:
    seconds: float = 10.0
    warmup_seconds: float = 2.0
    settle_seconds: float = 2.0  # idle time before each pool, so background writes drain
    pool_sizes: Sequence[int] = (1, 10, 100)
    rounds: int = 3  # healthz-then-serve pairs per pool size
    connections: int = 32
    threads: int = 1
    force_python: bool = False
    default_pacing: bool = False
    redis_url: str | None = None  # the server shares its budget ledger through this Redis
    http_server: str = "uvicorn"  # or "granian", the same app on another HTTP server

    @property
    def pacing(self) -> str:
        return "default" if self.default_pacing else "testThrottleOverride 0"


def run_benchmark(config: BenchConfig, progress: Any = None) -> tuple[str, list[PoolResult]]:
    """Start a server, set up the pools, measure; returns (load tool, results)."""

    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    generator = LoadGenerator(config.connections, config.threads, config.force_python)
    results: list[PoolResult] = []
    try:
        env = {"PROMOVOLVE_REDIS_URL": config.redis_url} if config.redis_url else None
        with running_server(env, http_server=config.http_server) as server:
            say(f"server up at {server.url}; load generator: {generator.tool}")
            run = secrets.token_hex(3)
            sites = asyncio.run(setup_pools(server.url, server.admin_key, run, config, say))
            health = server.url + "/healthz"
            serve = server.url + "/v1/serve"
            for site in sites:
                time.sleep(config.settle_seconds)
                body = site.serve_body()
                if config.warmup_seconds > 0:
                    generator.run(serve, config.warmup_seconds, "POST", body)
                rounds = []
                for number in range(1, config.rounds + 1):
                    say(
                        f"pool {site.pool_size}, round {number}/{config.rounds}: "
                        f"GET /healthz, then POST /v1/serve, {config.seconds:g}s each"
                    )
                    health_result = generator.run(health, config.seconds)
                    before = outcomes_now(server.url)
                    serve_result = generator.run(serve, config.seconds, "POST", body)
                    share = selected_between(before, outcomes_now(server.url))
                    rounds.append(Round(health_result, serve_result, share))
                results.append(PoolResult(site.pool_size, tuple(rounds)))
            if server.process.poll() is not None:
                raise RuntimeError(f"the server died during the run:\n{tail(server.log)}")
    finally:
        generator.close()
    return generator.tool, results


def results_json(tool: str, config: BenchConfig, results: Sequence[PoolResult]) -> dict[str, Any]:
    return {
        "loadGenerator": tool,
        "seconds": config.seconds,
        "rounds": config.rounds,
        "connections": config.connections,
        "targetRatio": TARGET_RATIO,
        "pacing": config.pacing,
        "pools": [
            {
                "poolSize": r.pool_size,
                "serve": _camel(asdict(r.serve)),
                "healthz": _camel(asdict(r.healthz)),
                "ratio": round(r.ratio, 4),
                "roundRatios": [round(ratio, 4) for ratio in r.ratios],
                "selectedShare": r.selected_share,
                "meetsTarget": r.ratio >= TARGET_RATIO,
            }
            for r in results
        ],
    }


def _camel(data: dict[str, Any]) -> dict[str, Any]:
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.capitalize() for part in rest)

    return {camel(k): v for k, v in data.items()}
