"""Rate caps per key (a source on a site): the protocol, and its in-memory implementation.

`promovolve.network.rate_limit` implements the same protocol in Redis, so that with several
processes a source's cap is the network's, not each process's.
"""

from __future__ import annotations

from typing import Protocol

from promovolve.domain.traffic import PENALTY_SECONDS, Bucket, blocked, burst_of, take

# Buckets kept before the idle ones are dropped (a full, unblocked bucket is the same as none).
MAX_KEYS = 100_000


class RateLimiter(Protocol):
    def admit(self, key: str, now: float, blocked_by: str | None = None) -> bool:
        """Take a token from `key`'s bucket; False when it is over its cap or in its penalty,
        or when `blocked_by` (another key) is in its penalty."""
        ...


class InMemoryRateLimiter:
    def __init__(self, rate: float, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: dict[str, Bucket] = {}

    def admit(self, key: str, now: float, blocked_by: str | None = None) -> bool:
        buckets = self._buckets
        bucket, passed = take(buckets.get(key), now, self.rate)
        if passed and blocked_by is not None and blocked(buckets.get(blocked_by), now):
            passed = False
        if key not in buckets and len(buckets) >= self.max_keys:
            self._prune(now)
        buckets[key] = bucket
        return passed

    def __len__(self) -> int:
        return len(self._buckets)

    def _prune(self, now: float) -> None:
        """Drop the buckets that have refilled and are out of their penalty."""
        refill = burst_of(self.rate) / self.rate + PENALTY_SECONDS
        idle = [k for k, b in self._buckets.items() if now - b.updated > refill]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:  # all busy: forget the oldest half
            for key in list(self._buckets)[: self.max_keys // 2]:
                del self._buckets[key]
