"""Rate caps in Redis: one bucket per key for every process of the network.

Each bucket is a hash `{prefix}:rate:{key}` (tokens, last update, end of its penalty) that
expires once it would have refilled and left its penalty, so idle sources leave nothing
behind. Taking a token is one Lua script: the check and the change are one atomic step.
When Redis cannot be reached the request is admitted: the cap guards against abuse, and
refusing every request meanwhile would take the ad network down with the cache.
"""

from __future__ import annotations

import logging

import redis

from promovolve.domain.traffic import PENALTY_SECONDS, burst_of

logger = logging.getLogger(__name__)

# KEYS: the bucket, the bucket whose penalty also refuses (may be the same key).
# ARGV: now (s), rate (/s), burst, penalty (s), expiry (ms). Answers 1 (passed) or 0.
TAKE = """
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local penalty = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'u', 'b')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
local blocked = tonumber(state[3]) or 0
local elapsed = now - updated
if elapsed < 0 then elapsed = 0 end
tokens = math.min(burst, tokens + elapsed * rate)
local passed = 1
if now < blocked or tokens < 1 then
  passed = 0
  blocked = now + penalty
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now), 'b', tostring(blocked))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if passed == 1 and KEYS[2] ~= KEYS[1] then
  local other = tonumber(redis.call('HGET', KEYS[2], 'b')) or 0
  if now < other then passed = 0 end
end
return passed
"""


class RedisRateLimiter:
    def __init__(self, client: redis.Redis, rate: float, prefix: str = "promovolve") -> None:
        self.rate = rate
        self._prefix = prefix
        self._take = client.register_script(TAKE)
        burst = burst_of(rate)
        self._burst = burst
        # Refilled and out of its penalty by then: the key is as good as absent.
        self._expiry_ms = int((burst / rate + PENALTY_SECONDS) * 1000) + 1000

    def _key(self, key: str) -> str:
        return f"{self._prefix}:rate:{key}"

    def admit(self, key: str, now: float, blocked_by: str | None = None) -> bool:
        bucket = self._key(key)
        other = self._key(blocked_by) if blocked_by is not None else bucket
        try:
            passed = self._take(
                keys=[bucket, other],
                args=[
                    repr(now),
                    repr(self.rate),
                    repr(self._burst),
                    PENALTY_SECONDS,
                    self._expiry_ms,
                ],
            )
        except redis.RedisError as exc:
            logger.warning("rate cap unavailable (Redis: %s); request admitted", exc)
            return True
        return bool(passed)
