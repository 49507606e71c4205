"""Authentication and access: `Authorization: Bearer KEY`, and who may act on an account."""

from __future__ import annotations

from fastapi import Request

from promovolve.api.errors import ApiError, not_found
from promovolve.api.keys import Principal
from promovolve.domain.model import AccountKind


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise ApiError(403, "forbidden", "this action needs the admin key")


def require_account(principal: Principal, kind: AccountKind, account_id: str) -> None:
    """Admin, or the account itself; anyone else learns nothing (404)."""
    if principal.is_admin:
        return
    if principal.role == kind and principal.account_id == account_id:
        return
    raise not_found(kind, f"{kind}Id")


def require_publisher(principal: Principal, publisher_id: str) -> None:
    require_account(principal, "publisher", publisher_id)


def require_advertiser(principal: Principal, advertiser_id: str) -> None:
    require_account(principal, "advertiser", advertiser_id)


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "missing or unknown API key (Authorization: Bearer KEY)")
