"""Three real `promovolve serve` processes on one PostgreSQL database and one Redis spend
one campaign's daily budget: never more, and exactly what they answered."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from pathlib import Path

import httpx
from benchmarks.server import ServerProcess, running_server

from promovolve.sim.live.api import Api
from promovolve.sim.live.world import SimWorld, WorldBuilder
from promovolve.sim.plan import build_plan
from promovolve.sim.scenario import parse_scenario
from tests.api.dbutil import PG_URL, drop_schema, new_schema, pg_fetch, require_pg
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis

BUDGET_USD = 0.05
CPM_USD = 2.0


def _world(server: ServerProcess, admin_key: str, run: str) -> SimWorld:
    scenario, _ = parse_scenario(
        {
            "name": "three-processes",
            "advertisers": 1,
            "campaignsPerAdvertiser": 1,
            "creativesPerCampaign": 2,
            "budget": BUDGET_USD,
            "cpms": [CPM_USD],
            "categories": ["shared"],
        },
        "test",
    )
    plan = build_plan(scenario, prefix=f"{run}-")

    async def build() -> SimWorld:
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:
            builder = WorldBuilder(Api(client), admin_key, plan)
            return await builder.build({"testThrottleOverride": 0.0})

    return asyncio.run(build())


def _serve(server: ServerProcess, world: SimWorld, n: int) -> list[float]:
    """The prices of the selected slots of one serve request."""
    body = {
        "siteId": world.site_id,
        "url": world.page_url or f"https://{world.domain}/articles/{n}",
        "slots": [{"id": "top", "width": 300, "height": 250}],
        "categories": list(world.categories),
    }
    answer = httpx.post(server.url + "/v1/serve", json=body, timeout=10.0)
    assert answer.status_code == 200, answer.text
    return [s["priceCpm"] for s in answer.json()["slots"] if s["outcome"] == "selected"]


def test_three_processes_spend_one_budget_exactly(tmp_path: Path):
    require_pg()
    require_redis()
    schema = new_schema()
    env = {
        "PROMOVOLVE_DATABASE_URL": PG_URL,
        "PROMOVOLVE_DATABASE_SCHEMA": schema,
        "PROMOVOLVE_REDIS_URL": REDIS_URL,
        "PROMOVOLVE_DATA_DIR": str(tmp_path),  # one numba cache for the three
        "PROMOVOLVE_ADMIN_KEY": "admin-" + fresh_prefix(),
    }
    try:
        with ExitStack() as stack:
            first = stack.enter_context(running_server(env))
            world = _world(first, env["PROMOVOLVE_ADMIN_KEY"], fresh_prefix())
            # The others start on the database the first one wrote.
            servers = [first] + [stack.enter_context(running_server(env)) for _ in range(2)]
            prices: list[float] = []
            misses = 0
            n = 0
            while misses < 30:  # round robin, so each process spends part of the budget
                selected = _serve(servers[n % 3], world, n)
                prices += selected
                misses = 0 if selected else misses + 1
                n += 1
        spent_micros = round(sum(p * 1000 for p in prices))  # priceCpm is per 1000 slots
        budget_micros = round(BUDGET_USD * 1_000_000)
        assert spent_micros <= budget_micros
        # Exhausted: what is left is less than one more slot.
        assert budget_micros - spent_micros < min(prices) * 1000
        [(recorded,)] = pg_fetch(
            schema, "SELECT COALESCE(SUM(amount_micros), 0) FROM spend_reservations"
        )
        assert int(recorded) == spent_micros
    finally:
        drop_schema(schema)
