"""RedisRateLimiter: the same contract as the in-memory one on the real Redis (its own
database, 14), plus what only a shared cap has: two processes, one cap."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from promovolve.domain.traffic import burst_of
from promovolve.engine.invalid_counts import InvalidServeCounts
from promovolve.engine.rate_limit import RateLimiter
from promovolve.network.invalid_counts import RedisInvalidServeCounts
from promovolve.network.rate_limit import RedisRateLimiter
from tests.engine.rate_limit_contract import (
    RATE,
    InvalidServeCountsContract,
    RateLimiterContract,
)

URL = os.environ.get("PROMOVOLVE_TEST_RATE_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis() -> redis.Redis:
    client = redis.Redis.from_url(URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is unreachable at {URL}")
        pytest.skip(f"Redis is unreachable at {URL}")
    return client


def _limiter(rate: float, prefix: str) -> RedisRateLimiter:
    return RedisRateLimiter(_redis(), rate, prefix)


class TestRedisRateLimiter(RateLimiterContract):
    def make_limiter(self, rate: float) -> RateLimiter:
        return _limiter(rate, f"test-{uuid.uuid4().hex}")


class TestRedisInvalidServeCounts(InvalidServeCountsContract):
    def make_counts(self) -> InvalidServeCounts:
        return RedisInvalidServeCounts(_redis(), f"test-{uuid.uuid4().hex}")


def test_two_processes_share_one_cap():
    prefix = f"test-{uuid.uuid4().hex}"
    a, b = _limiter(RATE, prefix), _limiter(RATE, prefix)
    passed = [(a if i % 2 else b).admit("s:site:x", 100.0 + i * 1e-4) for i in range(40)]
    assert sum(passed) == int(burst_of(RATE))


def test_every_bucket_expires():
    prefix = f"test-{uuid.uuid4().hex}"
    limiter = _limiter(RATE, prefix)
    limiter.admit("s:site:x", 100.0)
    client = _redis()
    keys = client.keys(f"{prefix}:*")
    assert keys and all(0 < client.pttl(k) <= 70_000 for k in keys)


def test_an_unreachable_redis_admits():
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    assert RedisRateLimiter(dead, RATE).admit("s:site:x", 100.0)
