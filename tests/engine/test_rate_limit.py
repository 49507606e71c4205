from __future__ import annotations

from promovolve.engine.invalid_counts import InMemoryInvalidServeCounts, InvalidServeCounts
from promovolve.engine.rate_limit import InMemoryRateLimiter, RateLimiter
from tests.engine.rate_limit_contract import InvalidServeCountsContract, RateLimiterContract


class TestInMemoryRateLimiter(RateLimiterContract):
    def make_limiter(self, rate: float) -> RateLimiter:
        return InMemoryRateLimiter(rate)


def test_memory_stays_bounded_and_idle_buckets_go_first():
    limiter = InMemoryRateLimiter(10.0, max_keys=100)
    for i in range(100):
        limiter.admit(f"s:site:{i}", 0.0)
    # Long after: every bucket has refilled, so the first new key drops them all.
    limiter.admit("s:site:new", 1000.0)
    assert len(limiter) == 1
    for i in range(1000):
        limiter.admit(f"s:busy:{i}", 2000.0)
    assert len(limiter) <= 100


class TestInMemoryInvalidServeCounts(InvalidServeCountsContract):
    def make_counts(self) -> InvalidServeCounts:
        return InMemoryInvalidServeCounts()
