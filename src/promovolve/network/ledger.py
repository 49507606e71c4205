"""The budget ledger in Redis: one ledger for every process of the network.

Each campaign is a hash `{prefix}:ledger:{campaign}` with its current day, that day's spend
and the spend before it (`before`: the reserve that starts a newer day adds the finished
day's spend to it, for lifetime budgets, which every process is told of through
`LifetimeSpend.learn`); each accepted reservation is a key
`{prefix}:ledger:{campaign}:{day}:{request id}` holding its amount, which expires after the
idempotency window. Reserve and release are each one Lua script, so the check and the change
are one atomic step across processes. The campaign id is the hash tag, so a campaign's keys
share a cluster slot.

The serve path reads the spend of a whole candidate pool per request (`spent_many`); it is
answered from the process's cache, which every reserve and release refreshes with the
value the script returns, and which is read again from Redis (one MGET-like pipeline) only
for campaigns not read within `refresh_seconds`. The cache only steers the auction: the
budget itself is enforced by the script, so a stale value can never overspend.

When Redis cannot be reached a reserve is refused and spend is answered from the cache:
nothing is sold that the network might not have, at the cost of selling nothing meanwhile.

Redis keeps nothing on disk here, so it may lose its data. With `open_campaigns_only` (the
server's mode) a campaign's hash exists from its creation on (`open`), so a missing hash
means Redis lost it: its reserves are refused and it is listed in `lost` until the
database's spend of that day is loaded again (`api/ledger_repair.py`). Without it, a
missing hash is a new campaign, as in the ledger contract.
"""

from __future__ import annotations

import logging
import time
from array import array
from collections.abc import Callable, Mapping, Sequence

import redis

from promovolve.domain.ledger import DEFAULT_IDEMPOTENCY_WINDOW_SECONDS
from promovolve.engine.lifetime_spend import LifetimeSpend

NO_DAY = -1
LOST = 2  # RESERVE's answer when the campaign's hash is gone
logger = logging.getLogger(__name__)

# KEYS: the campaign hash, the reservation key. ARGV: day, amount, budget, window (ms),
# whether a missing hash is lost data (1) or a new campaign (0), and the spend before the
# day that the budget was worked out from ('' when it depends on none: a daily budget).
# Answers {accepted, day, spend of that day, spend before it}; accepted is LOST for lost
# data. A newer day adds the finished day's spend to the spend before, in the same step.
RESERVE = """
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return {2, -1, 0, 0} end
local day = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'day', 'spent', 'before')
local current = tonumber(state[1]) or -1
local spent = tonumber(state[2]) or 0
local before = tonumber(state[3]) or 0
if day < current then return {0, current, spent, before} end
if day > current then
  before = before + spent
  spent = 0
  redis.call('HSET', KEYS[1], 'day', day, 'spent', 0, 'before', before)
end
if redis.call('EXISTS', KEYS[2]) == 1 then return {1, day, spent, before} end
if amount < 0 or spent + amount > budget then return {0, day, spent, before} end
if ARGV[6] ~= '' and tonumber(ARGV[6]) < before then return {0, day, spent, before} end
spent = redis.call('HINCRBY', KEYS[1], 'spent', amount)
redis.call('SET', KEYS[2], amount, 'PX', ARGV[4])
return {1, day, spent, before}
"""

# KEYS: the campaign hash, the reservation key. ARGV: day.
RELEASE = """
local day = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'day', 'spent', 'before')
local current = tonumber(state[1]) or -1
local spent = tonumber(state[2]) or 0
local before = tonumber(state[3]) or 0
if current ~= day then return {0, current, spent, before} end
local amount = redis.call('GET', KEYS[2])
if not amount then return {0, current, spent, before} end
redis.call('DEL', KEYS[2])
spent = redis.call('HINCRBY', KEYS[1], 'spent', -tonumber(amount))
return {1, day, spent, before}
"""

