"""Publishers' house ads."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.domain.model import HouseAd
from promovolve.store.models import HouseAdRow


class HouseAdRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, ad: HouseAd, now: float) -> None:
        await self._session.execute(
            insert(HouseAdRow).values(
                id=ad.id,
                publisher_id=ad.publisher_id,
                site_id=ad.site_id,
                asset_url=ad.asset_url,
                landing_url=ad.landing_url,
                width=ad.width,
                height=ad.height,
                created_at=now,
            )
        )

    async def archive(self, house_ad_id: str, now: float) -> None:
        await self._session.execute(
            update(HouseAdRow).where(HouseAdRow.id == house_ad_id).values(archived_at=now)
        )
