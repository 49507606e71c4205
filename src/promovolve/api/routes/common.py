"""JSON views of entities shared by the route modules."""

from __future__ import annotations

import uuid
from typing import Any

from promovolve.api.errors import ApiError, JsonResponse
from promovolve.domain.model import Campaign, Creative, Site
from promovolve.domain.money import micros_to_usd


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def conflict(what: str, field: str = "id") -> ApiError:
    return ApiError(409, "conflict", f"{what} already exists", field)


def created(content: Any) -> JsonResponse:
    return JsonResponse(content, status_code=201)


def site_json(site: Site) -> dict[str, object]:
    return {
        "id": site.id,
        "publisherId": site.publisher_id,
        "domain": site.domain,
        "name": site.name,
        "bidWeight": site.bid_weight,
        "pacing": site.pacing.to_json(),
    }


def campaign_json(campaign: Campaign) -> dict[str, object]:
    return {
        "id": campaign.id,
        "advertiserId": campaign.advertiser_id,
        "name": campaign.name,
        "dailyBudget": micros_to_usd(campaign.daily_budget_micros),
        "cpm": micros_to_usd(campaign.cpm_micros),
        "categories": sorted(campaign.categories),
        "keywords": sorted(campaign.keywords),
        "status": campaign.status.value,
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
    }
