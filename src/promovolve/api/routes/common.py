"""JSON views of entities, and the query parameters shared by the route modules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Query

from promovolve.api.errors import JsonResponse
from promovolve.domain.model import Account, Campaign, Creative, Site
from promovolve.domain.money import micros_to_usd

IncludeQuery = Annotated[
    Literal["archived"] | None,
    Query(description="`archived` lists archived objects too (left out by default)"),
]


def created(content: Any) -> JsonResponse:
    return JsonResponse(content, status_code=201)


def account_json(account: Account, api_key: str | None = None) -> dict[str, object]:
    out: dict[str, object] = {"id": account.id, "name": account.name, "active": account.active}
    if api_key is not None:
        out["apiKey"] = api_key
    return out


def site_json(site: Site) -> dict[str, object]:
    return {
        "id": site.id,
        "publisherId": site.publisher_id,
        "domain": site.domain,
        "name": site.name,
        "bidWeight": site.bid_weight,
        "floorCpm": micros_to_usd(site.floor_cpm_micros),
        "categoryFloors": {c: micros_to_usd(v) for c, v in sorted(site.category_floors.items())},
        "pacing": site.pacing.to_json(),
        "archived": site.archived,
    }


def _utc(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def campaign_json(campaign: Campaign) -> dict[str, object]:
    return {
        "id": campaign.id,
        "advertiserId": campaign.advertiser_id,
        "name": campaign.name,
        "dailyBudget": micros_to_usd(campaign.daily_budget_micros),
        "cpm": micros_to_usd(campaign.cpm_micros),
        "categories": sorted(campaign.categories),
        "keywords": sorted(campaign.keywords),
        "excludedCategories": sorted(campaign.excluded_categories),
        "excludedKeywords": sorted(campaign.excluded_keywords),
        "status": campaign.status.value,
        "deliveryMode": campaign.delivery.value,
        "flightStart": _utc(campaign.flight_start),
        "flightEnd": _utc(campaign.flight_end),
        "lifetimeBudget": (
            None
            if campaign.lifetime_budget_micros is None
            else micros_to_usd(campaign.lifetime_budget_micros)
        ),
        "archived": campaign.archived,
    }


def creative_json(creative: Creative) -> dict[str, object]:
    return {
        "id": creative.id,
        "campaignId": creative.campaign_id,
        "advertiserId": creative.advertiser_id,
        "assetUrl": creative.asset_url,
        "landingUrl": creative.landing_url,
        "width": creative.width,
        "height": creative.height,
        "status": creative.status.value,
        "archived": creative.archived,
    }
