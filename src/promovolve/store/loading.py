"""What the server reads at start: accounts, sites, the catalog, snapshots, and the counters
of each site's current day and of all time, from the aggregates.

Everything comes back as domain objects, or as plain numbers. Nothing here scans the raw
reservations or events of past days: the aggregates are small (per site and campaign or
creative, and per day), only the latest days are read, and the raw reservations are read back
only as far as the ledger's idempotency window.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.domain.model import (
    Advertiser,
    ApprovalStatus,
    Campaign,
    Creative,
    HouseAd,
    Publisher,
    Site,
)
from promovolve.store.mapping import (
    advertiser_from_row,
    campaign_from_row,
    creative_from_row,
    house_ad_from_row,
    publisher_from_row,
    site_from_row,
)
from promovolve.store.models import (
    AdvertiserRow,
    ApprovalRow,
    BlocklistRow,
    CampaignRow,
    CategoryPinRow,
    CreativeRow,
    EngineSnapshotRow,
    EventDailyRow,
    HouseAdRow,
    PublisherRow,
    SiteCampaignTotalRow,
    SiteCreativeTotalRow,
    SiteRow,
    SpendDailyRow,
    SpendReservationRow,
)

# Raw reservations read per query while walking back through the idempotency window.
RECENT_PAGE_ROWS = 5_000


@dataclass(slots=True)
class EventCounts:
    impressions: int = 0
    clicks: int = 0


@dataclass(slots=True)
class LedgerDay:
    """A campaign's latest day: its spend, its reservations of the idempotency window, and
    its spend before that day."""

    day: int
    spent: int
    recent: dict[str, int] = field(default_factory=dict)
    before: int = 0


@dataclass(slots=True)
class LoadedState:
    # (account, its API key hash)
    publishers: list[tuple[Publisher, str]] = field(default_factory=list)
    advertisers: list[tuple[Advertiser, str]] = field(default_factory=list)
    # (site, start of its simulated day 0)
    sites: list[tuple[Site, float]] = field(default_factory=list)
    blocklists: dict[str, set[str]] = field(default_factory=dict)
    # site → page URL ("" for the whole site) → pinned category ids
    pins: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    campaigns: list[Campaign] = field(default_factory=list)
    creatives: list[Creative] = field(default_factory=list)
    house_ads: list[HouseAd] = field(default_factory=list)
    # site → creative → the publisher's decision
    approvals: dict[str, dict[str, ApprovalStatus]] = field(default_factory=dict)
    snapshots: dict[str, str] = field(default_factory=dict)
    # campaign → its latest day's spend and recent reservation ids
    ledger_days: dict[str, LedgerDay] = field(default_factory=dict)
    # campaign → site that last spent for it
    last_site: dict[str, str] = field(default_factory=dict)
    # site → its latest day with spend → campaign → (impressions served, spend)
    site_days: dict[str, dict[int, dict[str, tuple[int, int]]]] = field(default_factory=dict)
    # site → lifetime selected count
    site_selected: dict[str, int] = field(default_factory=dict)
    # site → creative → lifetime counts
    creative_events: dict[str, dict[str, EventCounts]] = field(default_factory=dict)
    # site → its latest day with spend → (impressions, clicks)
    event_days: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)


async def load_state(session: AsyncSession, now: float, window_seconds: float) -> LoadedState:
    """Everything the runtime rebuilds its memory from; `now` and the ledger's idempotency
    window say how far back reservation ids are still needed."""
    state = await load_catalog(session)
    for snap in await session.scalars(select(EngineSnapshotRow)):
        state.snapshots[snap.site_id] = snap.data
    site_day = await _load_spend(session, state, now - window_seconds)
    await _load_events(session, state, site_day)
    return state


async def load_catalog(session: AsyncSession) -> LoadedState:
    """What management calls change: accounts and keys, sites, blocklists, pins, campaigns,
    creatives and approvals (the part a process reloads after losing the change stream)."""
    state = LoadedState()
    for p in await session.scalars(select(PublisherRow)):
        state.publishers.append((publisher_from_row(p), p.api_key_hash))
    for a in await session.scalars(select(AdvertiserRow)):
        state.advertisers.append((advertiser_from_row(a), a.api_key_hash))
    for s in await session.scalars(select(SiteRow)):
        state.sites.append((site_from_row(s), s.clock_origin))
    for blocked in await session.scalars(select(BlocklistRow)):
        state.blocklists.setdefault(blocked.publisher_id, set()).add(blocked.domain)
    for pin in await session.scalars(select(CategoryPinRow)):
        categories = tuple(orjson.loads(pin.categories_json))
        state.pins.setdefault(pin.site_id, {})[pin.url] = categories
    state.campaigns = [campaign_from_row(c) for c in await session.scalars(select(CampaignRow))]
    state.creatives = [creative_from_row(c) for c in await session.scalars(select(CreativeRow))]
    state.house_ads = [house_ad_from_row(h) for h in await session.scalars(select(HouseAdRow))]
    for ap in await session.scalars(select(ApprovalRow)):
        state.approvals.setdefault(ap.site_id, {})[ap.creative_id] = ApprovalStatus(ap.status)
    return state


async def _load_spend(session: AsyncSession, state: LoadedState, since: float) -> dict[str, int]:
    """Lifetime and latest-day spend; the latest day of each site (that of its newest
    reservation, so a day clock restarted at 0 is followed)."""
    campaign_latest: dict[str, tuple[float, int, str]] = {}
    site_latest: dict[str, tuple[float, int]] = {}
    lifetime: dict[str, int] = {}
    for total in await session.scalars(select(SiteCampaignTotalRow)):
        site, campaign = total.site_id, total.campaign_id
        state.site_selected[site] = state.site_selected.get(site, 0) + total.selected
        lifetime[campaign] = lifetime.get(campaign, 0) + total.spend_micros
        latest = (total.last_ts, total.last_day)
        if campaign not in campaign_latest or latest > campaign_latest[campaign][:2]:
            campaign_latest[campaign] = (*latest, site)
        if site not in site_latest or latest > site_latest[site]:
            site_latest[site] = latest
    site_day = {site: day for site, (_, day) in site_latest.items()}
    campaign_day = {campaign: day for campaign, (_, day, _) in campaign_latest.items()}
    state.last_site = {campaign: site for campaign, (_, _, site) in campaign_latest.items()}

    spent = dict.fromkeys(campaign_day, 0)
    days = sorted({*site_day.values(), *campaign_day.values()})
    query = select(SpendDailyRow).where(SpendDailyRow.day_index.in_(days))
    for row in await session.scalars(query):
        if site_day.get(row.site_id) == row.day_index:
            state.site_days.setdefault(row.site_id, {}).setdefault(row.day_index, {})[
                row.campaign_id
            ] = (row.selected, row.spend_micros)
        if campaign_day.get(row.campaign_id) == row.day_index:
            spent[row.campaign_id] += row.spend_micros
    state.ledger_days = {
        c: LedgerDay(day, spent[c], before=lifetime[c] - spent[c])
        for c, day in campaign_day.items()
    }
    for campaign, day, reservation_id, amount in await _recent_reservations(session, since):
        ledger_day = state.ledger_days.get(campaign)
        if ledger_day is not None and ledger_day.day == day:
            ledger_day.recent[reservation_id] = amount
    return site_day


async def _recent_reservations(
    session: AsyncSession, since: float
) -> list[tuple[str, int, str, int]]:
    """Reservations stamped at `since` or later, newest first: pages back along the primary
    key (rows arrive in time order) and stops at the first older row, so no index on the
    time is needed and older rows are never read."""
    r = SpendReservationRow
    out: list[tuple[str, int, str, int]] = []
    before: int | None = None
    while True:
        query = (
            select(
                r.id,
                r.campaign_id,
                r.day_index,
                r.reservation_id,
                r.amount_micros,
                r.ts,
                r.released,
            )
            .order_by(r.id.desc())
            .limit(RECENT_PAGE_ROWS)
        )
        if before is not None:
            query = query.where(r.id < before)
        rows = (await session.execute(query)).all()
        for row_id, campaign, day, reservation_id, amount, ts, released in rows:
            if ts < since:
                return out
            if not released:  # settlement gave its budget back
                out.append((campaign, int(day), reservation_id, int(amount)))
            before = row_id
        if len(rows) < RECENT_PAGE_ROWS:
            return out


async def _load_events(session: AsyncSession, state: LoadedState, site_day: dict[str, int]) -> None:
    for total in await session.scalars(select(SiteCreativeTotalRow)):
        state.creative_events.setdefault(total.site_id, {})[total.creative_id] = EventCounts(
            total.impressions, total.clicks
        )
    days = sorted(set(site_day.values()))
    query = select(EventDailyRow).where(EventDailyRow.day_index.in_(days))
    for row in await session.scalars(query):
        if site_day.get(row.site_id) != row.day_index:
            continue
        per_day = state.event_days.setdefault(row.site_id, {})
        impressions, clicks = per_day.get(row.day_index, (0, 0))
        per_day[row.day_index] = (impressions + row.impressions, clicks + row.clicks)


async def ledger_days(
    session: AsyncSession, campaign_ids: Collection[str], now: float, window_seconds: float
) -> dict[str, LedgerDay]:
    """The latest day of each of these campaigns, as loading at start reads it (its spend,
    its reservations of the idempotency window, and its spend before it); campaigns that
    never spent are absent."""
    ids = sorted(campaign_ids)
    latest: dict[str, tuple[float, int]] = {}
    lifetime: dict[str, int] = {}
    totals = select(SiteCampaignTotalRow).where(SiteCampaignTotalRow.campaign_id.in_(ids))
    for total in await session.scalars(totals):
        lifetime[total.campaign_id] = lifetime.get(total.campaign_id, 0) + total.spend_micros
        known = latest.get(total.campaign_id)
        if known is None or (total.last_ts, total.last_day) > known:
            latest[total.campaign_id] = (total.last_ts, total.last_day)
    days = {campaign: LedgerDay(day, 0) for campaign, (_, day) in latest.items()}
    daily = select(SpendDailyRow).where(
        SpendDailyRow.campaign_id.in_(list(days)),
        SpendDailyRow.day_index.in_(sorted({d.day for d in days.values()})),
    )
    for row in await session.scalars(daily):
        if days[row.campaign_id].day == row.day_index:
            days[row.campaign_id].spent += row.spend_micros
    for campaign, day, reservation_id, amount in await _recent_reservations(
        session, now - window_seconds
    ):
        recent = days.get(campaign)
        if recent is not None and recent.day == day:
            recent.recent[reservation_id] = amount
    for campaign, ledger_day in days.items():
        ledger_day.before = lifetime[campaign] - ledger_day.spent
    return days
