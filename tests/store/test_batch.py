"""Batch stores: the SQLite thread store writes exactly what the SQLAlchemy store writes."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, text

from promovolve.store import database
from promovolve.store.batch import BatchStore, SqlAlchemyStore, SqliteThreadStore
from promovolve.store.models import AdvertiserRow, CampaignRow, CreativeRow, PublisherRow, SiteRow
from promovolve.store.repository import EventKey

Row = dict[str, object]

reservations = st.builds(
    lambda c, r, amount: {
        "campaign_id": f"c{c}",
        "day_index": 3,
        "reservation_id": f"r{r}",
        "amount_micros": amount,
        "site_id": "s1",
        "creative_id": f"c{c}-1",
        "ts": 1.5,
    },
    st.integers(0, 2),
    st.integers(0, 6),
    st.integers(1, 10**9),
)
events = st.builds(
    lambda kind, r: {
        "kind": kind,
        "request_id": f"q{r}",
        "slot_id": "top",
        "site_id": "s1",
        "creative_id": "c1-1",
        "campaign_id": "c1",
        "price_micros": 2500,
        "day_index": 3,
        "ts": 2.5,
    },
    st.sampled_from(["imp", "click"]),
    st.integers(0, 6),
)
pending = st.builds(
    lambda c: {"site_id": "s1", "creative_id": f"c{c}-1", "status": "pending", "updated_at": 1.0},
    st.integers(0, 3),
)
batches = st.lists(
    st.tuples(
        st.lists(reservations, max_size=5),
        st.lists(pending, max_size=3, unique_by=lambda r: r["creative_id"]),
        st.lists(events, max_size=5, unique_by=lambda r: (r["kind"], r["request_id"])),
    ),
    min_size=1,
    max_size=5,
)


AGGREGATE_ORDER = {
    "spend_daily": "day_index, site_id, campaign_id",
    "event_daily": "day_index, site_id, creative_id",
    "site_campaign_totals": "site_id, campaign_id",
    "site_creative_totals": "site_id, creative_id",
}
RAW_GROUPED = {
    "spend_daily": "SELECT day_index, site_id, campaign_id, count(*), sum(amount_micros) "
    "FROM spend_reservations GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    "site_creative_totals": "SELECT site_id, creative_id, "
    "sum(CASE WHEN kind = 'imp' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN kind = 'click' THEN 1 ELSE 0 END) "
    "FROM tracking_events GROUP BY 1, 2 ORDER BY 1, 2",
}


async def _run(
    store: BatchStore,
    url: str,
    work: list[tuple[list[Row], list[Row], list[Row]]],
    schema: str | None = None,
):
    new_events: list[set[EventKey]] = []
    try:
        for r, p, e in work:
            new_events.append(await store.write(r, p, e))
    finally:
        await store.close()
    engine = database.create_engine(url, schema)
    try:
        async with engine.connect() as conn:
            tables = {}
            for table, order in (
                ("spend_reservations", "campaign_id, day_index, reservation_id"),
                ("tracking_events", "request_id, slot_id, kind"),
                ("approvals", "site_id, creative_id"),
                *AGGREGATE_ORDER.items(),
            ):
                rows = await conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
                tables[table] = [tuple(row) for row in rows]
            # The aggregates count exactly the raw rows written (replays added nothing).
            for table, query in RAW_GROUPED.items():
                grouped = [tuple(row) for row in await conn.execute(text(query))]
                assert tables[table] == grouped, table
    finally:
        await engine.dispose()
    return new_events, tables


async def _fresh(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    await seed(url)
    return url


async def seed(url: str, schema: str | None = None) -> None:
    """Migrated tables and the rows the write path's foreign keys need."""
    engine = database.create_engine(url, schema)
    try:
        await database.migrate(engine, schema)
        async with engine.begin() as conn:  # the approvals' foreign keys need these rows
            await conn.execute(
                insert(PublisherRow).values(id="p1", name="P", api_key_hash="hp", created_at=0)
            )
            await conn.execute(
                insert(AdvertiserRow).values(id="a1", name="A", api_key_hash="ha", created_at=0)
            )
            await conn.execute(
                insert(SiteRow).values(
                    id="s1", publisher_id="p1", domain="a.example", name="", bid_weight=1.0,
                    pacing_json="{}", clock_origin=0, created_at=0,
                )
            )  # fmt: skip
            for c in range(4):
                await conn.execute(
                    insert(CampaignRow).values(
                        id=f"c{c}", advertiser_id="a1", name="n", daily_budget_micros=1,
                        cpm_micros=1, categories_json="[]", keywords_json="[]",
                        status="active", created_at=0,
                    )
                )  # fmt: skip
                await conn.execute(
                    insert(CreativeRow).values(
                        id=f"c{c}-1", campaign_id=f"c{c}", advertiser_id="a1",
                        asset_url="https://x/a", landing_url="https://x/l", width=1, height=1,
                        status="active", created_at=0,
                    )
                )  # fmt: skip
    finally:
        await engine.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches)