# KEYS: the campaign hash. ARGV: day, amount. A settled-unviewed reservation's refund. One
# of an earlier day is not budget any more, but it comes off the spend before the current
# day, as the settling process takes it off its own count (so the two agree).
REFUND = """
local day = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'day', 'spent', 'before')
local current = tonumber(state[1]) or -1
local spent = tonumber(state[2]) or 0
local before = tonumber(state[3]) or 0
if day < current and amount > 0 then
  before = math.max(0, before - amount)
  redis.call('HSET', KEYS[1], 'before', before)
end
if current ~= day or amount <= 0 then return {0, current, spent, before} end
if amount > spent then amount = spent end
spent = redis.call('HINCRBY', KEYS[1], 'spent', -amount)
return {1, day, spent, before}
"""

# Restart loading: durable state sets a campaign's day only where the network has an
# older one (or none), since other processes may have spent since the database was read.
# KEYS: the campaign hash, then one reservation key per recent id. ARGV: day, spent, spend
# before the day, window (ms), then the amounts of the recent ids.
LOAD = """
local day = tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'day')) or -1
if current >= day then return 0 end
redis.call('HSET', KEYS[1], 'day', day, 'spent', ARGV[2], 'before', ARGV[3])
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 3], 'PX', ARGV[4], 'NX')
end
return 1
"""

FIELDS = ("day", "spent", "before")  # what a spend read asks of a campaign's hash


