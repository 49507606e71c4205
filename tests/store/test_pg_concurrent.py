"""Several batches committing at once on PostgreSQL (one connection each): the writer keeps
up to the store's `commits_in_flight` in flight, and batches that touch the same aggregate
rows in different orders neither deadlock nor lose a count."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from promovolve.api.metrics import Metrics
from promovolve.api.writer import GroupCommitWriter
from promovolve.store import database
from promovolve.store.pg_batch import AsyncpgStore, Rows
from promovolve.store.repository import EventKey
from tests.api.dbutil import PG_URL, drop_schema, new_schema, require_pg
from tests.store.test_batch import Row, seed

CAMPAIGNS = [f"c{c}" for c in range(4)]


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    require_pg()
    schema = "speed11_" + new_schema()
    await seed(PG_URL, schema)
    engine = database.create_engine(PG_URL, schema)
    try:
        yield engine
    finally:
        await engine.dispose()
        await asyncio.to_thread(drop_schema, schema)


def _reservation(campaign: str, rid: str) -> Row:
    return {
        "campaign_id": campaign,
        "day_index": 3,
        "reservation_id": rid,
        "amount_micros": 10,
        "site_id": "s1",
        "creative_id": f"{campaign}-1",
        "ts": 1.5,
    }


def _event(campaign: str, request: str) -> Row:
    return {
        "kind": "imp",
        "request_id": request,
        "slot_id": "top",
        "site_id": "s1",
        "creative_id": f"{campaign}-1",
        "campaign_id": campaign,
        "price_micros": 10,
        "day_index": 3,
        "ts": 2.5,
    }


class CountingStore(AsyncpgStore):
    """The real store, counting how many of its writes run at once."""

    def __init__(self, engine: AsyncEngine, commits_in_flight: int) -> None:
        super().__init__(engine, commits_in_flight)
        self.running = 0
        self.most = 0

    async def write(self, reservations: Rows, pending: Rows, events: Rows) -> set[EventKey]:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            return await super().write(reservations, pending, events)
        finally:
            self.running -= 1


async def test_the_writer_keeps_the_stores_commits_in_flight(engine: AsyncEngine) -> None:
    store = CountingStore(engine, commits_in_flight=3)
    writer = GroupCommitWriter(store, Metrics(), max_rows=1)  # one row per batch
    futures = [
        writer.submit("reservation", _reservation(CAMPAIGNS[i % 4], f"r{i}")) for i in range(12)
    ]
    writer.start()
    assert all(await asyncio.wait_for(asyncio.gather(*futures), 30))
    await writer.close()
    assert store.most == 3
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM spend_reservations")) == 12
        assert await conn.scalar(text("SELECT sum(selected) FROM spend_daily")) == 12


async def test_concurrent_batches_in_any_row_order_commit_every_count(engine: AsyncEngine) -> None:
    store = AsyncpgStore(engine, commits_in_flight=6)
    rng = random.Random(11)
    rounds, per_round = 8, 6
    try:
        for r in range(rounds):
            writes = []
            for b in range(per_round):
                order = CAMPAIGNS[:]
                rng.shuffle(order)  # each batch meets the aggregate rows in its own order
                tag = f"{r}-{b}"
                # Spend and beacons in batches of their own, as the serve and the beacon
                # paths mostly write them: nothing else orders their transactions.
                if b % 2:
                    writes.append(store.write([], [], [_event(c, f"q{tag}-{c}") for c in order]))
                else:
                    spend = [_reservation(c, f"r{tag}-{c}") for c in order]
                    writes.append(store.write(spend, [], []))
            news = await asyncio.wait_for(asyncio.gather(*writes), 60)
            assert [len(new) for new in news][1::2] == [len(CAMPAIGNS)] * (per_round // 2)
    finally:
        await store.close()
    total = rounds * per_round // 2
    async with engine.connect() as conn:
        daily = await conn.execute(
            text("SELECT campaign_id, selected, spend_micros FROM spend_daily ORDER BY 1")
        )
        expected: list[tuple[object, ...]] = [(c, total, total * 10) for c in CAMPAIGNS]
        assert [tuple(row) for row in daily] == expected
        seen = await conn.execute(
            text("SELECT creative_id, impressions FROM site_creative_totals ORDER BY 1")
        )
        expected = [(f"{c}-1", total) for c in CAMPAIGNS]
        assert [tuple(row) for row in seen] == expected
