"""What pages are about: `POST /v1/classify`, and a publisher's pins of its pages' categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from promovolve.api.answers import ClassifyOut, PinOut
from promovolve.api.auth import require_publisher
from promovolve.api.deps import PrincipalDep, RuntimeDep, ServicesDep
from promovolve.api.errors import ApiError, JsonResponse
from promovolve.api.ownership import OwnedRoute
from promovolve.api.schemas import ClassifyBody, PinBody
from promovolve.context.classifier import Classification

router = APIRouter(tags=["context"], route_class=OwnedRoute)
PINS = "/v1/publishers/{publisherId}/sites/{siteId}/pins"


@router.post("/v1/classify", response_model=ClassifyOut)
async def classify(
    body: ClassifyBody, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    """How the server reads a page (publisher or admin key): its categories, best first."""
    if principal.role not in ("admin", "publisher"):
        raise ApiError(403, "forbidden", "classifying pages needs a publisher or the admin key")
    result = await runtime.pages.classify(body.title, body.description, body.text)
    return JsonResponse(classification_json(result))


def classification_json(result: Classification) -> dict[str, object]:
    return {
        "categories": [
            {
                "id": c.category.id,
                "name": c.category.name,
                "tier1": c.tier1.name,
                "score": c.score,
            }
            for c in result.categories
        ],
        "keywords": list(result.keywords),
    }


@router.get(PINS, response_model=list[PinOut])
async def list_pins(
    publisherId: str, siteId: str, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    require_publisher(principal, publisherId)
    pins = services.pins.of_site(publisherId, siteId)
    return JsonResponse([_pin_json(url, ids) for url, ids in sorted(pins.items())])


@router.put(PINS, response_model=PinOut)
async def put_pin(
    publisherId: str, siteId: str, body: PinBody, services: ServicesDep, principal: PrincipalDep
) -> JsonResponse:
    """Pin a page's (`url`) or the whole site's categories; a pin wins over the classifier."""
    require_publisher(principal, publisherId)
    ids = await services.pins.put(publisherId, siteId, body.url, body.categories)
    return JsonResponse(_pin_json(body.url or "", ids))


@router.delete(PINS, status_code=204)
async def delete_pin(
    publisherId: str,
    siteId: str,
    services: ServicesDep,
    principal: PrincipalDep,
    url: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """Remove the pin of the page at `url` (absent: the site's own pin)."""
    require_publisher(principal, publisherId)
    await services.pins.remove(publisherId, siteId, url)
    return Response(status_code=204)


def _pin_json(url: str, ids: tuple[str, ...]) -> dict[str, object]:
    return {"url": url or None, "categories": list(ids)}
