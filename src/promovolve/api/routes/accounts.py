"""Account routes, the same for publishers and advertisers: create, read, rotate the API
key, deactivate and reactivate."""

# No `from __future__ import annotations`: FastAPI must see the per-kind `AccountId`
# (a local) when it reads the route signatures.
from typing import Annotated

from fastapi import APIRouter, Path

from promovolve.api.answers import AccountOut
from promovolve.api.auth import require_account, require_admin
from promovolve.api.deps import PrincipalDep, ServicesDep
from promovolve.api.errors import JsonResponse
from promovolve.api.keys import Principal
from promovolve.api.ownership import ADMIN_ONLY
from promovolve.api.routes.common import account_json, created
from promovolve.api.schemas import AccountCreate
from promovolve.domain.model import AccountKind


def add_account_routes(router: APIRouter, kind: AccountKind) -> None:
    """The account routes of `kind` on its router (prefix `/v1/{kind}s`)."""
    AccountId = Annotated[str, Path(alias=f"{kind}Id")]
    path = f"/{{{kind}Id}}"

    def _own(principal: Principal, account_id: str) -> None:
        require_account(principal, kind, account_id)

    @router.post("", status_code=201, response_model=AccountOut, name=f"create_{kind}")
    async def create(
        body: AccountCreate, services: ServicesDep, principal: PrincipalDep
    ) -> JsonResponse:
        """Create the account (admin); the answer carries its API key, shown only once."""
        require_admin(principal)
        account, key = await services.accounts.create(kind, body.id, body.name)
        return created(account_json(account, key))

    @router.get(path, response_model=AccountOut, name=f"get_{kind}")
    async def get(
        account_id: AccountId, services: ServicesDep, principal: PrincipalDep
    ) -> JsonResponse:
        _own(principal, account_id)
        return JsonResponse(account_json(services.accounts.get(kind, account_id)))

    @router.post(f"{path}/rotate-key", response_model=AccountOut, name=f"rotate_{kind}_key")
    async def rotate_key(
        account_id: AccountId, services: ServicesDep, principal: PrincipalDep
    ) -> JsonResponse:
        """A new API key (admin or the account itself), shown once; the old one stops
        working at once."""
        _own(principal, account_id)
        account, key = await services.accounts.rotate_key(kind, account_id)
        return JsonResponse(account_json(account, key))

    @router.post(
        f"{path}/deactivate",
        response_model=AccountOut,
        name=f"deactivate_{kind}",
        dependencies=[ADMIN_ONLY],
    )
    async def deactivate(
        account_id: AccountId, services: ServicesDep, principal: PrincipalDep
    ) -> JsonResponse:
        """Deactivate (admin): the account's key stops working and nothing of it serves."""
        return JsonResponse(
            account_json(await services.accounts.set_active(kind, account_id, False))
        )

    @router.post(
        f"{path}/reactivate",
        response_model=AccountOut,
        name=f"reactivate_{kind}",
        dependencies=[ADMIN_ONLY],
    )
    async def reactivate(
        account_id: AccountId, services: ServicesDep, principal: PrincipalDep
    ) -> JsonResponse:
        """Reactivate (admin): the account's key works again and its objects serve again."""
        return JsonResponse(
            account_json(await services.accounts.set_active(kind, account_id, True))
        )
