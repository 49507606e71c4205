"""The traffic guard: decides, before the serve path or a beacon counts anything, whether a
request is invalid traffic, and keeps today's count of invalid serves per site by reason.

- a serve from a known bot, or from a source over its cap on the site, gets no paid ad;
- a beacon from a bot, from a source over its beacon cap or in its serve penalty, a viewable
  beacon sooner than a second after its serve, a click without a valid impression or within
  100 ms of it, is recorded with its reason and counts toward nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import Scope

from promovolve.api.tracking import IMPRESSION, Beacon
from promovolve.api.traffic_guard.bots import BotMatcher
from promovolve.api.traffic_guard.sources import SourceHasher
from promovolve.domain.traffic import (
    InvalidReason,
    click_reason,
    impression_reason,
)
from promovolve.engine.invalid_counts import InvalidServeCounts
from promovolve.engine.rate_limit import RateLimiter

# When a served slot's valid impression was counted (None: never), for the click rules.
ImpressionTime = Callable[[str, str], Awaitable[float | None]]


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class TrafficGuard:
    def __init__(
        self,
        sources: SourceHasher,
        bots: BotMatcher,
        limiter: RateLimiter | None,
        impression_time: ImpressionTime,
        serve_counts: InvalidServeCounts,
    ) -> None:
        self.sources = sources
        self.bots = bots
        self.limiter = limiter  # None: no rate cap
        self._impression_time = impression_time
        self._serve_counts = serve_counts

    def source_of(self, scope: Scope, now: float) -> str:
        client = scope.get("client")
        peer = client[0] if client else None
        address = self.sources.client_address(peer, header(scope, b"x-forwarded-for"))
        return self.sources.source(address, now)

    def serve_reason(self, scope: Scope, site_id: str, now: float) -> InvalidReason | None:
        """Why a serve request is invalid traffic, or None for a valid one."""
        if self.bots.is_bot(header(scope, b"user-agent")):
            return InvalidReason.BOT
        if self.limiter is not None:
            key = f"s:{site_id}:{self.source_of(scope, now)}"
            if not self.limiter.admit(key, now):
                return InvalidReason.OVER_CAP
        return None

    async def beacon_reason(
        self, kind: str, beacon: Beacon, scope: Scope, now: float
    ) -> InvalidReason | None:
        """Why a verified beacon is invalid, or None for one that counts."""
        if self.bots.is_bot(header(scope, b"user-agent")):
            return InvalidReason.BOT
        if self.limiter is not None:
            source = self.source_of(scope, now)
            key, serves = f"{kind}:{beacon.site}:{source}", f"s:{beacon.site}:{source}"
            if not self.limiter.admit(key, now, blocked_by=serves):
                return InvalidReason.OVER_CAP
        if kind == IMPRESSION:
            return impression_reason(beacon.at / 1000, now)
        return click_reason(await self._impression_time(beacon.request, beacon.slot), now)

    def count_serve(self, site_id: str, day: int, reason: InvalidReason) -> None:
        self._serve_counts.add(site_id, day, reason)

    def serves_today(self, site_id: str, day: int) -> dict[str, int]:
        """A site's invalid serves of its day `day` by reason."""
        return self._serve_counts.of(site_id, day)
