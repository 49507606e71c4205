"""The asyncpg batch store writes on PostgreSQL exactly what the SQLAlchemy store writes,
and reports the same new events."""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings

from promovolve.store import database
from promovolve.store.batch import SqlAlchemyStore, batch_store_for
from promovolve.store.pg_batch import AsyncpgStore
from tests.api.dbutil import PG_URL, drop_schema, new_schema, require_pg
from tests.store.test_batch import Row, _run, batches, seed


async def _through(store_of, work: list[tuple[list[Row], list[Row], list[Row]]]):
    schema = "shared11_" + new_schema()
    try:
        await seed(PG_URL, schema)
        engine = database.create_engine(PG_URL, schema)
        try:
            return await _run(store_of(engine), PG_URL, work, schema)
        finally:
            await engine.dispose()
    finally:
        await asyncio.to_thread(drop_schema, schema)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches)
def test_asyncpg_and_sqlalchemy_stores_write_the_same(
    work: list[tuple[list[Row], list[Row], list[Row]]],
) -> None:
    require_pg()

    async def both() -> None:
        assert await _through(AsyncpgStore, work) == await _through(SqlAlchemyStore, work)

    asyncio.run(both())


def test_postgresql_batches_go_through_asyncpg() -> None:
    engine = database.create_engine(PG_URL)
    assert isinstance(batch_store_for(engine), AsyncpgStore)


async def test_a_constraint_is_refused_data_and_rolls_the_batch_back() -> None:
    require_pg()
    schema = "shared11_" + new_schema()
    good = {
        "campaign_id": "c1",
        "day_index": 1,
        "reservation_id": "r1",
        "amount_micros": 5,
        "site_id": "s1",
        "creative_id": "c1-1",
        "ts": 1.0,
    }
    try:
        await seed(PG_URL, schema)
        engine = database.create_engine(PG_URL, schema)
        store = AsyncpgStore(engine)
        try:
            with pytest.raises(asyncpg.PostgresError) as error:
                await store.write(
                    [good, {**good, "reservation_id": "r2", "amount_micros": None}], [], []
                )
            assert store.refused(error.value)
            assert not store.refused(OSError("connection reset"))
            assert await store.write([good], [], []) == set()
        finally:
            await store.close()
            await engine.dispose()
        _, tables = await _run(
            SqlAlchemyStore(database.create_engine(PG_URL, schema)), PG_URL, [], schema
        )
        assert [row[3] for row in tables["spend_reservations"]] == ["r1"]
    finally:
        await asyncio.to_thread(drop_schema, schema)
