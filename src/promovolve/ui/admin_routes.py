"""The admin's page: list accounts, create publishers and advertisers (key shown once)."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Request
from starlette.responses import Response

from promovolve.api.schemas import AccountCreate
from promovolve.domain.model import AccountKind
from promovolve.ui.core import Ui, UiError, UiRoute, load, parse_model

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


def _page(ui: Ui, status: int = 200, **data: object) -> Response:
    state = ui.runtime.state
    return ui.render(
        "accounts.html",
        status=status,
        publishers=sorted(state.publishers.values(), key=lambda a: a.id),
        advertisers=sorted(state.advertisers.values(), key=lambda a: a.id),
        **data,
    )


@router.get("/accounts")
async def accounts(request: Request) -> Response:
    ui = await load(request)
    ui.require("admin")
    return _page(ui)


@router.post("/accounts")
async def create_account(request: Request) -> Response:
    """Answered with the page itself (not a redirect), so the new key is shown just once."""
    ui = await load(request)
    ui.require("admin")
    kind = ui.value("kind")
    if kind not in ("publisher", "advertiser"):
        raise UiError(400, "kind must be publisher or advertiser", "kind")
    body = parse_model(AccountCreate, {"name": ui.value("name")})
    account, key = await ui.runtime.services.accounts.create(
        cast(AccountKind, kind), None, body.name
    )
    return _page(ui, status=201, created=account, created_kind=kind, new_key=key)
