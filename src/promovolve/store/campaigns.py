"""Campaigns, their creatives, and publishers' approval decisions on creatives."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.domain.model import ApprovalStatus, Campaign, Creative
from promovolve.store.mapping import terms_json
from promovolve.store.models import ApprovalRow, CampaignRow, CreativeRow
from promovolve.store.repository import dialect_insert


class CampaignRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, campaign: Campaign, now: float) -> None:
        await self._session.execute(
            insert(CampaignRow).values(id=campaign.id, created_at=now, **_campaign_values(campaign))
        )

    async def update(self, campaign: Campaign) -> None:
        """Store the campaign's name, budget, bid, targeting and status."""
        await self._session.execute(
            update(CampaignRow)
            .where(CampaignRow.id == campaign.id)
            .values(**_campaign_values(campaign))
        )

    async def archive(self, campaign_id: str, now: float) -> None:
        await self._session.execute(
            update(CampaignRow).where(CampaignRow.id == campaign_id).values(archived_at=now)
        )


def _campaign_values(campaign: Campaign) -> dict[str, object]:
    return {
        "advertiser_id": campaign.advertiser_id,
        "name": campaign.name,
        "daily_budget_micros": campaign.daily_budget_micros,
        "cpm_micros": campaign.cpm_micros,
        "categories_json": terms_json(campaign.categories),
        "keywords_json": terms_json(campaign.keywords),
        "excluded_categories_json": terms_json(campaign.excluded_categories),
        "excluded_keywords_json": terms_json(campaign.excluded_keywords),
        "status": campaign.status.value,
        "delivery_mode": campaign.delivery.value,
        "flight_start": campaign.flight_start,
        "flight_end": campaign.flight_end,
        "lifetime_budget_micros": campaign.lifetime_budget_micros,
    }


class CreativeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, creative: Creative, now: float) -> None:
        await self._session.execute(
            insert(CreativeRow).values(
                id=creative.id,
                campaign_id=creative.campaign_id,
                advertiser_id=creative.advertiser_id,
                asset_url=creative.asset_url,
                landing_url=creative.landing_url,
                width=creative.width,
                height=creative.height,
                status=creative.status.value,
                created_at=now,
            )
        )

    async def update(self, creative: Creative) -> None:
        """Store the creative's status (the only field that changes)."""
        await self._set(creative.id, status=creative.status.value)

    async def archive(self, creative_id: str, now: float) -> None:
        await self._set(creative_id, archived_at=now)

    async def _set(self, creative_id: str, **values: object) -> None:
        await self._session.execute(
            update(CreativeRow).where(CreativeRow.id == creative_id).values(**values)
        )


class ApprovalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def decide(
        self, site_id: str, creative_id: str, status: ApprovalStatus, now: float
    ) -> None:
        stmt = dialect_insert(self._session, ApprovalRow).values(
            site_id=site_id, creative_id=creative_id, status=status.value, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["site_id", "creative_id"],
            set_={"status": stmt.excluded.status, "updated_at": stmt.excluded.updated_at},
        )
        await self._session.execute(stmt)
