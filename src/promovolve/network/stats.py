"""Thompson statistics in Redis: impressions and clicks of each creative on each site,
counted by every process (a beacon arrives at any of them).

The engine keeps sampling from its own table (`CreativeStatsTable`), which holds the
network's counts as last read plus the beacons this process counted since. At each tick
one script per site adds the increments since the last tick to the hash
`{prefix}:stats:{site}` (fields `<creative>:i` and `<creative>:c`) and answers the hash,
all sites in one pipeline; the table becomes the network's counts plus whatever arrived
here meanwhile. A field the network lacks (a new site, or Redis lost its data) is set from
this process's count, so a restart of Redis does not reset what was learnt, and processes
that loaded the same counts at start do not add them twice.
"""

from __future__ import annotations

import logging
from array import array

import redis
import redis.asyncio as aioredis

from promovolve.domain.thompson import CreativeStatsTable

logger = logging.getLogger(__name__)

# KEYS: the site's hash. ARGV: triples of field, the count it had here when last read from
# the network, the increment since. A field the network lacks (new, or Redis lost its
# data) is set to the sum, so processes that all loaded the same count do not add it twice.
ADD_OR_SEED = """
for i = 1, #ARGV, 3 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    if tonumber(ARGV[i + 2]) ~= 0 then redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 2]) end
  else
    redis.call('HSET', KEYS[1], ARGV[i], tonumber(ARGV[i + 1]) + tonumber(ARGV[i + 2]))
  end
end
return redis.call('HGETALL', KEYS[1])
"""


class _SiteSync:
    """What one site's table had at the last sync (the base its increments count from)."""

    __slots__ = ("clicks", "impressions")

    def __init__(self, table: CreativeStatsTable | None = None) -> None:
        self.impressions = array("q", () if table is None else table.impressions)
        self.clicks = array("q", () if table is None else table.clicks)


class SharedCreativeStats:
    def __init__(self, prefix: str = "promovolve") -> None:
        self._prefix = prefix
        self._bases: dict[str, _SiteSync] = {}

    def start(self, tables: dict[str, CreativeStatsTable]) -> None:
        """The counts loaded at start are the network's already (or seed it): only what is
        counted from now on is an increment. A site not started here counts from zero."""
        for site_id, table in tables.items():
            self._bases[site_id] = _SiteSync(table)

    def key(self, site_id: str) -> str:
        return f"{self._prefix}:stats:{{{site_id}}}"

    async def sync(self, client: aioredis.Redis, tables: dict[str, CreativeStatsTable]) -> None:
        """One round trip for every site: add the increments (or seed), read back."""
        if not tables:
            return
        pipe = client.pipeline(transaction=False)
        sent: list[tuple[str, CreativeStatsTable, array[int], array[int]]] = []
        for site_id, table in tables.items():
            base = self._bases.get(site_id)
            if base is None:
                base = self._bases[site_id] = _SiteSync()
            args: list[object] = []
            for creative_id, row in _rows_of(table):
                base_i, base_c = _at(base.impressions, row), _at(base.clicks, row)
                args += [f"{creative_id}:i", base_i, table.impressions[row] - base_i]
                args += [f"{creative_id}:c", base_c, table.clicks[row] - base_c]
            pipe.eval(ADD_OR_SEED, 1, self.key(site_id), *args)  # type: ignore[arg-type]
            sent.append((site_id, table, array("q", table.impressions), array("q", table.clicks)))
        try:
            answers = await pipe.execute()
        except (redis.RedisError, OSError) as error:
            logger.warning("creative statistics not shared this tick: %s", error)
            return
        for (site_id, table, impressions, clicks), flat in zip(sent, answers, strict=True):
            fields = dict(zip(flat[::2], flat[1::2], strict=True))
            self._learn(site_id, table, impressions, clicks, fields)

    def _learn(
        self,
        site_id: str,
        table: CreativeStatsTable,
        sent_impressions: array[int],
        sent_clicks: array[int],
        fields: dict[bytes, bytes],
    ) -> None:
        """The table becomes the network's counts plus what this process counted since it
        sent its increments; the base becomes the network's counts."""
        network = {k.decode(): int(v) for k, v in fields.items()}
        counts: dict[str, tuple[int, int]] = {}
        later: dict[str, tuple[int, int]] = {}
        for creative_id, row in _rows_of(table):
            sent_i, sent_c = _at(sent_impressions, row), _at(sent_clicks, row)
            later_i, later_c = table.impressions[row] - sent_i, table.clicks[row] - sent_c
            later[creative_id] = (later_i, later_c)
            got_i = network.get(f"{creative_id}:i", sent_i)
            got_c = network.get(f"{creative_id}:c", sent_c)
            counts[creative_id] = (got_i + later_i, got_c + later_c)
        for field, value in network.items():  # creatives only other processes counted
            creative_id, _, kind = field.rpartition(":")
            if kind == "i" and creative_id not in counts:
                counts[creative_id] = (value, network.get(creative_id + ":c", 0))
        table.load(counts)
        base = self._bases[site_id]
        base.impressions = array("q", table.impressions)
        base.clicks = array("q", table.clicks)
        for creative_id, (later_i, later_c) in later.items():
            row = table.row(creative_id)
            base.impressions[row] -= later_i
            base.clicks[row] -= later_c


def _rows_of(table: CreativeStatsTable) -> list[tuple[str, int]]:
    return [(creative_id, table.row(creative_id)) for creative_id, _ in table.items()]


def _at(values: array[int], row: int) -> int:
    return values[row] if row < len(values) else 0
