"""What the fault tests share: a network of real server processes on one PostgreSQL schema
and one Redis (each possibly behind a proxy), its world, and the checks on what was spent."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from benchmarks.server import ServerProcess, running_server

from promovolve.sim.live.api import Api
from promovolve.sim.live.world import SimWorld, WorldBuilder
from promovolve.sim.plan import build_plan
from promovolve.sim.scenario import parse_scenario
from tests.api.dbutil import PG_URL, drop_schema, new_schema, pg_fetch, require_pg
from tests.network.load import Selected
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis

BUDGET_USD = 1.0
BUDGET_MICROS = round(BUDGET_USD * 1_000_000)
CPMS_USD = (2.0, 3.0)  # two campaigns compete for each slot
READY_SECONDS = 120.0  # a start on a busy shared machine (numba loads, migrations) is slow


@dataclass(slots=True)
class Network:
    servers: list[ServerProcess]
    world: SimWorld
    schema: str

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]


@contextmanager
def network(
    tmp_path: Path,
    processes: int = 3,
    redis_url: str = REDIS_URL,
    pg_url: str = PG_URL,
    extra_env: dict[str, str] | None = None,
    cpms: tuple[float, ...] = CPMS_USD,
) -> Iterator[Network]:
    """`processes` servers sharing one new schema and one Redis (and `extra_env`); the world
    (one campaign per CPM) is built through the first, and the others start on what it
    wrote. The schema is dropped afterwards."""
    require_pg()
    require_redis()
    schema = new_schema()
    env = {
        "PROMOVOLVE_DATABASE_URL": pg_url,
        "PROMOVOLVE_DATABASE_SCHEMA": schema,
        "PROMOVOLVE_REDIS_URL": redis_url,
        "PROMOVOLVE_DATA_DIR": str(tmp_path),  # one numba cache for all of them
        "PROMOVOLVE_ADMIN_KEY": "admin-" + fresh_prefix(),
        **(extra_env or {}),
    }
    try:
        with ExitStack() as stack:
            first = stack.enter_context(running_server(env, ready_timeout=READY_SECONDS))
            world = _world(first, env["PROMOVOLVE_ADMIN_KEY"], fresh_prefix(), cpms)
            others = [
                stack.enter_context(running_server(env, ready_timeout=READY_SECONDS))
                for _ in range(processes - 1)
            ]
            yield Network([first, *others], world, schema)
    finally:
        drop_schema(schema)


def _world(server: ServerProcess, admin_key: str, run: str, cpms: tuple[float, ...]) -> SimWorld:
    scenario, _ = parse_scenario(
        {
            "name": "faults",
            "advertisers": len(cpms),
            "campaignsPerAdvertiser": 1,
            "creativesPerCampaign": 1,
            "budget": BUDGET_USD,
            "cpms": list(cpms),
            "categories": ["shared"],
        },
        "test",
    )
    plan = build_plan(scenario, prefix=f"{run}-")

    async def build() -> SimWorld:
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:
            return await WorldBuilder(Api(client), admin_key, plan).build(
                {"testThrottleOverride": 0.0}
            )

    return asyncio.run(build())


def recorded(schema: str) -> list[tuple[str, str, int]]:
    """(reservation id, campaign, amount) of every reservation the database holds."""
    rows = pg_fetch(
        schema,
        "SELECT reservation_id, campaign_id, amount_micros FROM spend_reservations"
        " WHERE NOT released",
    )
    return [(str(r), str(c), int(a)) for r, c, a in rows]


def check_spend(schema: str, answered: list[Selected]) -> dict[str, int]:
    """Every answered `selected` is in spend exactly once and no campaign is over budget;
    answers each campaign's recorded spend."""
    rows = recorded(schema)
    counts = Counter(r for r, _, _ in rows)
    assert not [r for r, n in counts.items() if n > 1], "a reservation recorded twice"
    amounts = {r: a for r, _, a in rows}
    missing = [s for s in answered if s.reservation_id not in amounts]
    assert not missing, f"{len(missing)} answered ads have no recorded spend: {missing[:3]}"
    for s in answered:
        assert amounts[s.reservation_id] == s.price_micros
    spend: Counter[str] = Counter()
    for _, campaign, amount in rows:
        spend[campaign] += amount
    over = {c: s for c, s in spend.items() if s > BUDGET_MICROS}
    assert not over, f"over the budget of {BUDGET_MICROS}: {over}"
    return dict(spend)
