"""Two real `promovolve serve` processes share a site's traffic (round robin, as a load
balancer would): with the network pace in Redis they spend a campaign's budget along the
traffic, not twice as fast (which is what each process pacing on its own share would do)."""

from __future__ import annotations

import asyncio
import time
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

DAY_SECONDS = 60
BUDGET_USD = 1.2
RATE = 80.0  # requests a second over both processes
RUN_SECONDS = DAY_SECONDS / 3
FLAT = [100.0] * 24
PACING = {"warmupMode": False, "weekdayShapeVolumes": FLAT, "weekendShapeVolumes": FLAT}


def _start_the_day(clients: list[httpx.Client], world: SimWorld) -> None:
    """A new day length restarts a site's day: told to both processes at once, so their
    days begin together, as the traffic does."""
    body = {**PACING, "dayDurationSeconds": DAY_SECONDS}
    headers = {"Authorization": f"Bearer {world.publisher_key}"}
    for client in clients:
        answer = client.put(world.site_path("/pacing"), json=body, headers=headers)
        assert answer.status_code == 200, answer.text


def _world(server: ServerProcess, admin_key: str, run: str) -> SimWorld:
    scenario, _ = parse_scenario(
        {
            "name": "paced-over-processes",
            "advertisers": 1,
            "campaignsPerAdvertiser": 1,
            "creativesPerCampaign": 1,
            "budget": BUDGET_USD,
            "cpms": [2.0],
            "categories": ["shared"],
        },
        "test",
    )
    plan = build_plan(scenario, prefix=f"{run}-")

    async def build() -> SimWorld:
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:
            return await WorldBuilder(Api(client), admin_key, plan).build(PACING)

    return asyncio.run(build())


def test_two_processes_spend_along_the_traffic(tmp_path: Path):
    require_pg()
    require_redis()
    schema = new_schema()
    env = {
        "PROMOVOLVE_DATABASE_URL": PG_URL,
        "PROMOVOLVE_DATABASE_SCHEMA": schema,
        "PROMOVOLVE_REDIS_URL": REDIS_URL,
        "PROMOVOLVE_DATA_DIR": str(tmp_path),
        "PROMOVOLVE_ADMIN_KEY": "admin-" + fresh_prefix(),
    }
    try:
        with ExitStack() as stack:
            first = stack.enter_context(running_server(env))
            world = _world(first, env["PROMOVOLVE_ADMIN_KEY"], fresh_prefix())
            second = stack.enter_context(running_server(env))
            clients = [stack.enter_context(httpx.Client(base_url=s.url)) for s in (first, second)]
            body = {
                "siteId": world.site_id,
                "url": f"https://{world.domain}/articles/1",
                "slots": [{"id": "top", "width": 300, "height": 250}],
                "categories": list(world.categories),
            }
            _start_the_day(clients, world)
            start = time.monotonic()
            n = 0
            while (now := time.monotonic()) - start < RUN_SECONDS:
                due = start + n / RATE
                if due > now:
                    time.sleep(due - now)
                answer = clients[n % 2].post("/v1/serve", json=body, timeout=10.0)
                assert answer.status_code == 200, answer.text
                n += 1
        [(spent,)] = pg_fetch(
            schema, "SELECT COALESCE(SUM(amount_micros), 0) FROM spend_reservations"
        )
        share = int(spent) / (BUDGET_USD * 1_000_000)
        # A third of the day's traffic came: about a third of the budget, not two thirds.
        print("SHARE", share)
        assert 0.12 < share < 0.52, share
    finally:
        drop_schema(schema)
