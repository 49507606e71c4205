"""The same impression URL fired at two real processes counts once: the second process
learns it is a replay from Redis (SET NX with the tracking TTL) before any database write."""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import redis
from benchmarks.server import running_server
from prometheus_client.parser import text_string_to_metric_families

from promovolve.sim.live.api import Api
from promovolve.sim.live.world import SimWorld, WorldBuilder
from promovolve.sim.plan import build_plan
from promovolve.sim.scenario import parse_scenario
from tests.api.dbutil import PG_URL, drop_schema, new_schema, pg_fetch, require_pg
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis


def _beacons(url: str, result: str) -> float:
    text = httpx.get(url + "/metrics", timeout=10.0).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "promovolve_beacons"
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("result") == result
    )


def _lasting(client: redis.Redis) -> set[str]:
    """The kinds of key that never expire: one per campaign or site, none per request (and
    the change stream with its registry: trimmed, one entry per process)."""
    kinds = set()
    for key in client.scan_iter("promovolve:*"):
        if client.ttl(key) == -1:
            kinds.add(key.decode().split(":")[1])
    return kinds


def test_an_impression_fired_at_two_processes_counts_once(tmp_path: Path):
    require_pg()
    client = require_redis()
    schema = new_schema()
    env = {
        "PROMOVOLVE_DATABASE_URL": PG_URL,
        "PROMOVOLVE_DATABASE_SCHEMA": schema,
        "PROMOVOLVE_REDIS_URL": REDIS_URL,
        "PROMOVOLVE_DATA_DIR": str(tmp_path),
        "PROMOVOLVE_ADMIN_KEY": "admin-" + fresh_prefix(),
        "PROMOVOLVE_TRACKING_TTL": "600",
    }
    scenario, _ = parse_scenario(
        {"name": "beacons", "advertisers": 1, "budget": 10.0, "categories": ["shared"]}, "test"
    )
    plan = build_plan(scenario, prefix=f"{fresh_prefix()}-")
    try:
        with ExitStack() as stack:
            first = stack.enter_context(running_server(env))

            async def build() -> SimWorld:
                async with httpx.AsyncClient(base_url=first.url, timeout=30.0) as http:
                    builder = WorldBuilder(Api(http), env["PROMOVOLVE_ADMIN_KEY"], plan)
                    return await builder.build({"testThrottleOverride": 0.0})

            world = asyncio.run(build())
            second = stack.enter_context(running_server(env))
            body = {
                "siteId": world.site_id,
                "url": f"https://{world.domain}/articles/1",
                "slots": [{"id": "top", "width": 300, "height": 250}],
                "categories": list(world.categories),
            }
            answer = httpx.post(first.url + "/v1/serve", json=body, timeout=10.0).json()
            [slot] = answer["slots"]
            assert slot["outcome"] == "selected"
            parts = urlsplit(slot["impressionUrl"])
            path = f"{parts.path}?{parts.query}"
            time.sleep(1.1)  # a viewable impression comes a second after its serve at least
            for server in (first, second, second):
                fired = httpx.get(server.url + path, timeout=10.0)
                assert fired.status_code < 400, fired.text
            assert _beacons(first.url, "counted") == 1
            assert _beacons(second.url, "replay") == 2
            assert _beacons(second.url, "counted") == 0
            keys = list(client.scan_iter(f"promovolve:beacon:{answer['requestId']}:*"))
            assert len(keys) == 1
            assert 0 < client.ttl(keys[0]) <= 600
            time.sleep(1.5)  # a tick: pace, statistics and traffic counts written
            assert _lasting(client) <= {"ledger", "stats", "shape", "changes", "{changes}"}
        [(events,)] = pg_fetch(schema, "SELECT COUNT(*) FROM tracking_events WHERE kind = 'imp'")
        assert events == 1
    finally:
        drop_schema(schema)
