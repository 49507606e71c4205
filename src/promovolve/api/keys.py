"""API keys and who they belong to; only SHA-256 hashes of account keys are kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

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
    """Key hashes → principals, held in memory so authentication reads no database.

    Each account has one key. A disabled account (deactivated) keeps its hash here, so
    enabling it again restores the same key, but the key resolves to nobody meanwhile.
    """

    def __init__(self, admin_key: str) -> None:
        self._admin_hash = hash_key(admin_key)
        self._hash_of: dict[Principal, str] = {}
        self._enabled: dict[str, Principal] = {}

    def set(self, principal: Principal, key_hash: str, enabled: bool = True) -> None:
        """Give the account this key; its previous key stops working at once."""
        old = self._hash_of.pop(principal, None)
        if old is not None:
            self._enabled.pop(old, None)
        self._hash_of[principal] = key_hash
        if enabled:
            self._enabled[key_hash] = principal

    def enable(self, principal: Principal, enabled: bool) -> None:
        key_hash = self._hash_of[principal]
        if enabled:
            self._enabled[key_hash] = principal
        else:
            self._enabled.pop(key_hash, None)

    def resolve(self, key: str) -> Principal | None:
        return self.resolve_hash(hash_key(key))

    def resolve_hash(self, digest: str) -> Principal | None:
        """Who a key hash belongs to now (a dashboard session keeps the hash, not the key)."""
        if hmac.compare_digest(digest, self._admin_hash):
            return Principal("admin")
        return self._enabled.get(digest)
