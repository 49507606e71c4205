"""Campaigns and their creatives (an advertiser's catalog)."""

from __future__ import annotations

from dataclasses import replace

from promovolve.api.services.context import ServiceContext, new_id
from promovolve.api.services.errors import ConflictError, InvalidError, NotFoundError
from promovolve.domain.model import (
    Campaign,
    CampaignStatus,
    Creative,
    CreativeStatus,
    DeliveryMode,
)
from promovolve.network.changes import CAMPAIGN, CREATIVE, Change


class CampaignService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def _advertiser(self, advertiser_id: str) -> None:
        if advertiser_id not in self._ctx.state.advertisers:
            raise NotFoundError("advertiser", "advertiserId")

    def get(self, advertiser_id: str, campaign_id: str) -> Campaign:
        """The advertiser's campaign (archived ones too)."""
        self._advertiser(advertiser_id)
        campaign = self._ctx.state.campaigns.get(campaign_id)
        if campaign is None or campaign.advertiser_id != advertiser_id:
            raise NotFoundError("campaign", "campaignId")
        return campaign

    def _live(self, advertiser_id: str, campaign_id: str) -> Campaign:
        campaign = self.get(advertiser_id, campaign_id)
        if campaign.archived:
            raise ConflictError("campaign is archived", "campaignId")
        return campaign

    def of_advertiser(self, advertiser_id: str, include_archived: bool = False) -> list[Campaign]:
        self._advertiser(advertiser_id)
        found = [
            c
            for c in self._ctx.state.campaigns.values()
            if c.advertiser_id == advertiser_id and (include_archived or not c.archived)
        ]
        return sorted(found, key=lambda c: c.id)

    async def create(self, draft: Campaign) -> Campaign:
        """Add `draft` (its id chosen here when empty) to the advertiser's campaigns."""
        self._advertiser(draft.advertiser_id)
        campaign = draft if draft.id else replace(draft, id=new_id("cmp"))
        _check_flight(campaign)
        ctx = self._ctx
        async with ctx.lock:
            if campaign.id in ctx.state.campaigns:
                raise ConflictError("campaign already exists", "id")
            async with ctx.writes("campaign") as stored:
                await stored.campaigns.add(campaign, ctx.clock())
            ctx.state.ledger.open([campaign.id])
            ctx.state.put_campaign(campaign)
        await ctx.changed(Change(CAMPAIGN, campaign.id))
        return campaign

    async def update(
        self,
        advertiser_id: str,
        campaign_id: str,
        name: str | None = None,
        daily_budget_micros: int | None = None,
        cpm_micros: int | None = None,
        categories: frozenset[str] | None = None,
        keywords: frozenset[str] | None = None,
        status: CampaignStatus | None = None,
        excluded_categories: frozenset[str] | None = None,
        excluded_keywords: frozenset[str] | None = None,
        delivery: DeliveryMode | None = None,
        flight_start: float | None = None,
        flight_end: float | None = None,
        lifetime_budget_micros: int | None = None,
    ) -> Campaign:
        """Change budget, bid, status, targeting, name or delivery mode; absent values stay
        as they are."""
        ctx = self._ctx
        async with ctx.lock:
            old = self._live(advertiser_id, campaign_id)
            new = replace(
                old,
                name=name if name is not None else old.name,
                daily_budget_micros=(
                    daily_budget_micros
                    if daily_budget_micros is not None
                    else old.daily_budget_micros
                ),
                cpm_micros=cpm_micros if cpm_micros is not None else old.cpm_micros,
                categories=categories if categories is not None else old.categories,
                keywords=keywords if keywords is not None else old.keywords,
                status=status if status is not None else old.status,
                excluded_categories=(
                    excluded_categories
                    if excluded_categories is not None
                    else old.excluded_categories
                ),
                excluded_keywords=(
                    excluded_keywords if excluded_keywords is not None else old.excluded_keywords
                ),
                delivery=delivery if delivery is not None else old.delivery,
                flight_start=flight_start if flight_start is not None else old.flight_start,
                flight_end=flight_end if flight_end is not None else old.flight_end,
                lifetime_budget_micros=(
                    lifetime_budget_micros
                    if lifetime_budget_micros is not None
                    else old.lifetime_budget_micros
                ),
            )
            _check_flight(new)
            async with ctx.writes("campaign") as stored:
                await stored.campaigns.update(new)
            ctx.state.put_campaign(new)
        await ctx.changed(Change(CAMPAIGN, campaign_id), strict=takes_away(old, new))
        return new

    async def archive(self, advertiser_id: str, campaign_id: str) -> None:
        """Stop the campaign for good; it, its creatives and its spend history stay."""
        ctx = self._ctx
        async with ctx.lock:
            campaign = self.get(advertiser_id, campaign_id)
            if campaign.archived:
                return
            async with ctx.writes("campaign") as stored:
                await stored.campaigns.archive(campaign_id, ctx.clock())
            ctx.state.put_campaign(replace(campaign, archived=True))
        await ctx.changed(Change(CAMPAIGN, campaign_id), strict=True)

    def get_creative(self, advertiser_id: str, campaign_id: str, creative_id: str) -> Creative:
        campaign = self.get(advertiser_id, campaign_id)
        creative = self._ctx.state.creatives.get(creative_id)
        if creative is None or creative.campaign_id != campaign.id:
            raise NotFoundError("creative", "creativeId")
        return creative

    def list_creatives(
        self, advertiser_id: str, campaign_id: str, include_archived: bool = False
    ) -> list[Creative]:
        campaign = self.get(advertiser_id, campaign_id)
        found = [
            c
            for c in self._ctx.state.creatives_of(campaign.id)
            if include_archived or not c.archived
        ]
        return sorted(found, key=lambda c: c.id)

    async def create_creative(self, draft: Creative) -> Creative:
        """Add `draft` (its id chosen here when empty) to a live campaign."""
        ctx = self._ctx
        async with ctx.lock:
            self._live(draft.advertiser_id, draft.campaign_id)
            creative = draft if draft.id else replace(draft, id=new_id("cr"))
            if creative.id in ctx.state.creatives:
                raise ConflictError("creative already exists", "id")
            async with ctx.writes("creative") as stored:
                await stored.creatives.add(creative, ctx.clock())
            ctx.state.put_creative(creative)
        await ctx.changed(Change(CREATIVE, creative.id))
        return creative

    async def set_creative_status(
        self, advertiser_id: str, campaign_id: str, creative_id: str, status: CreativeStatus
    ) -> Creative:
        ctx = self._ctx
        async with ctx.lock:
            old = self.get_creative(advertiser_id, campaign_id, creative_id)
            if old.archived:
                raise ConflictError("creative is archived", "creativeId")
            new = replace(old, status=status)
            async with ctx.writes("creative") as stored:
                await stored.creatives.update(new)
            ctx.state.put_creative(new)
        strict = new.status is not CreativeStatus.ACTIVE
        await ctx.changed(Change(CREATIVE, creative_id), strict=strict)
        return new

    async def archive_creative(
        self, advertiser_id: str, campaign_id: str, creative_id: str
    ) -> None:
        ctx = self._ctx
        async with ctx.lock:
            creative = self.get_creative(advertiser_id, campaign_id, creative_id)
            if creative.archived:
                return
            async with ctx.writes("creative") as stored:
                await stored.creatives.archive(creative_id, ctx.clock())
            ctx.state.put_creative(replace(creative, archived=True))
        await ctx.changed(Change(CREATIVE, creative_id), strict=True)


def takes_away(old: Campaign, new: Campaign) -> bool:
    """Whether a process still on `old` could spend what `new` would not: anything but a
    new name, a higher budget or a resumed campaign (a pause, a budget cut, a lower bid,
    new targeting, exclusions or flight dates)."""
    loosened = replace(
        new,
        name=old.name,
        daily_budget_micros=old.daily_budget_micros,
        status=old.status if new.is_active else new.status,
    )
    return loosened != old or new.daily_budget_micros < old.daily_budget_micros


def _check_flight(campaign: Campaign) -> None:
    start, end = campaign.flight_start, campaign.flight_end
    if start is not None and end is not None and end <= start:
        raise InvalidError("flightEnd must be after flightStart", "flightEnd")
    if campaign.lifetime_budget_micros is not None and end is None:
        # Spread over the days left of the flight: without an end there are none to count.
        raise InvalidError("a lifetimeBudget needs a flightEnd", "lifetimeBudget")
