"""RedisNetworkPace: the NetworkPace contract on the real Redis, and what only processes
sharing it have: each publishes its share of a site, all sum the fresh shares, a dead
process's shares stop counting."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from promovolve.engine.network_pace import NetworkPace
from promovolve.network.pace import HASH_TTL_SECONDS, RedisNetworkPace
from tests.engine.network_pace_contract import NetworkPaceContract
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis

NOW = 1_000_000.0


def sync(*paces: RedisNetworkPace, now: float = NOW) -> None:
    async def run() -> None:
        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            for pace in paces:
                await pace.sync(client, now)
        finally:
            await client.aclose()

    asyncio.run(run())


class TestRedisNetworkPace(NetworkPaceContract):
    def make_pace(self) -> NetworkPace:
        require_redis()
        return RedisNetworkPace("p1", fresh_prefix())

    def settle(self, pace: NetworkPace) -> None:
        assert isinstance(pace, RedisNetworkPace)
        sync(pace)


def test_processes_serving_one_site_sum_their_shares():
    require_redis()
    prefix = fresh_prefix()
    a, b, c = (RedisNetworkPace(p, prefix) for p in ("a", "b", "c"))
    a.expected[a.site("s1").row("c1")] = 60.0
    b.expected[b.site("s1").row("c1")] = 40.0
    b.expected[b.site("s2").row("c1")] = 5.0
    c.expected[c.site("s2").row("c2")] = 9.0
    sync(a, b, c, a, b)  # each has read the others' latest
    assert a.total("c1") == b.total("c1") == 105.0
    assert c.total("c1") == 0.0  # c has no entry of c1: it does not read its hash
    assert a.total("c2") == 0.0
    c.expected[c.site("s1").row("c1")] = 1.0
    sync(c)
    assert c.total("c1") == 106.0


def test_a_dead_process_stops_counting_and_its_fields_go():
    client = require_redis()
    prefix = fresh_prefix()
    a, b = RedisNetworkPace("a", prefix), RedisNetworkPace("b", prefix)
    a.expected[a.site("s1").row("c1")] = 60.0
    b.expected[b.site("s1").row("c1")] = 40.0
    sync(a, b, a)
    assert a.total("c1") == 100.0
    # b stops publishing; within the staleness its share still counts, then not.
    sync(a, now=NOW + a.stale_seconds)
    assert a.total("c1") == 100.0
    sync(a, now=NOW + a.stale_seconds + 1)
    assert a.total("c1") == 60.0
    sync(a, now=NOW + a.stale_seconds + 2)
    assert client.hkeys(a.key("c1")) == [b"s1:a"]


def test_the_hash_expires_when_nobody_writes_it():
    client = require_redis()
    pace = RedisNetworkPace("a", fresh_prefix())
    pace.expected[pace.site("s1").row("c1")] = 1.0
    sync(pace)
    assert 0 < client.ttl(pace.key("c1")) <= HASH_TTL_SECONDS
