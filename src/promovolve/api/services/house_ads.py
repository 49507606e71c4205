"""House ads: a publisher's own creatives for one of its sites, filling unsold slots."""

from __future__ import annotations

from dataclasses import replace

from promovolve.api.services.context import ServiceContext, new_id
from promovolve.api.services.errors import ConflictError, NotFoundError
from promovolve.api.services.sites import SiteService
from promovolve.domain.model import HouseAd
from promovolve.network.changes import HOUSE_AD, Change


class HouseAdService:
    def __init__(self, context: ServiceContext, sites: SiteService) -> None:
        self._ctx = context
        self._sites = sites

    def of_site(
        self, publisher_id: str, site_id: str, include_archived: bool = False
    ) -> list[HouseAd]:
        self._sites.state_of(publisher_id, site_id)
        found = [
            ad
            for ad in self._ctx.state.house_ads_of(site_id)
            if include_archived or not ad.archived
        ]
        return sorted(found, key=lambda ad: ad.id)

    def get(self, publisher_id: str, site_id: str, house_ad_id: str) -> HouseAd:
        """The site's house ad (archived ones too)."""
        self._sites.state_of(publisher_id, site_id)
        ad = self._ctx.state.house_ads.get(house_ad_id)
        if ad is None or ad.site_id != site_id:
            raise NotFoundError("house ad", "houseAdId")
        return ad

    async def create(self, draft: HouseAd) -> HouseAd:
        """Add `draft` (its id chosen here when empty) to a live site's house ads."""
        ctx = self._ctx
        async with ctx.lock:
            state = self._sites.state_of(draft.publisher_id, draft.site_id)
            if state.site.archived:
                raise ConflictError("site is archived", "siteId")
            ad = draft if draft.id else replace(draft, id=new_id("house"))
            if ad.id in ctx.state.house_ads:
                raise ConflictError("house ad already exists", "id")
            async with ctx.writes("house ad") as stored:
                await stored.house_ads.add(ad, ctx.clock())
            ctx.state.put_house_ad(ad)
        await ctx.changed(Change(HOUSE_AD, ad.id))
        return ad

    async def archive(self, publisher_id: str, site_id: str, house_ad_id: str) -> None:
        """Stop serving the house ad for good; it stays readable by its id."""
        ctx = self._ctx
        async with ctx.lock:
            ad = self.get(publisher_id, site_id, house_ad_id)
            if ad.archived:
                return
            async with ctx.writes("house ad") as stored:
                await stored.house_ads.archive(house_ad_id, ctx.clock())
            ctx.state.put_house_ad(replace(ad, archived=True))
        # Strict: the publisher took it down, so no process may show it after the answer.
        await ctx.changed(Change(HOUSE_AD, house_ad_id), strict=True)
