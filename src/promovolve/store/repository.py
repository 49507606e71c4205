"""Queries and writes on the schema; every function runs inside the caller's transaction."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from promovolve.store.models import (
    AdvertiserRow,
    ApprovalRow,
    BlocklistRow,
    CampaignRow,
    CreativeRow,
    EngineSnapshotRow,
    PublisherRow,
    ServerSetting,
    SiteRow,
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


def _insert(session: AsyncSession | AsyncConnection, model: type[Any]) -> Any:
    """A dialect insert that supports ON CONFLICT (SQLite and PostgreSQL)."""
    if _dialect(session) == "postgresql":
        return postgresql.insert(_table(model))
    return sqlite.insert(_table(model))


@functools.cache
def insert_ignoring(dialect: str, what: str) -> Any:
    """The write path's inserts ("reservations", "approvals", "events"), skipping rows whose
    key exists; built once per dialect, so SQLAlchemy reuses their cache key and compiled
    form instead of rebuilding both for every batch."""
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
        .returning(events.c.request_id, events.c.slot_id, events.c.kind)
    )


# -- server settings --------------------------------------------------------------------
async def get_or_create_setting(session: AsyncSession, key: str, default: str) -> str:
    await session.execute(
        _insert(session, ServerSetting)
        .values(key=key, value=default)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    value = await session.scalar(select(ServerSetting.value).where(ServerSetting.key == key))
    return value if value is not None else default


# -- upserts ------------------------------------------------------------------------------
async def upsert_approval(
    session: AsyncSession, site_id: str, creative_id: str, status: str, ts: float
) -> None:
    stmt = _insert(session, ApprovalRow).values(
        site_id=site_id, creative_id=creative_id, status=status, updated_at=ts
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["site_id", "creative_id"],
        set_={"status": stmt.excluded.status, "updated_at": stmt.excluded.updated_at},
    )
    await session.execute(stmt)


async def insert_pending(
    conn: AsyncSession | AsyncConnection, rows: Sequence[dict[str, object]]
) -> None:
    """New pending-queue entries; an existing decision is never overwritten."""
    if rows:
        await conn.execute(insert_ignoring(_dialect(conn), "approvals"), list(rows))


async def insert_reservations(
    conn: AsyncSession | AsyncConnection, rows: Sequence[dict[str, object]]
) -> None:
    """Durable spend rows (executemany; a replayed reservation id is ignored)."""
    if rows:
        await conn.execute(insert_ignoring(_dialect(conn), "reservations"), list(rows))


async def insert_events(
    conn: AsyncSession | AsyncConnection, rows: Sequence[dict[str, object]]
) -> set[EventKey]:
    """Insert tracking events; returns the keys that were new (the others are replays)."""
    if not rows:
        return set()
    result = await conn.execute(insert_ignoring(_dialect(conn), "events"), list(rows))
    return {(r[0], r[1], r[2]) for r in result.all()}


async def upsert_snapshot(session: AsyncSession, site_id: str, data: str, ts: float) -> None:
    stmt = _insert(session, EngineSnapshotRow).values(site_id=site_id, data=data, updated_at=ts)
    stmt = stmt.on_conflict_do_update(
        index_elements=["site_id"],
        set_={"data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at},
    )
    await session.execute(stmt)


# -- blocklists -----------------------------------------------------------------------------
async def replace_blocklist(
    session: AsyncSession, publisher_id: str, domains: Iterable[str]
) -> None:
    await session.execute(delete(BlocklistRow).where(BlocklistRow.publisher_id == publisher_id))
    await add_blocklist(session, publisher_id, domains)


async def add_blocklist(session: AsyncSession, publisher_id: str, domains: Iterable[str]) -> None:
    rows = [{"publisher_id": publisher_id, "domain": d} for d in sorted(set(domains))]
    if rows:
        await session.execute(
            _insert(session, BlocklistRow)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["publisher_id", "domain"])
        )


async def remove_blocklist(
    session: AsyncSession, publisher_id: str, domains: Iterable[str]
) -> None:
    wanted = sorted(set(domains))
    if wanted:
        await session.execute(
            delete(BlocklistRow).where(
                and_(BlocklistRow.publisher_id == publisher_id, BlocklistRow.domain.in_(wanted))
            )
        )


async def update_row(
    session: AsyncSession, model: type[Any], row_id: str, values: dict[str, object]
) -> None:
    await session.execute(update(model).where(model.id == row_id).values(**values))


# -- loading at start -------------------------------------------------------------------------
@dataclass(slots=True)
class EventCounts:
    impressions: int = 0
    clicks: int = 0


@dataclass(slots=True)
class LoadedState:
    publishers: list[PublisherRow] = field(default_factory=list)
    advertisers: list[AdvertiserRow] = field(default_factory=list)
    sites: list[SiteRow] = field(default_factory=list)
    blocklists: dict[str, set[str]] = field(default_factory=dict)
    campaigns: list[CampaignRow] = field(default_factory=list)
    creatives: list[CreativeRow] = field(default_factory=list)
    approvals: list[ApprovalRow] = field(default_factory=list)
    snapshots: dict[str, str] = field(default_factory=dict)
    # campaign → (its latest day, {reservation id: amount})
    reservations: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)
    # campaign → site that last spent for it
    last_site: dict[str, str] = field(default_factory=dict)
    # site → day → campaign → (impressions, spend)
    site_days: dict[str, dict[int, dict[str, tuple[int, int]]]] = field(default_factory=dict)
    # site → lifetime selected count
    site_selected: dict[str, int] = field(default_factory=dict)
    # site → creative → lifetime counts
    creative_events: dict[str, dict[str, EventCounts]] = field(default_factory=dict)
    # site → day → (impressions, clicks)
    event_days: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)


async def load_state(session: AsyncSession) -> LoadedState:
    state = LoadedState()
    state.publishers = list(await session.scalars(select(PublisherRow)))
    state.advertisers = list(await session.scalars(select(AdvertiserRow)))
    state.sites = list(await session.scalars(select(SiteRow)))
    for blocked in await session.scalars(select(BlocklistRow)):
        state.blocklists.setdefault(blocked.publisher_id, set()).add(blocked.domain)
    state.campaigns = list(await session.scalars(select(CampaignRow)))
    state.creatives = list(await session.scalars(select(CreativeRow)))
    state.approvals = list(await session.scalars(select(ApprovalRow)))
    for snap in await session.scalars(select(EngineSnapshotRow)):
        state.snapshots[snap.site_id] = snap.data

    latest = (
        select(
            SpendReservationRow.campaign_id,
            func.max(SpendReservationRow.day_index).label("day"),
        )
        .group_by(SpendReservationRow.campaign_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            SpendReservationRow.campaign_id,
            SpendReservationRow.day_index,
            SpendReservationRow.reservation_id,
            SpendReservationRow.amount_micros,
            SpendReservationRow.site_id,
        )
        .join(
            latest,
            and_(
                latest.c.campaign_id == SpendReservationRow.campaign_id,
                latest.c.day == SpendReservationRow.day_index,
            ),
        )
        .order_by(SpendReservationRow.id)
    )
    for campaign_id, day, reservation_id, amount, site_id in rows.all():
        entry = state.reservations.get(campaign_id)
        if entry is None:
            entry = state.reservations[campaign_id] = (int(day), {})
        entry[1][reservation_id] = int(amount)
        state.last_site[campaign_id] = site_id

    per_site_day = await session.execute(
        select(
            SpendReservationRow.site_id,
            SpendReservationRow.day_index,
            SpendReservationRow.campaign_id,
            func.count(),
            func.sum(SpendReservationRow.amount_micros),
        ).group_by(
            SpendReservationRow.site_id,
            SpendReservationRow.day_index,
            SpendReservationRow.campaign_id,
        )
    )
    for site_id, day, campaign_id, count, total in per_site_day.all():
        days = state.site_days.setdefault(site_id, {})
        days.setdefault(int(day), {})[campaign_id] = (int(count), int(total or 0))
        state.site_selected[site_id] = state.site_selected.get(site_id, 0) + int(count)

    per_creative = await session.execute(
        select(
            TrackingEventRow.site_id,
            TrackingEventRow.creative_id,
            TrackingEventRow.kind,
            func.count(),
        ).group_by(TrackingEventRow.site_id, TrackingEventRow.creative_id, TrackingEventRow.kind)
    )
    for site_id, creative_id, kind, count in per_creative.all():
        counts = state.creative_events.setdefault(site_id, {}).setdefault(
            creative_id, EventCounts()
        )
        if kind == "imp":
            counts.impressions += int(count)
        elif kind == "click":
            counts.clicks += int(count)

    per_day = await session.execute(
        select(
            TrackingEventRow.site_id,
            TrackingEventRow.day_index,
            TrackingEventRow.kind,
            func.count(),
        ).group_by(TrackingEventRow.site_id, TrackingEventRow.day_index, TrackingEventRow.kind)
    )
    for site_id, day, kind, count in per_day.all():
        days_events = state.event_days.setdefault(site_id, {})
        imps, clicks = days_events.get(int(day), (0, 0))
        if kind == "imp":
            imps += int(count)
        elif kind == "click":
            clicks += int(count)
        days_events[int(day)] = (imps, clicks)
    return state


async def reservations_of(session: AsyncSession, campaign_id: str) -> list[SpendReservationRow]:
    return list(
        await session.scalars(
            select(SpendReservationRow)
            .where(SpendReservationRow.campaign_id == campaign_id)
            .order_by(SpendReservationRow.id)
        )
    )
