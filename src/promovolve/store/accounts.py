"""Publisher and advertiser accounts: one table each, one repository for both kinds."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.domain.model import AccountKind
from promovolve.store.models import AdvertiserRow, PublisherRow

_TABLES: dict[AccountKind, type[PublisherRow] | type[AdvertiserRow]] = {
    "publisher": PublisherRow,
    "advertiser": AdvertiserRow,
}


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, kind: AccountKind, account_id: str, name: str, key_hash: str, now: float
    ) -> None:
        await self._session.execute(
            insert(_TABLES[kind]).values(
                id=account_id, name=name, api_key_hash=key_hash, created_at=now
            )
        )

    async def set_key_hash(self, kind: AccountKind, account_id: str, key_hash: str) -> None:
        await self._set(kind, account_id, api_key_hash=key_hash)

    async def set_active(
        self, kind: AccountKind, account_id: str, active: bool, now: float
    ) -> None:
        await self._set(kind, account_id, deactivated_at=None if active else now)

    async def _set(self, kind: AccountKind, account_id: str, **values: object) -> None:
        model = _TABLES[kind]
        await self._session.execute(update(model).where(model.id == account_id).values(**values))
