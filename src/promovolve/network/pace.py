"""The network pace in Redis: every process's forecasts of every campaign, summed.

Every process serves every site, so a site's traffic still to come is spread over the
processes, and each process forecasts only its own share (its engines see only the
requests sent to it). Each process publishes its entries as fields of one hash per
campaign, `{prefix}:pace:{campaign}` → `<site>:<process id>` = `<expected>@<time>`, all in
one pipeline per tick, and reads the hashes back in the same round trip. The sum of the
other processes' fresh fields is one more entry of the campaign here (linked into its ring
like a site's), so the gate's compiled sum and `total` count it without a lookup. A field
older than `stale_seconds` (its process died, or stopped serving the site) stops counting
and is deleted; the hash itself expires when no process writes it any more.

Pure parts (`publish`, `learn`) are separate from the round trip (`sync`), so tests can
check the arithmetic without Redis.
"""

from __future__ import annotations

import logging

import redis
import redis.asyncio as aioredis

from promovolve.engine.network_pace import InMemoryNetworkPace

logger = logging.getLogger(__name__)

STALE_SECONDS = 5.0
HASH_TTL_SECONDS = 60


class RedisNetworkPace(InMemoryNetworkPace):
    __slots__ = ("_deletions", "_others", "_prefix", "process_id", "stale_seconds")

    def __init__(
        self, process_id: str, prefix: str = "promovolve", stale_seconds: float = STALE_SECONDS
    ) -> None:
        super().__init__()
        self.process_id = process_id
        self._prefix = prefix
        self.stale_seconds = stale_seconds
        self._others: dict[str, int] = {}  # campaign → the entry of the other processes' sum
        self._deletions: dict[str, list[str]] = {}  # stale fields, deleted at the next sync

    def key(self, campaign_id: str) -> str:
        return f"{self._prefix}:pace:{{{campaign_id}}}"

    def publish(self, now: float) -> dict[str, dict[str, str]]:
        """This process's fields, by campaign: what the tick writes."""
        fields: dict[str, dict[str, str]] = {}
        expected = self.expected
        for site_id, entries in self._sites.items():
            field = f"{site_id}:{self.process_id}"
            for campaign_id, entry in entries.items():
                fields.setdefault(campaign_id, {})[field] = f"{expected[entry]!r}@{now!r}"
        return fields

    def learn(self, campaign_id: str, fields: dict[bytes, bytes], now: float) -> None:
        """Set the campaign's sum of the other processes' fresh forecasts; remember the
        stale fields for deletion."""
        own = ":" + self.process_id
        total = 0.0
        stale: list[str] = []
        for raw_field, raw_value in fields.items():
            field = raw_field.decode()
            if field.endswith(own):
                continue
            value, _, written = raw_value.decode().partition("@")
            try:
                fresh = now - float(written) <= self.stale_seconds
                amount = float(value)
            except ValueError:
                fresh, amount = False, 0.0
            if fresh:
                total += amount
            else:
                stale.append(field)
        entry = self._others.get(campaign_id)
        if entry is None:
            entry = self._others[campaign_id] = self.add_entry(campaign_id)
        self.expected[entry] = total
        if stale:
            self._deletions[campaign_id] = stale

    async def sync(self, client: aioredis.Redis, now: float) -> None:
        """One round trip: write this process's fields, delete stale ones, read them all."""
        published = self.publish(now)
        if not published:
            return
        deletions, self._deletions = self._deletions, {}
        pipe = client.pipeline(transaction=False)
        campaigns = list(published)
        for campaign_id in campaigns:
            key = self.key(campaign_id)
            pipe.hset(key, mapping=published[campaign_id])  # type: ignore[arg-type]
            if campaign_id in deletions:
                pipe.hdel(key, *deletions[campaign_id])
            pipe.expire(key, HASH_TTL_SECONDS)
            pipe.hgetall(key)
        try:
            answers = await pipe.execute()
        except (redis.RedisError, OSError) as error:
            logger.warning("network pace not shared this tick: %s", error)
            return
        per_campaign = iter(a for a in answers if isinstance(a, dict))
        for campaign_id in campaigns:
            self.learn(campaign_id, next(per_campaign), now)
