"""API keys: `Authorization: Bearer KEY`; only SHA-256 hashes of account keys are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from fastapi import Request

from promovolve.api.errors import ApiError, not_found

Role = Literal["admin", "publisher", "advertiser"]


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    account_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(role: Role) -> str:
    prefix = {"admin": "pv_admin_", "publisher": "pv_pub_", "advertiser": "pv_adv_"}[role]
    return prefix + secrets.token_urlsafe(32)


class KeyRing:
    """Key hashes → principals, held in memory so authentication reads no database."""

    def __init__(self, admin_key: str) -> None:
        self._admin_hash = hash_key(admin_key)
        self._accounts: dict[str, Principal] = {}

    def add(self, key_hash: str, principal: Principal) -> None:
        self._accounts[key_hash] = principal

    def resolve(self, key: str) -> Principal | None:
        digest = hash_key(key)
        if hmac.compare_digest(digest, self._admin_hash):
            return Principal("admin")
        return self._accounts.get(digest)


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


def require_publisher(principal: Principal, publisher_id: str) -> None:
    """Admin, or the publisher itself; anyone else learns nothing (404)."""
    if principal.is_admin:
        return
    if principal.role == "publisher" and principal.account_id == publisher_id:
        return
    raise not_found("publisher", "publisherId")


def require_advertiser(principal: Principal, advertiser_id: str) -> None:
    if principal.is_admin:
        return
    if principal.role == "advertiser" and principal.account_id == advertiser_id:
        return
    raise not_found("advertiser", "advertiserId")


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "missing or unknown API key (Authorization: Bearer KEY)")
