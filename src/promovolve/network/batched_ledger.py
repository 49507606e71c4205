"""The budget ledger in Redis for the server: decided in the event loop, confirmed in batches.

The engine's ledger interface is synchronous, and a synchronous Redis call per reserve
stalls every connection of the process for a round trip. So a reserve here is decided on
the process's view (the network's spend as last learnt, plus what this process holds in
flight) and answered at once; the same loop turn queues it, and one task sends everything
queued as one pipeline of the reserve script (`network/ledger.py`) — one round trip for all
the serves decided meanwhile, like the group-commit writer does for SQL. The serve path
awaits `confirmation(...)` before it answers: a reserve the script refused (another
process spent the budget first) is given back to the engine with `release`, which then
answers True without a round trip, and its slot gets no ad. So the budget is enforced by
the script exactly as before; only the answer waits.

Spend reads (`spent_many`) never wait: stale entries are queued for a read in the next
batch. Releases and refunds are queued too (nobody waits for them).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import redis
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from promovolve.domain.ledger import DEFAULT_IDEMPOTENCY_WINDOW_SECONDS, fits_budget
from promovolve.network.ledger import (
    FIELDS,
    LOST,
    NO_DAY,
    REFUND,
    RELEASE,
    RESERVE,
    RedisBudgetLedger,
    read_fields,
)

logger = logging.getLogger(__name__)

Key = tuple[str, int, str]  # campaign, day, reservation id
CONFIRMED_KEPT = 10_000  # as many as the engine keeps answers of recent requests


@dataclass(slots=True, eq=False)
class _Op:
    kind: str  # "reserve", "release", "refund" or "read"
    campaign_id: str
    day: int = 0
    request_id: str = ""
    amount: int = 0
    budget: int = 0
    spent_before: int | None = None
    future: asyncio.Future[bool] | None = field(default=None)


class BatchedRedisLedger:
    """A BudgetLedger on Redis whose reserves are confirmed by one pipeline per loop turn.

    `sync` (a RedisBudgetLedger on the same server and prefix) answers what is not on the
    serve path: start-time loading and `spent` of one campaign.
    """

    def __init__(
        self,
        sync: RedisBudgetLedger,
        client: aioredis.Redis,
        prefix: str = "promovolve",
        idempotency_window_seconds: float = DEFAULT_IDEMPOTENCY_WINDOW_SECONDS,
        refresh_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sync = sync
        self._client = client
        self._prefix = prefix
        self._window_ms = max(1, round(idempotency_window_seconds * 1000))
        self._refresh = refresh_seconds
        self._clock = clock
        self._scripts = (RESERVE, RELEASE, REFUND)
        self._reserve_sha, self._release_sha, self._refund_sha = (
            hashlib.sha1(s.encode()).hexdigest() for s in self._scripts
        )
        # campaign id → (day, the network's spend that day, when it was learnt)
        self._known: dict[str, tuple[int, int, float]] = {}
        self._held: dict[str, int] = {}  # campaign → amounts reserved here, not yet confirmed
        self._provisional: dict[Key, asyncio.Future[bool]] = {}
        self._refused: set[Key] = set()  # refused by the script, not yet given back
        # The latest reserves the network confirmed: a repeat is answered here.
        self._confirmed: OrderedDict[Key, None] = OrderedDict()
        self._reading: set[str] = set()
        self._queue: list[_Op] = []
        self._flushing = False
        self.round_trips = 0

    def _campaign_key(self, campaign_id: str) -> str:
        return f"{self._prefix}:ledger:{{{campaign_id}}}"

    def _spend_on(self, campaign_id: str, day: int) -> int:
        known = self._known.get(campaign_id)
        network = known[1] if known is not None and known[0] == day else 0
        return network + self._held.get(campaign_id, 0)

    def reserve(
        self,
        campaign_id: str,
        day: int,
        request_id: str,
        amount: int,
        budget: int,
        spent_before: int | None = None,
    ) -> bool:
        known = self._known.get(campaign_id)
        if known is not None and day < known[0]:
            return False
        key = (campaign_id, day, request_id)
        if key in self._provisional or key in self._confirmed:
            return True  # a repeat (the network would answer the same)
        # Refused here only on the day the network is known to be on; a newer day (which
        # the script starts even when it refuses) is the script's to decide.
        same_day = known is not None and known[0] == day
        if same_day and not fits_budget(self._spend_on(campaign_id, day), amount, budget):
            return False
        future = asyncio.get_running_loop().create_future()
        self._provisional[key] = future
        self._held[campaign_id] = self._held.get(campaign_id, 0) + amount
        op = _Op("reserve", campaign_id, day, request_id, amount, budget, spent_before, future)
        self._put(op)
        return True

    def confirmation(self, campaign_id: str, day: int, request_id: str) -> asyncio.Future[bool]:
        """Done once the network answered a reserve this process accepted: True if it
        stands, False if it must be given back (`release`)."""
        future = self._provisional.get((campaign_id, day, request_id))
        if future is None:
            done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            done.set_result((campaign_id, day, request_id) not in self._refused)
            return done
        return future

    def release(self, campaign_id: str, day: int, request_id: str) -> bool:
        """Queue the release of a reserve, answering before the network does: True if it
        is one of the latest this process accepted (the engine gives back only its own)."""
        key = (campaign_id, day, request_id)
        if key in self._refused:
            self._refused.discard(key)
            return True  # the network never had it
        ours = key in self._provisional or key in self._confirmed
        self._confirmed.pop(key, None)
        known = self._known.get(campaign_id)
        if ours or (known is not None and known[0] == day):
            # Sent even when it is too old to be ours: the network gives the money back.
            self._put(_Op("release", campaign_id, day, request_id))
        return ours

    async def released(self, campaign_id: str, day: int, request_id: str) -> bool:
        """`release`, answered by the network (False: it had no such reservation)."""
        key = (campaign_id, day, request_id)
        if key in self._refused:
            self._refused.discard(key)
            return True
        self._confirmed.pop(key, None)
        return await self._answered(_Op("release", campaign_id, day, request_id))

    def refund(self, campaign_id: str, day: int, amount: int) -> bool:
        """Queued; answered from the view (a campaign this process has not seen yet is
        sent anyway: the script refunds only on the campaign's current day). One of an
        earlier day is sent too, for the spend before the current day, and answers False."""
        known = self._known.get(campaign_id)
        if amount <= 0 or (known is not None and known[0] < day):
            return False
        self._put(_Op("refund", campaign_id, day, amount=amount))
        return known is None or known[0] == day

    async def refunded(self, campaign_id: str, day: int, amount: int) -> bool:
        """`refund`, answered by the network."""
        return await self._answered(_Op("refund", campaign_id, day, amount=amount))

    async def _answered(self, op: _Op) -> bool:
        op.future = asyncio.get_running_loop().create_future()
        self._put(op)
        return await op.future

    def spent(self, campaign_id: str, day: int) -> int:
        return self._sync.spent(campaign_id, day) + self._held.get(campaign_id, 0)

    def spent_many(self, campaign_ids: Sequence[str], day: int) -> array[int]:
        now = self._clock()
        known = self._known
        for c in campaign_ids:
            entry = known.get(c)
            if (entry is None or now - entry[2] >= self._refresh) and c not in self._reading:
                self._reading.add(c)
                self._put(_Op("read", c))
        return array("q", (self._spend_on(c, day) for c in campaign_ids))

    def refresh_all(self) -> None:
        """Queue a read of every known campaign whose spend is stale (the tick's job)."""
        self.spent_many(list(self._known), NO_DAY)

    @property
    def lost(self) -> set[str]:
        """Campaigns whose hash Redis lost (the server's mode: `open_campaigns_only`)."""
        return self._sync.lost

    def open(self, campaign_ids: Sequence[str]) -> None:
        self._sync.open(campaign_ids)

    def load(
        self,
        campaign_id: str,
        day: int,
        spent: int,
        recent: Mapping[str, int],
        before: int = 0,
    ) -> None:
        self._sync.load(campaign_id, day, spent, recent, before)
        self._known[campaign_id] = (*self._sync.day_and_spend(campaign_id), self._clock())

    def _put(self, op: _Op) -> None:
        self._queue.append(op)
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush(), name="redis-ledger-batch")

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                await self._send(batch)
        finally:
            self._flushing = False

    async def _send(self, batch: list[_Op]) -> None:
        answers = await self._execute(batch)
        missing = [i for i, a in enumerate(answers) if isinstance(a, NoScriptError)]
        if missing:  # a restarted Redis forgot the scripts: load them, send those again
            try:
                for script in self._scripts:
                    await self._client.script_load(script)
            except (redis.RedisError, OSError) as error:
                logger.warning("could not load the ledger scripts: %s", error)
            again = await self._execute([batch[i] for i in missing])
            for i, answer in zip(missing, again, strict=True):
                answers[i] = answer
        now = self._clock()
        for op, answer in zip(batch, answers, strict=True):
            self._resolve(op, answer, now)

    async def _execute(self, batch: list[_Op]) -> list[object]:
        """One round trip: the batch's scripts by digest (no SCRIPT EXISTS each time)."""
        pipe = self._client.pipeline(transaction=False)
        for op in batch:
            campaign = self._campaign_key(op.campaign_id)
            reservation = f"{campaign}:{op.day}:{op.request_id}"
            if op.kind == "reserve":
                before = "" if op.spent_before is None else op.spent_before
                args = (op.day, op.amount, op.budget, self._window_ms, self._sync.strict, before)
                pipe.evalsha(self._reserve_sha, 2, campaign, reservation, *args)
            elif op.kind == "release":
                pipe.evalsha(self._release_sha, 2, campaign, reservation, op.day)
            elif op.kind == "refund":
                pipe.evalsha(self._refund_sha, 1, campaign, op.day, op.amount)
            else:
                pipe.hmget(campaign, *FIELDS)
        self.round_trips += 1
        try:
            return list(await pipe.execute(raise_on_error=False))
        except Exception as error:  # whatever it is, nothing of the batch is confirmed
            logger.warning("budget reserves refused, Redis unreachable: %s", error)
            return [error] * len(batch)

    def _resolve(self, op: _Op, answer: object, now: float) -> None:
        campaign_id = op.campaign_id
        if op.kind == "read":
            self._reading.discard(campaign_id)
            if isinstance(answer, list):
                if answer[0] is None and self._sync.strict == "1":
                    self._sync.lost.add(campaign_id)
                day, spent, before = read_fields(answer)
                self._known[campaign_id] = (day, spent, now)
                self._sync.tell_lifetime(campaign_id, day, spent, before)
            return
        accepted = False
        if isinstance(answer, list):
            ok, day, spent, before = (int(v) for v in answer)
            accepted = ok == 1
            if ok == LOST:
                if campaign_id not in self._sync.lost:
                    logger.warning("budget of campaign %s lost by Redis; reloading it", campaign_id)
                self._sync.lost.add(campaign_id)
            else:
                self._known[campaign_id] = (day, spent, now)
                self._sync.tell_lifetime(campaign_id, day, spent, before, op.spent_before)
        elif op.kind != "reserve":  # the refusal of a reserve is logged by _execute
            logger.warning("budget %s of %s not sent: %s", op.kind, campaign_id, answer)
        if op.kind != "reserve":
            if op.future is not None and not op.future.done():
                op.future.set_result(accepted)
            return
        key = (campaign_id, op.day, op.request_id)
        self._provisional.pop(key, None)
        held = self._held[campaign_id] - op.amount
        if held:
            self._held[campaign_id] = held
        else:
            del self._held[campaign_id]
        if accepted:
            confirmed = self._confirmed
            confirmed[key] = None
            if len(confirmed) > CONFIRMED_KEPT:
                confirmed.popitem(last=False)
        else:
            self._refused.add(key)
        if op.future is not None and not op.future.done():
            op.future.set_result(accepted)
