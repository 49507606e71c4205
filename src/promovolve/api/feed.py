"""The change feed of one process (with `PROMOVOLVE_REDIS_URL`): tells the network of the
changes made here, applies everyone's, and says whether this process may serve.

One background task reads the stream, applies each record (api/changes.py) and then beats:
the heartbeat carries the last applied id, which is how a waiting call learns that this
process has its change. A process serves paid ads only while its last heartbeat is fresh:
once it could have expired, the network no longer waits for this process, so it may have
missed a revoke; it answers 503 until it has reloaded everything and beaten again.

A call that changes something publishes its records after its commit and waits until every
live process has applied them. A change that takes money or access away (`strict`) answers
503 when that takes longer than `strict_wait` (it is committed, and in force once the
stragglers catch up or drop out); any other change answers after `wait` regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import Protocol

import redis

from promovolve.api.services.errors import UnavailableError
from promovolve.network.changes import Change, ChangeStream, RegistryTooYoung

logger = logging.getLogger("promovolve.api.feed")

HEARTBEAT_SECONDS = 0.5
EXPIRY_SECONDS = 3.0
# This process stops serving this long before Redis could let its heartbeat expire.
MARGIN_SECONDS = 0.5
# Records applied per beat: each is a database read, and the beat must come well within
# the expiry even when a burst of changes arrives.
READ_COUNT = 50


class Applier(Protocol):
    """What applies records (api/changes.py's ChangeApplier)."""

    async def apply(self, change: Change) -> None: ...

    async def reload_all(self) -> None: ...


class NotInForceError(UnavailableError):
    """The change is committed but some live process has not applied it yet (503)."""


class ChangeFeed:
    def __init__(
        self,
        stream: ChangeStream,
        wait: float = 1.0,
        strict_wait: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.process_id = secrets.token_hex(8)
        self._stream = stream
        self._wait = wait
        self._strict_wait = strict_wait
        self._clock = clock
        # The last record applied; None: this process must reload everything first.
        self._applied: str | None = None
        self._registered = False
        self._serve_until = 0.0
        # Records committed here that Redis did not take yet (sent by the task when it can).
        self._outbox: list[Change] = []
        self._task: asyncio.Task[None] | None = None

    async def mark(self) -> None:
        """Called before the runtime loads its state: records from here on are applied on
        top of it. Without Redis now, the first beat reloads everything instead."""
        try:
            self._applied = await self._stream.last_id()
        except redis.RedisError as error:
            logger.warning("change stream unreachable at start: %s", error)

    async def start(self, applier: Applier) -> None:
        """Beat once (so the process serves as soon as it is up), then keep at it."""
        try:
            await self.beat(applier)
        except (redis.RedisError, OSError) as error:
            logger.warning("change feed: %s", error)
        self._task = asyncio.create_task(self._run(applier), name="change-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(redis.RedisError):
            await self._stream.leave(self.process_id)

    def in_force(self) -> bool:
        """Whether this process has every change the network may rely on it having."""
        return self._applied is not None and self._clock() < self._serve_until

    async def announce(self, changes: list[Change], strict: bool) -> None:
        """Publish committed changes and wait until every live process has applied them."""
        try:
            record = await self._stream.publish(changes)
        except redis.RedisError as error:
            self._outbox.extend(changes)
            logger.warning("change not published yet, Redis unreachable: %s", error)
            if strict:
                raise NotInForceError(_NOT_IN_FORCE) from error
            return
        deadline = self._clock() + (self._strict_wait if strict else self._wait)
        pause = 0.001
        while True:
            try:
                if not await self._stream.behind(record, _ms(HEARTBEAT_SECONDS * 2)):
                    return
            except (redis.RedisError, RegistryTooYoung):
                pass
            if self._clock() >= deadline:
                if strict:
                    raise NotInForceError(_NOT_IN_FORCE)
                logger.warning("change %s not yet applied by every process", record)
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.01)

    async def _run(self, applier: Applier) -> None:
        while True:
            try:
                await self.beat(applier)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the feed must outlive any fault; it retries
                logger.warning("change feed: %s", error)
                await asyncio.sleep(HEARTBEAT_SECONDS)

    async def beat(self, applier: Applier) -> None:
        """One round: send what Redis missed, reload everything if this process may have
        missed records, apply new records, then beat with the last one applied."""
        if self._outbox:
            await self._stream.publish(self._outbox)
            self._outbox.clear()
        if self._registered and self._clock() >= self._serve_until:
            self._applied = None  # the network stopped waiting for us: we may have missed some
        if self._applied is None:
            mark = await self._stream.last_id()
            await applier.reload_all()
            self._applied = mark
            logger.info("change feed: reloaded everything, applying changes after %s", mark)
        block = _ms(HEARTBEAT_SECONDS) if self._registered else 1
        records = await self._stream.read(self._applied, block, READ_COUNT)
        # Reloading an object once covers every record of it in the batch.
        for change in dict.fromkeys(change for _, change in records):
            await applier.apply(change)
        if records:
            self._applied = records[-1][0]
        sent = self._clock()
        unknown = await self._stream.heartbeat(self.process_id, self._applied, _ms(EXPIRY_SECONDS))
        if unknown and self._registered:
            # Redis lost the registry (and maybe records): reload before serving again.
            self._applied = None
            self._serve_until = 0.0
            return
        self._registered = True
        self._serve_until = sent + EXPIRY_SECONDS - MARGIN_SECONDS


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


_NOT_IN_FORCE = (
    "the change is committed, but not every server process has applied it yet; it is in "
    "force everywhere once they do or their heartbeat expires (within seconds)"
)
