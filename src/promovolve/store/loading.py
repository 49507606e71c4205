"""What the server reads at start: accounts, sites, the catalog, and today's delivery.

Everything comes back as domain objects, or as plain numbers aggregated in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.domain.model import (
    Advertiser,
    ApprovalStatus,
    Campaign,
    Creative,
    Publisher,
    Site,
)
from promovolve.store.mapping import (
    advertiser_from_row,
    campaign_from_row,
    creative_from_row,
    publisher_from_row,
    site_from_row,
)
from promovolve.store.models import (
    AdvertiserRow,
    ApprovalRow,
    BlocklistRow,
    CampaignRow,
    CreativeRow,
    EngineSnapshotRow,
    PublisherRow,
    SiteRow,
    SpendReservationRow,
    TrackingEventRow,
)


@dataclass(slots=True)
class EventCounts:
    impressions: int = 0
    clicks: int = 0


@dataclass(slots=True)
class LoadedState:
    # (account, its API key hash)
    publishers: list[tuple[Publisher, str]] = field(default_factory=list)
    advertisers: list[tuple[Advertiser, str]] = field(default_factory=list)
    # (site, start of its simulated day 0)
    sites: list[tuple[Site, float]] = field(default_factory=list)
    blocklists: dict[str, set[str]] = field(default_factory=dict)
    campaigns: list[Campaign] = field(default_factory=list)
    creatives: list[Creative] = field(default_factory=list)
    # site → creative → the publisher's decision
    approvals: dict[str, dict[str, ApprovalStatus]] = field(default_factory=dict)
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
    for p in await session.scalars(select(PublisherRow)):
        state.publishers.append((publisher_from_row(p), p.api_key_hash))
    for a in await session.scalars(select(AdvertiserRow)):
        state.advertisers.append((advertiser_from_row(a), a.api_key_hash))
    for s in await session.scalars(select(SiteRow)):
        state.sites.append((site_from_row(s), s.clock_origin))
    for blocked in await session.scalars(select(BlocklistRow)):
        state.blocklists.setdefault(blocked.publisher_id, set()).add(blocked.domain)
    state.campaigns = [campaign_from_row(c) for c in await session.scalars(select(CampaignRow))]
    state.creatives = [creative_from_row(c) for c in await session.scalars(select(CreativeRow))]
    for ap in await session.scalars(select(ApprovalRow)):
        state.approvals.setdefault(ap.site_id, {})[ap.creative_id] = ApprovalStatus(ap.status)
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
        .where(SpendReservationRow.released.is_(False))  # their budget went back
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
            # Served either way; spent only while not released by settlement.
            func.sum(
                case((SpendReservationRow.released.is_(False), SpendReservationRow.amount_micros))
            ),
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