def test_both_stores_write_the_same_rows_and_report_the_same_new_events(
    work: list[tuple[list[Row], list[Row], list[Row]]],
) -> None:
    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            url_a = await _fresh(Path(tmp) / "a.db")
            url_b = await _fresh(Path(tmp) / "b.db")
            url_c = await _fresh(Path(tmp) / "c.db")
            engine_a = database.create_engine(url_a)
            try:
                through_sqlalchemy = await _run(SqlAlchemyStore(engine_a), url_a, work)
            finally:
                await engine_a.dispose()  # its pool's connection threads end on this loop
            through_thread = await _run(SqliteThreadStore(Path(tmp) / "b.db"), url_b, work)
            # Two rows per statement: batches span several statements in one transaction.
            in_pairs = await _run(SqliteThreadStore(Path(tmp) / "c.db", 2), url_c, work)
            assert through_thread == through_sqlalchemy
            assert in_pairs == through_sqlalchemy

    asyncio.run(scenario())


async def test_a_constraint_is_refused_data_and_rolls_the_batch_back(tmp_path: Path) -> None:
    url = await _fresh(tmp_path / "s.db")
    store = SqliteThreadStore(tmp_path / "s.db")
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
        with pytest.raises(sqlite3.IntegrityError) as error:
            await store.write(
                [good, {**good, "reservation_id": "r2", "amount_micros": None}], [], []
            )
        assert store.refused(error.value)
        assert not store.refused(OSError("disk I/O error"))
        assert await store.write([good], [], []) == set()
    finally:
        await store.close()
    _, tables = await _run(SqliteThreadStore(tmp_path / "s.db"), url, [])
    assert [row[3] for row in tables["spend_reservations"]] == ["r1"]  # r2's batch left nothing


async def test_the_wal_is_copied_into_the_database_in_the_background(tmp_path: Path) -> None:
    # The writer's own automatic checkpoint waits for 10,000 pages; these rows make far
    # fewer, so only the background checkpoint can have moved them into the main file.
    path = tmp_path / "s.db"
    await _fresh(path)
    store = SqliteThreadStore(path, checkpoint_interval=0.05)
    rows = [
        {
            "campaign_id": f"c{i % 4}",
            "day_index": 1,
            "reservation_id": f"r{i}",
            "amount_micros": 5,
            "site_id": "s1",
            "creative_id": f"c{i % 4}-1",
            "ts": 1.0,
        }
        for i in range(3000)
    ]
    before = path.stat().st_size
    try:
        await store.write(rows, [], [])
        deadline = time.monotonic() + 10
        while path.stat().st_size == before and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert path.stat().st_size > before
    finally:
        await store.close()
    assert not any(t.name == "promovolve-sqlite-checkpoint" for t in threading.enumerate())
