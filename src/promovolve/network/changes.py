"""The change stream in Redis: how a management change made through one process reaches
every process of the network, and how the process that made it learns that all have it.

- `{prefix}:changes`, a stream of change records (kind and id; approvals also name the
  site). A record names what changed, never its new value: the reader reloads the object
  from the database, so a record applied late or twice still leaves the latest state.
- `{prefix}:{changes}:procs`, a sorted set: each live process with the Redis time (ms) at
  which its heartbeat expires; `{prefix}:{changes}:acks`, a hash: each process's last
  applied stream id. A process that misses heartbeats for the expiry drops out.
- `{prefix}:{changes}:born`, the Redis time the registry began. For one heartbeat
  interval after that (a new Redis, or one that lost its data) the registry may not list
  every live process yet, so nobody may conclude from it that all processes have a record.

Heartbeat and the check for stragglers are each one Lua script on Redis's own clock, so
the processes' clocks need not agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

# Records kept in the stream (approximate trim): a process that fell further behind than
# this has lost its heartbeat long before and reloads everything anyway.
STREAM_LENGTH = 100_000
NO_ID = "0-0"

# KEYS: procs, acks, born. ARGV: process id, last applied id ('' for none), expiry (ms).
# Answers 1 when the process was not registered (new, or Redis lost the registry). Also
# drops a few expired processes, so that the registry stays small without any waiting call.
HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[3], now, 'NX')
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 16)) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
local new = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
return new
"""

# KEYS: procs, acks, born. ARGV: the record's id, the heartbeat interval (ms).
# Answers the live processes whose last applied id is before the record, or {'?'} while
# the registry is too young to list every live process. Drops expired processes.
BEHIND = """
local function before(a, b)
  local ams, aseq = string.match(a, '(%d+)-(%d+)')
  local bms, bseq = string.match(b, '(%d+)-(%d+)')
  ams, bms = tonumber(ams), tonumber(bms)
  if ams ~= bms then return ams < bms end
  return tonumber(aseq) < tonumber(bseq)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
local born = tonumber(redis.call('GET', KEYS[3]))
if not born or now - born < tonumber(ARGV[2]) then return {'?'} end
local behind = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local ack = redis.call('HGET', KEYS[2], id)
  if not ack or before(ack, ARGV[1]) then table.insert(behind, id) end
end
return behind
"""


# What a record names (its `id`): an account, a site (also its floors, pins' domain,
# pacing), a campaign, a creative, a publisher's blocklist, a site's pins, a house ad, or
# one approval (the creative, with the record's `site`).
PUBLISHER = "publisher"
ADVERTISER = "advertiser"
SITE = "site"
CAMPAIGN = "campaign"
CREATIVE = "creative"
APPROVAL = "approval"
BLOCKLIST = "blocklist"
PINS = "pins"
HOUSE_AD = "houseAd"


class RegistryTooYoung(Exception):
    """The registry began less than a heartbeat interval ago: it may miss live processes."""


@dataclass(frozen=True, slots=True)
class Change:
    """A management change: what kind of object, which one (approvals: and on which site)."""

    kind: str
    id: str
    site: str = ""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class ChangeStream:
    def __init__(self, client: aioredis.Redis, prefix: str = "promovolve") -> None:
        self._client = client
        self.stream = f"{prefix}:changes"
        self._registry = [f"{prefix}:{{changes}}:{part}" for part in ("procs", "acks", "born")]
        self._heartbeat = client.register_script(HEARTBEAT)
        self._behind = client.register_script(BEHIND)

    async def publish(self, changes: list[Change]) -> str:
        """Append the records (one round trip); answers the id of the last."""
        pipe = self._client.pipeline(transaction=False)
        for change in changes:
            fields = {"kind": change.kind, "id": change.id, "site": change.site}
            pipe.xadd(self.stream, fields, maxlen=STREAM_LENGTH, approximate=True)  # type: ignore[arg-type]
        ids = await pipe.execute()
        return _text(ids[-1])

    async def read(self, after: str, block_ms: int, count: int = 500) -> list[tuple[str, Change]]:
        """Records after `after`, waiting up to `block_ms` for the first."""
        answer: Any = await self._client.xread({self.stream: after}, count=count, block=block_ms)
        out: list[tuple[str, Change]] = []
        for _, entries in answer or ():
            for entry_id, fields in entries:
                f = {_text(k): _text(v) for k, v in fields.items()}
                out.append((_text(entry_id), Change(f["kind"], f["id"], f.get("site", ""))))
        return out

    async def last_id(self) -> str:
        """The id of the newest record (NO_ID for an empty or missing stream)."""
        newest: Any = await self._client.xrevrange(self.stream, count=1)
        return _text(newest[0][0]) if newest else NO_ID

    async def heartbeat(self, process_id: str, applied: str | None, expiry_ms: int) -> bool:
        """Keep the process live and record what it applied; True if it was not registered."""
        args: list[str | int] = [process_id, applied or "", expiry_ms]
        return int(await self._heartbeat(keys=self._registry, args=args)) == 1

    async def behind(self, record_id: str, interval_ms: int) -> list[str]:
        """The live processes that have not applied the record yet."""
        found = await self._behind(keys=self._registry, args=[record_id, interval_ms])
        answer = [_text(v) for v in found]
        if answer == ["?"]:
            raise RegistryTooYoung()
        return answer

    async def leave(self, process_id: str) -> None:
        """A process that stops takes itself out, so nobody waits for it."""
        procs, acks, _ = self._registry
        pipe = self._client.pipeline(transaction=False)
        pipe.zrem(procs, process_id)
        pipe.hdel(acks, process_id)
        await pipe.execute()
