"""House ad routes: a publisher's own creatives for one of its sites."""

from __future__ import annotations

from fastapi import APIRouter, Response

from promovolve.api.auth import require_publisher
from promovolve.api.deps import PrincipalDep, ServicesDep
from promovolve.api.errors import JsonResponse
from promovolve.api.house_schemas import HouseAdCreate, HouseAdOut, house_ad_json
from promovolve.api.routes.common import IncludeQuery, created

router = APIRouter(prefix="/v1/publishers", tags=["publishers"])
HOUSE_ADS = "/{publisherId}/sites/{siteId}/house-ads"


@router.post(HOUSE_ADS, status_code=201, response_model=HouseAdOut)
async def create_house_ad(
    publisherId: str,
    siteId: str,
    body: HouseAdCreate,
    services: ServicesDep,
    principal: PrincipalDep,
) -> JsonResponse:
    """Register a house ad: it fills a slot of its size that no paid campaign fills."""
    require_publisher(principal, publisherId)
    ad = await services.house_ads.create(body.draft(publisherId, siteId))
    return created(house_ad_json(ad))


@router.get(HOUSE_ADS, response_model=list[HouseAdOut])
async def list_house_ads(
    publisherId: str,
    siteId: str,
    services: ServicesDep,
    principal: PrincipalDep,
    include: IncludeQuery = None,
) -> JsonResponse:
    require_publisher(principal, publisherId)
    ads = services.house_ads.of_site(publisherId, siteId, include_archived=include == "archived")
    return JsonResponse([house_ad_json(ad) for ad in ads])


@router.get(HOUSE_ADS + "/{houseAdId}", response_model=HouseAdOut)
async def get_house_ad(
    publisherId: str, siteId: str, houseAdId: str, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    return JsonResponse(house_ad_json(services.house_ads.get(publisherId, siteId, houseAdId)))


@router.delete(HOUSE_ADS + "/{houseAdId}", status_code=204)
async def archive_house_ad(
    publisherId: str, siteId: str, houseAdId: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """Archive the house ad: it is not served again, and stays readable by its id."""
    require_publisher(principal, publisherId)
    await services.house_ads.archive(publisherId, siteId, houseAdId)
    return Response(status_code=204)
