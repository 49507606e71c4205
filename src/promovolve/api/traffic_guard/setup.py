"""The traffic guard and the tracking base as the settings configure them."""

from __future__ import annotations

import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from promovolve.api.traffic_guard.bots import BotMatcher
from promovolve.api.traffic_guard.guard import TrafficGuard
from promovolve.api.traffic_guard.hosts import TrackingBase, local_base, split_list
from promovolve.api.traffic_guard.sources import SourceHasher, parse_networks
from promovolve.engine.invalid_counts import InMemoryInvalidServeCounts, InvalidServeCounts
from promovolve.engine.rate_limit import InMemoryRateLimiter, RateLimiter
from promovolve.network.invalid_counts import RedisInvalidServeCounts
from promovolve.network.rate_limit import RedisRateLimiter
from promovolve.settings import Settings
from promovolve.store import invalid


def build_guard(
    settings: Settings,
    secret: bytes,
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.Redis | None,
) -> TrafficGuard:
    limiter: RateLimiter | None = None
    if settings.rate_limit > 0:
        limiter = (
            RedisRateLimiter(redis_client, settings.rate_limit)
            if redis_client is not None
            else InMemoryRateLimiter(settings.rate_limit)
        )

    async def impression_time(request_id: str, slot_id: str) -> float | None:
        async with sessions() as session:
            return await invalid.impression_time(session, request_id, slot_id)

    counts: InvalidServeCounts = (
        RedisInvalidServeCounts(redis_client)
        if redis_client is not None
        else InMemoryInvalidServeCounts()
    )
    proxies = parse_networks(split_list(settings.trusted_proxies))
    return TrafficGuard(
        SourceHasher(secret, proxies),
        BotMatcher.load(settings.bot_patterns_file),
        limiter,
        impression_time,
        counts,
    )


def build_tracking_base(settings: Settings) -> TrackingBase:
    return TrackingBase(
        settings.public_url,
        split_list(settings.allowed_hosts),
        local_base(settings.host, settings.port),
    )
