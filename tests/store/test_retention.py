"""Pruning raw rows after the retention period loses none of what restart and stats read."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from promovolve.store import database, loading, repository
from promovolve.store.retention import SECONDS_PER_DAY, Retention, kept_seconds, prune
from tests.store.test_aggregates import event, reservation


async def _counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        spend = (await conn.execute(text("SELECT count(*) FROM spend_reservations"))).scalar()
        events = (await conn.execute(text("SELECT count(*) FROM tracking_events"))).scalar()
    return int(spend or 0), int(events or 0)


async def _fill(engine: AsyncEngine) -> None:
    async with database.session_factory(engine).begin() as session:
        await repository.insert_reservations(
            session,
            [reservation(reservation_id=f"r{i}", ts=float(i)) for i in range(10)],
        )
        await repository.insert_events(
            session, [event(request_id=f"q{i}", ts=float(i)) for i in range(10)]
        )


async def test_prune_deletes_only_rows_older_than_the_cutoff_in_chunks(
    engine: AsyncEngine,
) -> None:
    await _fill(engine)
    sessions = database.session_factory(engine)
    async with sessions() as session:
        before = await loading.load_state(session, now=12.0, window_seconds=3.0)
    assert await prune(engine, cutoff=7.0, rows_per_delete=3) == 14
    assert await _counts(engine) == (3, 3)
    async with sessions() as session:
        after = await loading.load_state(session, now=12.0, window_seconds=3.0)
    # The window's ids are newer than the cutoff; every count comes from the aggregates.
    assert after == before
    assert after.site_selected == {"s1": 10}
    assert after.ledger_days["c1"].spent == 1000
    assert await prune(engine, cutoff=7.0) == 0


async def test_a_pruned_event_key_is_not_replayable_within_the_kept_time(
    engine: AsyncEngine,
) -> None:
    # Rows are kept at least a beacon's life, so a replay still finds its key.
    kept = kept_seconds(retention_days=0.0001, tracking_ttl_seconds=86_400, window=300)
    assert kept == 86_400
    assert kept_seconds(2, 86_400, 300) == 2 * SECONDS_PER_DAY
    await _fill(engine)
    retention = Retention(engine, kept, clock=lambda: 9.0 + kept)
    assert await retention.run_once() == 18  # rows stamped 0 … 8
    async with database.session_factory(engine).begin() as session:
        new = await repository.insert_events(session, [event(request_id="q9")])
    assert new == set()  # still a replay


async def test_the_background_task_prunes_and_stops(engine: AsyncEngine) -> None:
    await _fill(engine)
    retention = Retention(engine, kept=0.0, interval=0.01, clock=lambda: 100.0)
    retention.start()
    for _ in range(200):
        if await _counts(engine) == (0, 0):
            break
        await asyncio.sleep(0.01)
    await retention.stop()
    assert await _counts(engine) == (0, 0)
