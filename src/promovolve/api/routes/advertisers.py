"""Advertiser routes: accounts, campaigns, creatives."""

from __future__ import annotations

from fastapi import APIRouter, Response

from promovolve.api.answers import CampaignOut, CreativeOut
from promovolve.api.auth import require_advertiser
from promovolve.api.deps import PrincipalDep, ServicesDep
from promovolve.api.errors import JsonResponse
from promovolve.api.ownership import OwnedRoute
from promovolve.api.routes.accounts import add_account_routes
from promovolve.api.routes.common import IncludeQuery, campaign_json, created, creative_json
from promovolve.api.schemas import CampaignCreate, CampaignPatch, CreativeCreate, CreativePatch
from promovolve.domain.model import (
    Creative,
    CreativeStatus,
)

router = APIRouter(prefix="/v1/advertisers", tags=["advertisers"], route_class=OwnedRoute)
add_account_routes(router, "advertiser")

CAMPAIGN = "/{advertiserId}/campaigns/{campaignId}"
CREATIVE = CAMPAIGN + "/creatives/{creativeId}"


@router.post("/{advertiserId}/campaigns", status_code=201, response_model=CampaignOut)
async def create_campaign(
    advertiserId: str, body: CampaignCreate, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_advertiser(principal, advertiserId)
    draft = body.draft(advertiserId)
    return created(campaign_json(await services.campaigns.create(draft)))


@router.get("/{advertiserId}/campaigns", response_model=list[CampaignOut])
async def list_campaigns(
    advertiserId: str, services: ServicesDep, principal: PrincipalDep, include: IncludeQuery = None
) -> JsonResponse:
    require_advertiser(principal, advertiserId)
    campaigns = services.campaigns.of_advertiser(
        advertiserId, include_archived=include == "archived"
    )
    return JsonResponse([campaign_json(c) for c in campaigns])


@router.get(CAMPAIGN, response_model=CampaignOut)
async def get_campaign(
    advertiserId: str, campaignId: str, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_advertiser(principal, advertiserId)
    return JsonResponse(campaign_json(services.campaigns.get(advertiserId, campaignId)))


@router.patch(CAMPAIGN, response_model=CampaignOut)
async def patch_campaign(
    advertiserId: str,
    campaignId: str,
    body: CampaignPatch,
    services: ServicesDep,
    principal: PrincipalDep,
) -> JsonResponse:
    """Change budget, bid, status, targeting or name; absent fields stay as they are."""
    require_advertiser(principal, advertiserId)
    campaign = await services.campaigns.update(advertiserId, campaignId, **body.changes())
    return JsonResponse(campaign_json(campaign))


@router.delete(CAMPAIGN, status_code=204)
async def archive_campaign(
    advertiserId: str, campaignId: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """Archive the campaign: it stops serving; it, its stats and its spend history stay."""
    require_advertiser(principal, advertiserId)
    await services.campaigns.archive(advertiserId, campaignId)
    return Response(status_code=204)


@router.post(CAMPAIGN + "/creatives", status_code=201, response_model=CreativeOut)
async def create_creative(
    advertiserId: str,
    campaignId: str,
    body: CreativeCreate,
    services: ServicesDep,
    principal: PrincipalDep,
) -> JsonResponse:
    """Register a creative by the https URL of its asset on a CDN."""
    require_advertiser(principal, advertiserId)
    draft = Creative(
        id=body.id or "",
        campaign_id=campaignId,
        advertiser_id=advertiserId,
        asset_url=body.asset_url,
        landing_url=body.landing_url,
        width=body.width,
        height=body.height,
        status=CreativeStatus(body.status),
    )
    return created(creative_json(await services.campaigns.create_creative(draft)))


@router.get(CAMPAIGN + "/creatives", response_model=list[CreativeOut])
async def list_creatives(
    advertiserId: str,
    campaignId: str,
    services: ServicesDep,
    principal: PrincipalDep,
    include: IncludeQuery = None,
) -> JsonResponse:
    require_advertiser(principal, advertiserId)
    creatives = services.campaigns.list_creatives(
        advertiserId, campaignId, include_archived=include == "archived"
    )
    return JsonResponse([creative_json(c) for c in creatives])


@router.get(CREATIVE, response_model=CreativeOut)
async def get_creative(
    advertiserId: str,
    campaignId: str,
    creativeId: str,
    services: ServicesDep,
    principal: PrincipalDep,
) -> JsonResponse:
    require_advertiser(principal, advertiserId)
    creative = services.campaigns.get_creative(advertiserId, campaignId, creativeId)
    return JsonResponse(creative_json(creative))


@router.patch(CREATIVE, response_model=CreativeOut)
async def patch_creative(
    advertiserId: str,
    campaignId: str,
    creativeId: str,
    body: CreativePatch,
    services: ServicesDep,
    principal: PrincipalDep,
) -> JsonResponse:
    require_advertiser(principal, advertiserId)
    creative = await services.campaigns.set_creative_status(
        advertiserId, campaignId, creativeId, CreativeStatus(body.status)
    )
    return JsonResponse(creative_json(creative))


@router.delete(CREATIVE, status_code=204)
async def archive_creative(
    advertiserId: str,
    campaignId: str,
    creativeId: str,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """Archive the creative: it stops serving; its stats stay."""
    require_advertiser(principal, advertiserId)
    await services.campaigns.archive_creative(advertiserId, campaignId, creativeId)
    return Response(status_code=204)
