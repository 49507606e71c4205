"""The durable write path: a group-commit writer for the serve and tracking hot paths.

Handlers put rows on a queue and await a future; one task takes everything queued,
writes it in one transaction, and resolves the futures after the commit. While a
commit is in flight new rows pile up, so batches grow with load and a quiet server
still commits each row at once. Batches go to a BatchStore (`promovolve.store.batch`).

A store that takes several transactions at once (`BatchStore.commits_in_flight`, one
connection each: PostgreSQL) gets the next batch while earlier ones are still committing:
a commit is mostly the wait for the database's disk flush, during which a single
in-flight batch would leave the process idle and every new row waiting for the flush of
rows it is not part of.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Literal

from promovolve.api.metrics import Metrics
from promovolve.store.batch import BatchStore

logger = logging.getLogger("promovolve.api.writer")

Kind = Literal["reservation", "event", "pending"]


@dataclass(slots=True, eq=False)
class _Item:
    kind: Kind
    row: dict[str, object]
    future: asyncio.Future[bool] | None = field(default=None)


class WriterClosedError(RuntimeError):
    pass


class GroupCommitWriter:
    def __init__(self, store: BatchStore, metrics: Metrics, max_rows: int = 512) -> None:
        self._store = store
        self._metrics = metrics
        self._max_rows = max_rows
        # A plain list and an event, not an asyncio.Queue: submit runs once per served ad.
        self._queued: list[_Item] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slot_free = asyncio.Event()

    @property
    def store(self) -> BatchStore:
        return self._store

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    async def close(self) -> None:
        """Write everything already queued, then stop."""
        if self._closed:
            return
        self._closed = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    def submit(self, kind: Kind, row: dict[str, object]) -> asyncio.Future[bool]:
        """Queue a row; the future is True once committed (for events: True if new)."""
        if self._closed:
            raise WriterClosedError("server is shutting down")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue(_Item(kind, row, future))
        return future

    def submit_nowait(self, kind: Kind, row: dict[str, object]) -> None:
        """Queue a row nobody waits for (pending-queue entries)."""
        if not self._closed:
            self._queue(_Item(kind, row, None))

    def _queue(self, item: _Item) -> None:
        self._queued.append(item)
        if not self._wakeup.is_set():
            self._wakeup.set()

    async def _run(self) -> None:
        try:
            await self._write_until_closed()
        finally:
            await self._store.close()

    async def _write_until_closed(self) -> None:
        limit = max(1, self._store.commits_in_flight)
        while True:
            await self._wakeup.wait()
            # One turn of the loop first: handlers already woken add their rows to this batch.
            await asyncio.sleep(0)
            while self._queued:
                while len(self._in_flight) >= limit:
                    self._slot_free.clear()
                    await self._slot_free.wait()
                batch = self._queued[: self._max_rows]
                del self._queued[: self._max_rows]
                self._start_flush(batch)
            self._wakeup.clear()
            if self._closed and not self._queued:
                while self._in_flight:
                    await asyncio.gather(*self._in_flight)
                return

    def _start_flush(self, batch: list[_Item]) -> None:
        task = asyncio.get_running_loop().create_task(self._flush(batch), name="group-commit")
        self._in_flight.add(task)
        task.add_done_callback(self._flushed)

    def _flushed(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slot_free.set()

    async def _flush(self, batch: list[_Item]) -> None:
        try:
            await self._commit(batch)
        except Exception as exc:
            if len(batch) == 1 or not self._store.refused(exc):
                logger.error("group commit of %d rows failed: %s", len(batch), exc)
                for item in batch:
                    _fail(item, exc)
                return
            # The database refused some row's data: write each row on its own, so one bad
            # row does not fail the rows of other callers batched with it.
            logger.warning(
                "group commit of %d rows failed (%s); writing them one by one", len(batch), exc
            )
            for index, item in enumerate(batch):
                try:
                    await self._commit([item])
                except Exception as item_exc:
                    logger.error("write of a %s row failed: %s", item.kind, item_exc)
                    _fail(item, item_exc)
                    if not self._store.refused(item_exc):
                        # The database itself is failing now: fail the rest at once.
                        for rest in batch[index + 1 :]:
                            _fail(rest, item_exc)
                        return

    async def _commit(self, batch: list[_Item]) -> None:
        """Write a batch in one transaction and resolve its futures; raises if refused."""
        reservations = [i.row for i in batch if i.kind == "reservation"]
        pending = [i.row for i in batch if i.kind == "pending"]
        events: list[_Item] = []
        seen: set[tuple[object, object, object]] = set()
        duplicates: set[int] = set()
        for item in batch:
            if item.kind == "event":
                key = (item.row["request_id"], item.row["slot_id"], item.row["kind"])
                if key in seen:
                    duplicates.add(id(item))
                else:
                    seen.add(key)
                    events.append(item)
        inserted = await self._store.write(
            reservations, _dedupe_pending(pending), [i.row for i in events]
        )
        self._metrics.write_batch.observe(len(batch))
        for item in batch:
            if item.future is None or item.future.done():
                continue
            if item.kind == "event":
                key = (item.row["request_id"], item.row["slot_id"], item.row["kind"])
                item.future.set_result(key in inserted and id(item) not in duplicates)
            else:
                item.future.set_result(True)


def _fail(item: _Item, exc: Exception) -> None:
    if item.future is not None and not item.future.done():
        item.future.set_exception(exc)


def _dedupe_pending(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    unique: dict[tuple[object, object], dict[str, object]] = {}
    for row in rows:
        unique.setdefault((row["site_id"], row["creative_id"]), row)
    return list(unique.values())
