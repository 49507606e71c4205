"""Publisher routes: accounts, sites, pacing, blocklist, approvals."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response

from promovolve.api.answers import ApprovalOut, BlocklistOut, SiteOut
from promovolve.api.auth import require_publisher
from promovolve.api.deps import PrincipalDep, ServicesDep
from promovolve.api.errors import ApiError, JsonResponse, not_found
from promovolve.api.ownership import OwnedRoute
from promovolve.api.responses import BlocklistWriteOut, PacingOut
from promovolve.api.routes.accounts import add_account_routes
from promovolve.api.routes.common import IncludeQuery, created, site_json
from promovolve.api.schemas import ID_RE, BlocklistBody, SiteCreate, SitePatch, normalize_domain
from promovolve.api.services import Approval
from promovolve.domain.model import ApprovalStatus
from promovolve.domain.money import micros_to_usd
from promovolve.pacing.config import PacingConfig, PacingConfigError

router = APIRouter(prefix="/v1/publishers", tags=["publishers"], route_class=OwnedRoute)
add_account_routes(router, "publisher")

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


@router.post("/{publisherId}/sites", status_code=201, response_model=SiteOut)
async def create_site(
    publisherId: str, body: SiteCreate, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    site = await services.sites.create(
        publisherId, body.id, body.domain, body.name, body.bid_weight
    )
    return created(site_json(site))


@router.get("/{publisherId}/sites", response_model=list[SiteOut])
async def list_sites(
    publisherId: str, services: ServicesDep, principal: PrincipalDep, include: IncludeQuery = None
) -> JsonResponse:
    require_publisher(principal, publisherId)
    sites = services.sites.of_publisher(publisherId, include_archived=include == "archived")
    return JsonResponse([site_json(s) for s in sites])


@router.get("/{publisherId}/sites/{siteId}", response_model=SiteOut)
async def get_site(
    publisherId: str, siteId: str, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    return JsonResponse(site_json(services.sites.state_of(publisherId, siteId).site))


@router.patch("/{publisherId}/sites/{siteId}", response_model=SiteOut)
async def patch_site(
    publisherId: str, siteId: str, body: SitePatch, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    site = await services.sites.update(
        publisherId,
        siteId,
        domain=body.domain,
        name=body.name,
        bid_weight=body.bid_weight,
        floor_cpm=body.floor_cpm,
        category_floors=body.category_floors,
    )
    return JsonResponse(site_json(site))


@router.delete("/{publisherId}/sites/{siteId}", status_code=204)
async def archive_site(
    publisherId: str, siteId: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """Archive the site: it gets no more ads; it, its stats and its spend history stay."""
    require_publisher(principal, publisherId)
    await services.sites.archive(publisherId, siteId)
    return Response(status_code=204)


@router.get("/{publisherId}/sites/{siteId}/pacing", response_model=PacingOut)
async def get_pacing(
    publisherId: str, siteId: str, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    return JsonResponse(services.sites.state_of(publisherId, siteId).site.pacing.to_json())


@router.put("/{publisherId}/sites/{siteId}/pacing", response_model=PacingOut)
async def put_pacing(
    publisherId: str,
    siteId: str,
    services: ServicesDep,
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
    require_publisher(principal, publisherId)
    services.accounts.get("publisher", publisherId)  # an unknown publisher before a bad body
    unknown = sorted(set(body) - PACING_FIELDS)
    if unknown:
        raise ApiError(422, "invalid", "is not a known field", unknown[0])
    try:
        config = PacingConfig.from_json(body)
    except PacingConfigError as exc:
        raise ApiError(400, "invalid", exc.problem, exc.field) from exc
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise ApiError(400, "invalid", "pacing config has a bad value") from exc
    await services.sites.set_pacing(publisherId, siteId, config)
    return JsonResponse(config.to_json())


def _blocklist_json(publisher_id: str, domains: frozenset[str]) -> dict[str, object]:
    return {"publisherId": publisher_id, "domains": sorted(domains)}


def _written(publisher_id: str, before: int, after: frozenset[str]) -> JsonResponse:
    return JsonResponse(
        {"publisherId": publisher_id, "size": len(after), "changed": abs(len(after) - before)}
    )


@router.get("/{publisherId}/blocklist", response_model=BlocklistOut)
async def get_blocklist(
    publisherId: str, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    return JsonResponse(_blocklist_json(publisherId, services.moderation.blocklist(publisherId)))


@router.put("/{publisherId}/blocklist", response_model=BlocklistWriteOut)
async def replace_blocklist(
    publisherId: str, body: BlocklistBody, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    before = len(services.moderation.blocklist(publisherId))
    domains = await services.moderation.replace_blocklist(publisherId, body.domains)
    return _written(publisherId, before, domains)


@router.post("/{publisherId}/blocklist", response_model=BlocklistWriteOut)
async def add_to_blocklist(
    publisherId: str, body: BlocklistBody, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    before = len(services.moderation.blocklist(publisherId))
    domains = await services.moderation.block(publisherId, body.domains)
    return _written(publisherId, before, domains)


@router.delete("/{publisherId}/blocklist", response_model=BlocklistWriteOut)
async def remove_from_blocklist(
    publisherId: str, body: BlocklistBody, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    before = len(services.moderation.blocklist(publisherId))
    domains = await services.moderation.unblock(publisherId, body.domains)
    return _written(publisherId, before, domains)


@router.delete("/{publisherId}/blocklist/{domain}", response_model=BlocklistWriteOut)
async def remove_domain_from_blocklist(
    publisherId: str, domain: str, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    services.accounts.get("publisher", publisherId)
    try:
        normalized = normalize_domain(domain)
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc), "domain") from exc
    before = len(services.moderation.blocklist(publisherId))
    domains = await services.moderation.unblock(publisherId, [normalized])
    return _written(publisherId, before, domains)


def _approval_json(approval: Approval) -> dict[str, object]:
    creative, campaign = approval.creative, approval.campaign
    return {
        "creativeId": creative.id,
        "campaignId": creative.campaign_id,
        "advertiserId": creative.advertiser_id,
        "status": approval.status.value,
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
    services: ServicesDep,
    principal: PrincipalDep,
    status: Annotated[Literal["pending", "approved", "rejected"] | None, Query()] = None,
) -> JsonResponse:
    """The site's creatives by approval status (all statuses when `status` is absent)."""
    require_publisher(principal, publisherId)
    wanted = ApprovalStatus(status) if status is not None else None
    approvals = services.moderation.approvals(publisherId, siteId, wanted)
    return JsonResponse([_approval_json(a) for a in approvals])


@router.post(
    "/{publisherId}/sites/{siteId}/approvals/{creativeId}/{action}", response_model=ApprovalOut
)
async def decide_approval(
    publisherId: str,
    siteId: str,
    creativeId: str,
    action: ApprovalAction,
    services: ServicesDep,
    principal: PrincipalDep,
) -> JsonResponse:
    """approve | reject | revoke (back to pending); any existing creative may be decided."""
    require_publisher(principal, publisherId)
    if not ID_RE.match(creativeId):
        raise not_found("creative", "creativeId")
    approval = await services.moderation.decide(
        publisherId, siteId, creativeId, _ACTION_STATUS[action]
    )
    return JsonResponse(_approval_json(approval))
