"""One object as the database has it now, for a process that was told it changed.

Each read answers None for an object the database does not have (yet): a change record
names an object; what it is now is always read here, never carried in the record, so
records applied late or twice still leave the latest committed state.
"""

from __future__ import annotations

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
    HouseAdRow,
    PublisherRow,
    SiteRow,
)


async def publisher(session: AsyncSession, publisher_id: str) -> tuple[Publisher, str] | None:
    """The publisher and its API key hash."""
    row = await session.get(PublisherRow, publisher_id)
    return None if row is None else (publisher_from_row(row), row.api_key_hash)


async def advertiser(session: AsyncSession, advertiser_id: str) -> tuple[Advertiser, str] | None:
    """The advertiser and its API key hash."""
    row = await session.get(AdvertiserRow, advertiser_id)
    return None if row is None else (advertiser_from_row(row), row.api_key_hash)


async def site(session: AsyncSession, site_id: str) -> tuple[Site, float] | None:
    """The site and the start of its simulated day 0."""
    row = await session.get(SiteRow, site_id)
    return None if row is None else (site_from_row(row), row.clock_origin)


async def campaign(session: AsyncSession, campaign_id: str) -> Campaign | None:
    row = await session.get(CampaignRow, campaign_id)
    return None if row is None else campaign_from_row(row)


async def house_ad(session: AsyncSession, house_ad_id: str) -> HouseAd | None:
    row = await session.get(HouseAdRow, house_ad_id)
    return None if row is None else house_ad_from_row(row)


async def creative(session: AsyncSession, creative_id: str) -> Creative | None:
    row = await session.get(CreativeRow, creative_id)
    return None if row is None else creative_from_row(row)


async def approvals(session: AsyncSession, site_id: str) -> dict[str, ApprovalStatus]:
    """Every decision of a site's publisher on the site's creatives."""
    query = select(ApprovalRow).where(ApprovalRow.site_id == site_id)
    return {a.creative_id: ApprovalStatus(a.status) for a in await session.scalars(query)}


async def approval(session: AsyncSession, site_id: str, creative_id: str) -> ApprovalStatus | None:
    row = await session.get(ApprovalRow, (site_id, creative_id))
    return None if row is None else ApprovalStatus(row.status)


async def blocklist(session: AsyncSession, publisher_id: str) -> frozenset[str]:
    query = select(BlocklistRow.domain).where(BlocklistRow.publisher_id == publisher_id)
    return frozenset(await session.scalars(query))


async def pins(session: AsyncSession, site_id: str) -> dict[str, tuple[str, ...]]:
    """The site's pins: page URL ("" for the whole site) → category ids."""
    query = select(CategoryPinRow).where(CategoryPinRow.site_id == site_id)
    return {
        pin.url: tuple(orjson.loads(pin.categories_json)) for pin in await session.scalars(query)
    }
