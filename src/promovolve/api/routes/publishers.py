"""Publisher routes: accounts, sites, pacing, blocklist, approvals."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Query
from sqlalchemy.exc import IntegrityError

from promovolve.api.auth import Principal, hash_key, new_key, require_admin, require_publisher
from promovolve.api.deps import PrincipalDep, RuntimeDep
from promovolve.api.errors import ApiError, JsonResponse, not_found
from promovolve.api.responses import PacingOut
from promovolve.api.routes.common import conflict, created, new_id, site_json
from promovolve.api.schemas import (
    ID_RE,
    AccountCreate,
    AccountOut,
    ApprovalOut,
    BlocklistBody,
    BlocklistOut,
    SiteCreate,
    SiteOut,
    SitePatch,
    normalize_domain,
)
from promovolve.domain.model import ApprovalStatus, Publisher, Site
from promovolve.domain.money import micros_to_usd
from promovolve.pacing.config import PacingConfig, PacingConfigError
from promovolve.store import repository
from promovolve.store.models import PublisherRow, SiteRow

router = APIRouter(prefix="/v1/publishers", tags=["publishers"])

ApprovalAction = Literal["approve", "reject", "revoke"]
# The seed's pacing body; PUT replaces the whole config, so a misspelt field is refused.
PACING_FIELDS = frozenset(
    {
        "dayDurationSeconds",
        "weekdayShapeVolumes",
        "weekendShapeVolumes",
        "warmupMode",
        "testThrottleOverride",
    }
)
_ACTION_STATUS = {
    "approve": ApprovalStatus.APPROVED,
    "reject": ApprovalStatus.REJECTED,
    "revoke": ApprovalStatus.PENDING,
}


@router.post("", status_code=201, response_model=AccountOut)
async def create_publisher(
    body: AccountCreate, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    require_admin(principal)
    publisher_id = body.id or new_id("pub")
    key = new_key("publisher")
    async with runtime.write_lock:
        if publisher_id in runtime.publishers:
            raise conflict("publisher")
        try:
            async with runtime.session.begin() as session:
                session.add(
                    PublisherRow(
                        id=publisher_id,
                        name=body.name,
                        api_key_hash=hash_key(key),
                        created_at=time.time(),
                    )
                )
        except IntegrityError as exc:
            raise conflict("publisher") from exc
        runtime.publishers[publisher_id] = Publisher(publisher_id, body.name)
        assert runtime.keyring is not None
        runtime.keyring.add(hash_key(key), Principal("publisher", publisher_id))
    return created({"id": publisher_id, "name": body.name, "apiKey": key})


@router.get("/{publisherId}", response_model=AccountOut)
async def get_publisher(
    publisherId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    publisher = runtime.publishers.get(publisherId)
    if publisher is None:
        raise not_found("publisher", "publisherId")
    return JsonResponse({"id": publisher.id, "name": publisher.name})


def _own_publisher(runtime: Any, principal: Principal, publisher_id: str) -> None:
    require_publisher(principal, publisher_id)
    if publisher_id not in runtime.publishers:
        raise not_found("publisher", "publisherId")


# -- sites -------------------------------------------------------------------------------
@router.post("/{publisherId}/sites", status_code=201, response_model=SiteOut)
async def create_site(
    publisherId: str, body: SiteCreate, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    site_id = body.id or new_id("site")
    now = time.time()
    site = Site(site_id, publisherId, body.domain, body.name, body.bid_weight, PacingConfig())
    async with runtime.write_lock:
        if site_id in runtime.sites:
            raise conflict("site")
        try:
            async with runtime.session.begin() as session:
                session.add(
                    SiteRow(
                        id=site_id,
                        publisher_id=publisherId,
                        domain=site.domain,
                        name=site.name,
                        bid_weight=site.bid_weight,
                        pacing_json=orjson.dumps(site.pacing.to_json()).decode(),
                        clock_origin=now,
                        created_at=now,
                    )
                )
        except IntegrityError as exc:
            raise conflict("site") from exc
        runtime.add_site(site, now, now)
    return created(site_json(site))


@router.get("/{publisherId}/sites", response_model=list[SiteOut])
async def list_sites(
    publisherId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    sites = [
        site_json(s.engine.site)
        for s in runtime.sites.values()
        if s.engine.site.publisher_id == publisherId
    ]
    return JsonResponse(sorted(sites, key=lambda s: str(s["id"])))


@router.get("/{publisherId}/sites/{siteId}", response_model=SiteOut)
async def get_site(
    publisherId: str, siteId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    return JsonResponse(site_json(runtime.site_state(siteId, publisherId).engine.site))


@router.patch("/{publisherId}/sites/{siteId}", response_model=SiteOut)
async def patch_site(
    publisherId: str, siteId: str, body: SitePatch, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    async with runtime.write_lock:
        state = runtime.site_state(siteId, publisherId)
        site = state.engine.site
        new = replace(
            site,
            domain=body.domain if body.domain is not None else site.domain,
            name=body.name if body.name is not None else site.name,
            bid_weight=body.bid_weight if body.bid_weight is not None else site.bid_weight,
        )
        async with runtime.session.begin() as session:
            await repository.update_row(
                session,
                SiteRow,
                siteId,
                {"domain": new.domain, "name": new.name, "bid_weight": new.bid_weight},
            )
        state.engine.update_site(new, time.time())
    return JsonResponse(site_json(new))


# -- pacing ------------------------------------------------------------------------------
@router.get("/{publisherId}/sites/{siteId}/pacing", response_model=PacingOut)
async def get_pacing(
    publisherId: str, siteId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    return JsonResponse(runtime.site_state(siteId, publisherId).engine.site.pacing.to_json())


@router.put("/{publisherId}/sites/{siteId}/pacing", response_model=PacingOut)
async def put_pacing(
    publisherId: str,
    siteId: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    body: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "dayDurationSeconds": 600,
                    "weekdayShapeVolumes": [1.0] * 24,
                    "weekendShapeVolumes": [1.0] * 24,
                    "warmupMode": False,
                    "testThrottleOverride": None,
                }
            ]
        ),
    ],
) -> JsonResponse:
    """Replace the site's pacing config (the seed's body; absent fields take defaults)."""
    _own_publisher(runtime, principal, publisherId)
    unknown = sorted(set(body) - PACING_FIELDS)
    if unknown:
        raise ApiError(422, "invalid", "is not a known field", unknown[0])
    try:
        config = PacingConfig.from_json(body)
    except PacingConfigError as exc:
        raise ApiError(400, "invalid", exc.problem, exc.field) from exc
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise ApiError(400, "invalid", "pacing config has a bad value") from exc
    async with runtime.write_lock:
        state = runtime.site_state(siteId, publisherId)
        engine = state.engine
        runtime.check_pacing(engine.site, config)
        now = time.time()
        origin = state.clock_origin
        if config.day_duration_seconds != engine.site.pacing.day_duration_seconds:
            origin = now
        async with runtime.session.begin() as session:
            await repository.update_row(
                session,
                SiteRow,
                siteId,
                {"pacing_json": orjson.dumps(config.to_json()).decode(), "clock_origin": origin},
            )
        engine.update_site(replace(engine.site, pacing=config), now)
        state.clock_origin = origin
        runtime.dirty.add(siteId)
    return JsonResponse(config.to_json())


# -- blocklist ---------------------------------------------------------------------------
def _blocklist_json(runtime: Any, publisher_id: str) -> dict[str, object]:
    return {
        "publisherId": publisher_id,
        "domains": sorted(runtime.blocklists.get(publisher_id, frozenset())),
    }


@router.get("/{publisherId}/blocklist", response_model=BlocklistOut)
async def get_blocklist(
    publisherId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    return JsonResponse(_blocklist_json(runtime, publisherId))


@router.put("/{publisherId}/blocklist", response_model=BlocklistOut)
async def replace_blocklist(
    publisherId: str, body: BlocklistBody, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    async with runtime.write_lock:
        async with runtime.session.begin() as session:
            await repository.replace_blocklist(session, publisherId, body.domains)
        runtime.set_blocklist(publisherId, frozenset(body.domains))
    return JsonResponse(_blocklist_json(runtime, publisherId))


@router.post("/{publisherId}/blocklist", response_model=BlocklistOut)
async def add_to_blocklist(
    publisherId: str, body: BlocklistBody, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    async with runtime.write_lock:
        async with runtime.session.begin() as session:
            await repository.add_blocklist(session, publisherId, body.domains)
        current = runtime.blocklists.get(publisherId, frozenset())
        runtime.set_blocklist(publisherId, current | frozenset(body.domains))
    return JsonResponse(_blocklist_json(runtime, publisherId))


@router.delete("/{publisherId}/blocklist", response_model=BlocklistOut)
async def remove_from_blocklist(
    publisherId: str, body: BlocklistBody, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    return await _remove(runtime, publisherId, body.domains)


@router.delete("/{publisherId}/blocklist/{domain}", response_model=BlocklistOut)
async def remove_domain_from_blocklist(
    publisherId: str, domain: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    _own_publisher(runtime, principal, publisherId)
    try:
        normalized = normalize_domain(domain)
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc), "domain") from exc
    return await _remove(runtime, publisherId, [normalized])


async def _remove(runtime: Any, publisher_id: str, domains: list[str]) -> JsonResponse:
    async with runtime.write_lock:
        async with runtime.session.begin() as session:
            await repository.remove_blocklist(session, publisher_id, domains)
        current = runtime.blocklists.get(publisher_id, frozenset())
        runtime.set_blocklist(publisher_id, current - frozenset(domains))
    return JsonResponse(_blocklist_json(runtime, publisher_id))


# -- approvals ---------------------------------------------------------------------------
def _approval_json(runtime: Any, creative_id: str, status: ApprovalStatus) -> dict[str, object]:
    creative = runtime.creatives[creative_id]
    campaign = runtime.catalog.campaigns.get(creative.campaign_id)
    return {
        "creativeId": creative.id,
        "campaignId": creative.campaign_id,
        "advertiserId": creative.advertiser_id,
        "status": status.value,
        "landingUrl": creative.landing_url,
        "landingDomain": creative.landing_domain,
        "assetUrl": creative.asset_url,
        "width": creative.width,
        "height": creative.height,
        "cpm": micros_to_usd(campaign.cpm_micros) if campaign is not None else None,
    }


@router.get("/{publisherId}/sites/{siteId}/approvals", response_model=list[ApprovalOut])
async def list_approvals(
    publisherId: str,
    siteId: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    status: Annotated[Literal["pending", "approved", "rejected"] | None, Query()] = None,
) -> JsonResponse:
    """The site's creatives by approval status (all statuses when `status` is absent)."""
    _own_publisher(runtime, principal, publisherId)
    engine = runtime.site_state(siteId, publisherId).engine
    items = [
        _approval_json(runtime, creative_id, s)
        for creative_id, s in sorted(engine.approvals.items())
        if (status is None or s.value == status) and creative_id in runtime.creatives
    ]
    return JsonResponse(items)


@router.post(
    "/{publisherId}/sites/{siteId}/approvals/{creativeId}/{action}", response_model=ApprovalOut
)
async def decide_approval(
    publisherId: str,
    siteId: str,
    creativeId: str,
    action: ApprovalAction,
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> JsonResponse:
    """approve | reject | revoke (back to pending); any existing creative may be decided."""
    _own_publisher(runtime, principal, publisherId)
    if not ID_RE.match(creativeId) or creativeId not in runtime.creatives:
        raise not_found("creative", "creativeId")
    status = _ACTION_STATUS[action]
    async with runtime.write_lock:
        engine = runtime.site_state(siteId, publisherId).engine
        async with runtime.session.begin() as session:
            await repository.upsert_approval(session, siteId, creativeId, status.value, time.time())
        engine.set_approval(creativeId, status)
    return JsonResponse(_approval_json(runtime, creativeId, status))
