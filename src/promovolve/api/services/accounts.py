"""Publisher and advertiser accounts: one code path for both kinds."""

from __future__ import annotations

from dataclasses import replace

from promovolve.api.keys import Principal, hash_key, new_key
from promovolve.api.services.context import ServiceContext, new_id
from promovolve.api.services.errors import ConflictError, NotFoundError
from promovolve.domain.model import Account, AccountKind, Advertiser, Publisher
from promovolve.network.changes import Change

_ID_PREFIX: dict[AccountKind, str] = {"publisher": "pub", "advertiser": "adv"}


class AccountService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def _registry(self, kind: AccountKind) -> dict[str, Publisher] | dict[str, Advertiser]:
        state = self._ctx.state
        return state.publishers if kind == "publisher" else state.advertisers

    def _put(self, account: Account) -> None:
        if isinstance(account, Publisher):
            self._ctx.state.put_publisher(account)
        else:
            self._ctx.state.put_advertiser(account)

    def get(self, kind: AccountKind, account_id: str) -> Account:
        account = self._registry(kind).get(account_id)
        if account is None:
            raise NotFoundError(kind, f"{kind}Id")
        return account

    async def create(
        self, kind: AccountKind, account_id: str | None, name: str
    ) -> tuple[Account, str]:
        """A new account and its API key (shown once: only its hash is kept)."""
        account_id = account_id or new_id(_ID_PREFIX[kind])
        key = new_key(kind)
        ctx = self._ctx
        async with ctx.lock:
            if account_id in self._registry(kind):
                raise ConflictError(f"{kind} already exists", "id")
            async with ctx.writes(kind) as stored:
                await stored.accounts.add(kind, account_id, name, hash_key(key), ctx.clock())
            account: Account = (
                Publisher(account_id, name) if kind == "publisher" else Advertiser(account_id, name)
            )
            self._put(account)
            ctx.state.keyring.set(Principal(kind, account_id), hash_key(key))
        await ctx.changed(Change(kind, account_id))
        return account, key

    async def rotate_key(self, kind: AccountKind, account_id: str) -> tuple[Account, str]:
        """A new key for the account; the old one stops working at once."""
        key = new_key(kind)
        ctx = self._ctx
        async with ctx.lock:
            account = self.get(kind, account_id)
            async with ctx.writes("API key", None) as stored:
                await stored.accounts.set_key_hash(kind, account_id, hash_key(key))
            ctx.state.keyring.set(Principal(kind, account_id), hash_key(key), account.active)
        # The old key must be refused everywhere before the new one is handed out.
        await ctx.changed(Change(kind, account_id), strict=True)
        return account, key

    async def set_active(self, kind: AccountKind, account_id: str, active: bool) -> Account:
        """Deactivate (its keys stop working, nothing of it serves) or reactivate."""
        ctx = self._ctx
        async with ctx.lock:
            account = self.get(kind, account_id)
            if account.active == active:
                return account
            async with ctx.writes(kind) as stored:
                await stored.accounts.set_active(kind, account_id, active, ctx.clock())
            changed = replace(account, active=active)
            self._put(changed)
            ctx.state.keyring.enable(Principal(kind, account_id), active)
        await ctx.changed(Change(kind, account_id), strict=not active)
        return changed
