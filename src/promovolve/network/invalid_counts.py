"""Invalid serves counted in Redis: a hash `{prefix}:invalid:{site}:{day}` of reason → count
for the whole network, kept two days. Counting is best effort: with Redis away the serve is
still refused, only its count is lost (and logged)."""

from __future__ import annotations

import logging

import redis

from promovolve.domain.traffic import SERVE_REASONS

logger = logging.getLogger(__name__)
KEEP_SECONDS = 2 * 86400


class RedisInvalidServeCounts:
    def __init__(self, client: redis.Redis, prefix: str = "promovolve") -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, site_id: str, day: int) -> str:
        return f"{self._prefix}:invalid:{site_id}:{day}"

    def add(self, site_id: str, day: int, reason: str) -> None:
        key = self._key(site_id, day)
        pipe = self._client.pipeline(transaction=False)
        pipe.hincrby(key, reason, 1)
        pipe.expire(key, KEEP_SECONDS)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            logger.warning("invalid serve not counted (Redis: %s)", exc)

    def of(self, site_id: str, day: int) -> dict[str, int]:
        try:
            raw = self._client.hgetall(self._key(site_id, day))
        except redis.RedisError as exc:
            logger.warning("invalid serve counts unavailable (Redis: %s)", exc)
            raw = {}
        counts = {k.decode() if isinstance(k, bytes) else str(k): int(v) for k, v in raw.items()}
        return {str(r): counts.get(r, 0) for r in SERVE_REASONS}
