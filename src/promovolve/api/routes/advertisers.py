"""Advertiser routes: accounts, campaigns, creatives."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import orjson
from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError

from promovolve.api.auth import Principal, hash_key, new_key, require_admin, require_advertiser
from promovolve.api.deps import PrincipalDep, RuntimeDep
from promovolve.api.errors import JsonResponse, not_found
from promovolve.api.routes.common import (
    campaign_json,
    conflict,
    created,
    creative_json,
    new_id,
)
from promovolve.api.schemas import (
    AccountCreate,
    AccountOut,
    CampaignCreate,
    CampaignOut,
    CampaignPatch,
    CreativeCreate,
    CreativeOut,
    CreativePatch,
)
from promovolve.domain.model import (
    Advertiser,
    Campaign,
    CampaignStatus,
    Creative,
    CreativeStatus,
)
from promovolve.store import repository
from promovolve.store.models import AdvertiserRow, CampaignRow, CreativeRow

router = APIRouter(prefix="/v1/advertisers", tags=["advertisers"])


@router.post("", status_code=201, response_model=AccountOut)
async def create_advertiser(
    body: AccountCreate, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    require_admin(principal)
    advertiser_id = body.id or new_id("adv")
    key = new_key("advertiser")
    async with runtime.write_lock:
        if advertiser_id in runtime.advertisers:
            raise conflict("advertiser")
        try:
            async with runtime.session.begin() as session:
                session.add(
                    AdvertiserRow(
                        id=advertiser_id,
                        name=body.name,
                        api_key_hash=hash_key(key),
                        created_at=time.time(),
                    )
                )
        except IntegrityError as exc:
            raise conflict("advertiser") from exc
        runtime.advertisers[advertiser_id] = Advertiser(advertiser_id, body.name)
        assert runtime.keyring is not None
        runtime.keyring.add(hash_key(key), Principal("advertiser", advertiser_id))
    return created({"id": advertiser_id, "name": body.name, "apiKey": key})


def _own_advertiser(runtime: Any, principal: Principal, advertiser_id: str) -> None:
    require_advertiser(principal, advertiser_id)
    if advertiser_id not in runtime.advertisers:
        raise not_found("advertiser", "advertiserId")


@router.get("/{advertiserId}", response_model=AccountOut)
async def get_advertiser(
    advertiserId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_advertiser(runtime, principal, advertiserId)
    advertiser = runtime.advertisers[advertiserId]
    return JsonResponse({"id": advertiser.id, "name": advertiser.name})


def _campaign(runtime: Any, advertiser_id: str, campaign_id: str) -> Campaign:
    campaign = runtime.catalog.campaigns.get(campaign_id)
    if not isinstance(campaign, Campaign) or campaign.advertiser_id != advertiser_id:
        raise not_found("campaign", "campaignId")
    return campaign


# -- campaigns ---------------------------------------------------------------------------
@router.post("/{advertiserId}/campaigns", status_code=201, response_model=CampaignOut)
async def create_campaign(
    advertiserId: str, body: CampaignCreate, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_advertiser(runtime, principal, advertiserId)
    campaign = Campaign(
        id=body.id or new_id("cmp"),
        advertiser_id=advertiserId,
        name=body.name,
        daily_budget_micros=body.daily_budget,
        cpm_micros=body.cpm,
        categories=frozenset(body.categories),
        keywords=frozenset(body.keywords),
        status=CampaignStatus(body.status),
    )
    async with runtime.write_lock:
        if campaign.id in runtime.catalog.campaigns:
            raise conflict("campaign")
        try:
            async with runtime.session.begin() as session:
                session.add(
                    CampaignRow(
                        id=campaign.id,
                        advertiser_id=advertiserId,
                        name=campaign.name,
                        daily_budget_micros=campaign.daily_budget_micros,
                        cpm_micros=campaign.cpm_micros,
                        categories_json=orjson.dumps(sorted(campaign.categories)).decode(),
                        keywords_json=orjson.dumps(sorted(campaign.keywords)).decode(),
                        status=campaign.status.value,
                        created_at=time.time(),
                    )
                )
        except IntegrityError as exc:
            raise conflict("campaign") from exc
        runtime.catalog.put_campaign(campaign)
    return created(campaign_json(campaign))


@router.get("/{advertiserId}/campaigns", response_model=list[CampaignOut])
async def list_campaigns(
    advertiserId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_advertiser(runtime, principal, advertiserId)
    campaigns = [
        campaign_json(c)
        for c in runtime.catalog.campaigns.values()
        if c.advertiser_id == advertiserId
    ]
    return JsonResponse(sorted(campaigns, key=lambda c: str(c["id"])))


@router.get("/{advertiserId}/campaigns/{campaignId}", response_model=CampaignOut)
async def get_campaign(
    advertiserId: str, campaignId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_advertiser(runtime, principal, advertiserId)
    return JsonResponse(campaign_json(_campaign(runtime, advertiserId, campaignId)))


@router.patch("/{advertiserId}/campaigns/{campaignId}", response_model=CampaignOut)
async def patch_campaign(
    advertiserId: str,
    campaignId: str,
    body: CampaignPatch,
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> JsonResponse:
    """Change budget, bid, status, targeting or name; absent fields stay as they are."""
    _own_advertiser(runtime, principal, advertiserId)
    async with runtime.write_lock:
        old = _campaign(runtime, advertiserId, campaignId)
        new = replace(
            old,
            name=body.name if body.name is not None else old.name,
            daily_budget_micros=(
                body.daily_budget if body.daily_budget is not None else old.daily_budget_micros
            ),
            cpm_micros=body.cpm if body.cpm is not None else old.cpm_micros,
            categories=(
                frozenset(body.categories) if body.categories is not None else old.categories
            ),
            keywords=frozenset(body.keywords) if body.keywords is not None else old.keywords,
            status=CampaignStatus(body.status) if body.status is not None else old.status,
        )
        async with runtime.session.begin() as session:
            await repository.update_row(
                session,
                CampaignRow,
                campaignId,
                {
                    "name": new.name,
                    "daily_budget_micros": new.daily_budget_micros,
                    "cpm_micros": new.cpm_micros,
                    "categories_json": orjson.dumps(sorted(new.categories)).decode(),
                    "keywords_json": orjson.dumps(sorted(new.keywords)).decode(),
                    "status": new.status.value,
                },
            )
        runtime.catalog.put_campaign(new)
    return JsonResponse(campaign_json(new))


# -- creatives ---------------------------------------------------------------------------
def _creative(runtime: Any, campaign: Campaign, creative_id: str) -> Creative:
    creative = runtime.creatives.get(creative_id)
    if not isinstance(creative, Creative) or creative.campaign_id != campaign.id:
        raise not_found("creative", "creativeId")
    return creative


@router.post(
    "/{advertiserId}/campaigns/{campaignId}/creatives",
    status_code=201,
    response_model=CreativeOut,
)
async def create_creative(
    advertiserId: str,
    campaignId: str,
    body: CreativeCreate,
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> JsonResponse:
    """Register a creative by the https URL of its asset on a CDN."""
    _own_advertiser(runtime, principal, advertiserId)
    async with runtime.write_lock:
        campaign = _campaign(runtime, advertiserId, campaignId)
        creative = Creative(
            id=body.id or new_id("cr"),
            campaign_id=campaign.id,
            advertiser_id=advertiserId,
            asset_url=body.asset_url,
            landing_url=body.landing_url,
            width=body.width,
            height=body.height,
            status=CreativeStatus(body.status),
        )
        if creative.id in runtime.creatives:
            raise conflict("creative")
        try:
            async with runtime.session.begin() as session:
                session.add(
                    CreativeRow(
                        id=creative.id,
                        campaign_id=campaign.id,
                        advertiser_id=advertiserId,
                        asset_url=creative.asset_url,
                        landing_url=creative.landing_url,
                        width=creative.width,
                        height=creative.height,
                        status=creative.status.value,
                        created_at=time.time(),
                    )
                )
        except IntegrityError as exc:
            raise conflict("creative") from exc
        runtime.catalog.put_creative(creative)
        runtime.creatives[creative.id] = creative
    return created(creative_json(creative))


@router.get("/{advertiserId}/campaigns/{campaignId}/creatives", response_model=list[CreativeOut])
async def list_creatives(
    advertiserId: str, campaignId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_advertiser(runtime, principal, advertiserId)
    campaign = _campaign(runtime, advertiserId, campaignId)
    items = [creative_json(c) for c in runtime.catalog.creatives_of(campaign.id)]
    return JsonResponse(sorted(items, key=lambda c: str(c["id"])))


@router.get(
    "/{advertiserId}/campaigns/{campaignId}/creatives/{creativeId}", response_model=CreativeOut
)
async def get_creative(
    advertiserId: str,
    campaignId: str,
    creativeId: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> JsonResponse:
    _own_advertiser(runtime, principal, advertiserId)
    campaign = _campaign(runtime, advertiserId, campaignId)
    return JsonResponse(creative_json(_creative(runtime, campaign, creativeId)))


@router.patch(
    "/{advertiserId}/campaigns/{campaignId}/creatives/{creativeId}", response_model=CreativeOut
)
async def patch_creative(
    advertiserId: str,
    campaignId: str,
    creativeId: str,
    body: CreativePatch,
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> JsonResponse:
    _own_advertiser(runtime, principal, advertiserId)
    async with runtime.write_lock:
        campaign = _campaign(runtime, advertiserId, campaignId)
        new = replace(_creative(runtime, campaign, creativeId), status=CreativeStatus(body.status))
        async with runtime.session.begin() as session:
            await repository.update_row(session, CreativeRow, creativeId, {"status": body.status})
        runtime.catalog.put_creative(new)
        runtime.creatives[new.id] = new
    return JsonResponse(creative_json(new))
