"""The write path's statements (spend, events, pending approvals, snapshots) and server
settings; every function runs inside the caller's transaction."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from promovolve.store import aggregates
from promovolve.store.models import (
    ApprovalRow,
    EngineSnapshotRow,
    ServerSetting,
    SpendReservationRow,
    TrackingEventRow,
)

EventKey = tuple[str, str, str]


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _dialect(session: AsyncSession | AsyncConnection) -> str:
    bind = session if isinstance(session, AsyncConnection) else session.get_bind()
    return str(bind.dialect.name)


def dialect_insert(session: AsyncSession | AsyncConnection, model: type[Any]) -> Any:
    """A dialect insert that supports ON CONFLICT (SQLite and PostgreSQL)."""
    if _dialect(session) == "postgresql":
        return postgresql.insert(_table(model))
    return sqlite.insert(_table(model))


@functools.cache
def insert_ignoring(dialect: str, what: str) -> Any:
    """The write path's inserts ("reservations", "approvals", "events"), skipping rows whose
    key exists; built once per dialect, so SQLAlchemy reuses their cache key and compiled
    form instead of rebuilding both for every batch. Events return what the aggregates and
    the caller need of each row inserted: its key, then `aggregates.EVENT_COLUMNS`."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    if what == "reservations":
        return insert(_table(SpendReservationRow)).on_conflict_do_nothing(
            index_elements=["day_index", "reservation_id", "campaign_id"]
        )
    if what == "approvals":
        return insert(_table(ApprovalRow)).on_conflict_do_nothing(
            index_elements=["site_id", "creative_id"]
        )
    events = _table(TrackingEventRow)
    return (
        insert(events)
        .on_conflict_do_nothing(index_elements=["request_id", "slot_id", "kind"])
        .returning(
            events.c.request_id,
            events.c.slot_id,
            events.c.kind,
            *(events.c[name] for name in aggregates.EVENT_COLUMNS),
        )
    )


@functools.cache
def reservations_returning(dialect: str) -> Any:
    table = _table(SpendReservationRow)
    return insert_ignoring(dialect, "reservations").returning(
        *(table.c[name] for name in aggregates.SPEND_COLUMNS)
    )


async def get_or_create_setting(session: AsyncSession, key: str, default: str) -> str:
    await session.execute(
        dialect_insert(session, ServerSetting)
        .values(key=key, value=default)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    value = await session.scalar(select(ServerSetting.value).where(ServerSetting.key == key))
    return value if value is not None else default


async def insert_pending(
    conn: AsyncSession | AsyncConnection, rows: Sequence[dict[str, object]]
) -> None:
    """New pending-queue entries; an existing decision is never overwritten."""
    if rows:
        await conn.execute(insert_ignoring(_dialect(conn), "approvals"), list(rows))


async def insert_reservations(
    conn: AsyncSession | AsyncConnection, rows: Sequence[dict[str, object]]
) -> None:
    """Durable spend rows and their aggregates (a replayed reservation id is ignored)."""
    if rows:
        dialect = _dialect(conn)
        result = await conn.execute(reservations_returning(dialect), list(rows))
        await aggregates.add(conn, dialect, aggregates.spend_rollup(result.all()))


async def insert_events(
    conn: AsyncSession | AsyncConnection, rows: Sequence[dict[str, object]]
) -> set[EventKey]:
    """Insert tracking events and their aggregates; the keys that were new (the others are
    replays)."""
    if not rows:
        return set()
    dialect = _dialect(conn)
    inserted = (await conn.execute(insert_ignoring(dialect, "events"), list(rows))).all()
    await aggregates.add(conn, dialect, aggregates.event_rollup(r[3:] for r in inserted))
    return {(r[0], r[1], r[2]) for r in inserted}


async def upsert_snapshot(session: AsyncSession, site_id: str, data: str, ts: float) -> None:
    stmt = dialect_insert(session, EngineSnapshotRow).values(
        site_id=site_id, data=data, updated_at=ts
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["site_id"],
        set_={"data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at},
    )
    await session.execute(stmt)