class RedisBudgetLedger:
    """A BudgetLedger whose state is in Redis, shared by every process that names the same
    server, database number and prefix."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "promovolve",
        idempotency_window_seconds: float = DEFAULT_IDEMPOTENCY_WINDOW_SECONDS,
        refresh_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        open_campaigns_only: bool = False,
        lifetime: LifetimeSpend | None = None,
    ) -> None:
        if not idempotency_window_seconds > 0:
            raise ValueError("the idempotency window must be positive")
        self._client = client
        self._prefix = prefix
        self._window_ms = max(1, round(idempotency_window_seconds * 1000))
        self._refresh = refresh_seconds
        self._clock = clock
        self._reserve = client.register_script(RESERVE)
        self._release = client.register_script(RELEASE)
        self._load = client.register_script(LOAD)
        self._refund = client.register_script(REFUND)
        # The reserve script's last argument: "1" when a missing hash is lost data.
        self.strict = "1" if open_campaigns_only else "0"
        # campaign id → (day, spend of that day, when it was learnt)
        self._cache: dict[str, tuple[int, int, float]] = {}
        # campaigns whose hash was found gone (open_campaigns_only)
        self.lost: set[str] = set()
        # Told the network's spend before each campaign's day, for lifetime budgets.
        self.lifetime = lifetime

    def _campaign_key(self, campaign_id: str) -> str:
        return f"{self._prefix}:ledger:{{{campaign_id}}}"

    def _reservation_key(self, campaign_id: str, day: int, request_id: str) -> str:
        return f"{self._campaign_key(campaign_id)}:{day}:{request_id}"

    def _learn(self, campaign_id: str, answer: Sequence[int]) -> bool:
        accepted, day, spent, before = (int(v) for v in answer)
        self._cache[campaign_id] = (day, spent, self._clock())
        self.tell_lifetime(campaign_id, day, spent, before)
        return accepted == 1

    def tell_lifetime(
        self, campaign_id: str, day: int, spent: int, before: int, assumed: int | None = None
    ) -> None:
        """Pass on what the network answered of a campaign's lifetime spend; `assumed` is
        the spend before the day a reserve named (more before it: refused for that)."""
        lifetime = self.lifetime
        if lifetime is None or day == NO_DAY:
            return
        lifetime.learn(campaign_id, day, before, spent)
        if assumed is not None and before > assumed:
            lifetime.share_refused()

    def open(self, campaign_ids: Sequence[str]) -> None:
        """Give new campaigns their (empty) hash, leaving existing ones as they are. If
        Redis is unreachable they count as lost, and are loaded once it is back."""
        pipe = self._client.pipeline(transaction=False)
        for campaign_id in campaign_ids:
            pipe.hsetnx(self._campaign_key(campaign_id), "day", NO_DAY)
        try:
            pipe.execute()
        except redis.RedisError as error:
            logger.warning("campaigns not opened, Redis unreachable: %s", error)
            self.lost.update(campaign_ids)
            return
        self.lost.difference_update(campaign_ids)

    def reserve(
        self,
        campaign_id: str,
        day: int,
        request_id: str,
        amount: int,
        budget: int,
        spent_before: int | None = None,
    ) -> bool:
        keys = [
            self._campaign_key(campaign_id),
            self._reservation_key(campaign_id, day, request_id),
        ]
        try:
            args: list[int | str] = [day, amount, budget, self._window_ms, self.strict]
            args.append("" if spent_before is None else spent_before)
            answer = self._reserve(keys=keys, args=args)
        except redis.RedisError as error:
            logger.warning("budget reserve refused, Redis unreachable: %s", error)
            return False
        if int(answer[0]) == LOST:
            if campaign_id not in self.lost:
                logger.warning("budget of campaign %s lost by Redis; reloading it", campaign_id)
            self.lost.add(campaign_id)
        accepted, day, spent, before = (int(v) for v in answer)
        self._cache[campaign_id] = (day, spent, self._clock())
        # The caller counts an accepted amount itself once this answers (the engine does).
        mine = amount if accepted == 1 else 0
        self.tell_lifetime(campaign_id, day, spent - mine, before, spent_before)
        return accepted == 1

    def release(self, campaign_id: str, day: int, request_id: str) -> bool:
        keys = [
            self._campaign_key(campaign_id),
            self._reservation_key(campaign_id, day, request_id),
        ]
        return self._learn(campaign_id, self._release(keys=keys, args=[day]))

    def refund(self, campaign_id: str, day: int, amount: int) -> bool:
        keys = [self._campaign_key(campaign_id)]
        return self._learn(campaign_id, self._refund(keys=keys, args=[day, amount]))

    def spent(self, campaign_id: str, day: int) -> int:
        self._read([campaign_id])
        return _spend_on(self._cache[campaign_id], day)

    def spent_many(self, campaign_ids: Sequence[str], day: int) -> array[int]:
        now = self._clock()
        stale = [
            c
            for c in dict.fromkeys(campaign_ids)
            if (known := self._cache.get(c)) is None or now - known[2] >= self._refresh
        ]
        if stale:
            try:
                self._read(stale)
            except redis.RedisError as error:
                logger.warning("spend read from the cache, Redis unreachable: %s", error)
                for c in stale:
                    self._cache.setdefault(c, (NO_DAY, 0, now))
        cache = self._cache
        return array("q", (_spend_on(cache[c], day) for c in campaign_ids))

    def day_and_spend(self, campaign_id: str) -> tuple[int, int]:
        """The network's current day of the campaign and its spend that day, read now."""
        self._read([campaign_id])
        day, spent, _ = self._cache[campaign_id]
        return day, spent

    def _read(self, campaign_ids: Sequence[str]) -> None:
        """Read campaigns' day and spend from Redis in one round trip."""
        pipe = self._client.pipeline(transaction=False)
        for campaign_id in campaign_ids:
            pipe.hmget(self._campaign_key(campaign_id), *FIELDS)
        now = self._clock()
        for campaign_id, fields in zip(campaign_ids, pipe.execute(), strict=True):
            if fields[0] is None and self.strict == "1":
                self.lost.add(campaign_id)
            day, spent, before = read_fields(fields)
            self._cache[campaign_id] = (day, spent, now)
            self.tell_lifetime(campaign_id, day, spent, before)

    def load(
        self,
        campaign_id: str,
        day: int,
        spent: int,
        recent: Mapping[str, int],
        before: int = 0,
    ) -> None:
        """Set a campaign's day from durable state at start (its spend, the spend before
        it, the reservations of the window), unless the network is already on that day or a
        later one (then Redis, which every process writes, is newer)."""
        keys = [self._campaign_key(campaign_id)]
        keys += [self._reservation_key(campaign_id, day, r) for r in recent]
        self._load(keys=keys, args=[day, spent, before, self._window_ms, *recent.values()])
        self._cache.pop(campaign_id, None)
        self.lost.discard(campaign_id)


def read_fields(fields: Sequence[bytes | None]) -> tuple[int, int, int]:
    """(day, spend of that day, spend before it) from a campaign hash's FIELDS."""
    day, spent, before = fields
    return (
        NO_DAY if day is None else int(day),
        0 if spent is None else int(spent),
        0 if before is None else int(before),
    )


def _spend_on(known: tuple[int, int, float], day: int) -> int:
    return known[1] if known[0] == day else 0
