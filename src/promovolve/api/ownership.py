"""Authorization before validation: the route class of every management router.

FastAPI reads and validates a request's body before the handler runs, so a handler's own
ownership check came too late: another account's path with a bad body answered 422 (and
told the caller the path exists). This route resolves the caller and every object its path
names (account, site, campaign, creative) before the body is read, so anything the caller
may not see answers 401 or 404 first, whatever the body (an admin-only route answers 403 to
anyone else first).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute

from promovolve.api.auth import require_admin, require_advertiser, require_publisher
from promovolve.api.deps import get_principal, get_services


async def admin_only(request: Request) -> None:
    """An admin-only route: anyone else is refused (403) before the path is resolved."""
    require_admin(await get_principal(request))


# `dependencies=[ADMIN_ONLY]` on a route: the admin check comes first.
ADMIN_ONLY = Depends(admin_only)


async def resolve_path(request: Request) -> None:
    """401 without a known key; 404 for any object of the path the caller cannot reach."""
    params = request.path_params
    publisher_id, advertiser_id = params.get("publisherId"), params.get("advertiserId")
    if publisher_id is None and advertiser_id is None:
        return  # a collection (create an account): the handler checks the role
    principal = await get_principal(request)
    services = await get_services(request)
    if publisher_id is not None:
        require_publisher(principal, publisher_id)
        services.accounts.get("publisher", publisher_id)
        site_id = params.get("siteId")
        if site_id is not None:
            services.sites.state_of(publisher_id, site_id)
    if advertiser_id is not None:
        require_advertiser(principal, advertiser_id)
        services.accounts.get("advertiser", advertiser_id)
        campaign_id = params.get("campaignId")
        if campaign_id is not None:
            creative_id = params.get("creativeId")
            if creative_id is not None:
                services.campaigns.get_creative(advertiser_id, campaign_id, creative_id)
            else:
                services.campaigns.get(advertiser_id, campaign_id)


class OwnedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        admin = any(d.dependency is admin_only for d in self.dependencies)

        async def handle(request: Request) -> Response:
            if admin:
                await admin_only(request)
            await resolve_path(request)
            return await handler(request)

        return handle
