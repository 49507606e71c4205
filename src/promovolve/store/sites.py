"""Sites, their pacing config and their publisher's blocklist."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.domain.model import Site
from promovolve.pacing.config import PacingConfig
from promovolve.store.mapping import pacing_json, terms_json
from promovolve.store.models import BlocklistRow, CategoryPinRow, SiteRow
from promovolve.store.repository import dialect_insert


class SiteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, site: Site, clock_origin: float, now: float) -> None:
        await self._session.execute(
            insert(SiteRow).values(
                id=site.id,
                publisher_id=site.publisher_id,
                domain=site.domain,
                name=site.name,
                bid_weight=site.bid_weight,
                pacing_json=pacing_json(site.pacing),
                clock_origin=clock_origin,
                created_at=now,
            )
        )

    async def update(self, site: Site) -> None:
        """Store the site's domain, name and bid weight."""
        await self._set(site.id, domain=site.domain, name=site.name, bid_weight=site.bid_weight)

    async def set_pacing(self, site_id: str, config: PacingConfig, clock_origin: float) -> None:
        await self._set(site_id, pacing_json=pacing_json(config), clock_origin=clock_origin)

    async def archive(self, site_id: str, now: float) -> None:
        await self._set(site_id, archived_at=now)

    async def _set(self, site_id: str, **values: object) -> None:
        await self._session.execute(update(SiteRow).where(SiteRow.id == site_id).values(**values))


class BlocklistRepository:
    """Landing domains a publisher keeps off all its sites."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, publisher_id: str, domains: Iterable[str]) -> None:
        await self._session.execute(
            delete(BlocklistRow).where(BlocklistRow.publisher_id == publisher_id)
        )
        await self.add(publisher_id, domains)

    async def add(self, publisher_id: str, domains: Iterable[str]) -> None:
        rows = [{"publisher_id": publisher_id, "domain": d} for d in sorted(set(domains))]
        if rows:
            await self._session.execute(
                dialect_insert(self._session, BlocklistRow)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["publisher_id", "domain"])
            )

    async def remove(self, publisher_id: str, domains: Iterable[str]) -> None:
        wanted = sorted(set(domains))
        if wanted:
            await self._session.execute(
                delete(BlocklistRow).where(
                    and_(
                        BlocklistRow.publisher_id == publisher_id,
                        BlocklistRow.domain.in_(wanted),
                    )
                )
            )


class CategoryPinRepository:
    """A publisher's categories for a page of a site (its URL), or the whole site (URL "")."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def put(self, site_id: str, url: str, categories: frozenset[str]) -> None:
        await self.remove(site_id, url)
        await self._session.execute(
            insert(CategoryPinRow).values(
                site_id=site_id, url=url, categories_json=terms_json(categories)
            )
        )

    async def remove(self, site_id: str, url: str) -> None:
        await self._session.execute(
            delete(CategoryPinRow).where(
                and_(CategoryPinRow.site_id == site_id, CategoryPinRow.url == url)
            )
        )
