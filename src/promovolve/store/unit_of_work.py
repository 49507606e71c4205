"""A unit of work: one transaction, with every repository bound to it.

Either everything written inside it commits, or (on any exception) nothing does. Driver
errors surface as the store's own: ConstraintError for refused rows, StoreUnavailableError
for a database that is down or failing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from promovolve.store.accounts import AccountRepository
from promovolve.store.campaigns import ApprovalRepository, CampaignRepository, CreativeRepository
from promovolve.store.errors import ConstraintError, StoreUnavailableError
from promovolve.store.house_ads import HouseAdRepository
from promovolve.store.sites import BlocklistRepository, CategoryPinRepository, SiteRepository


@dataclass(frozen=True, slots=True)
class Repositories:
    accounts: AccountRepository
    sites: SiteRepository
    blocklists: BlocklistRepository
    campaigns: CampaignRepository
    creatives: CreativeRepository
    approvals: ApprovalRepository
    pins: CategoryPinRepository
    house_ads: HouseAdRepository

    @classmethod
    def on(cls, session: AsyncSession) -> Repositories:
        return cls(
            AccountRepository(session),
            SiteRepository(session),
            BlocklistRepository(session),
            CampaignRepository(session),
            CreativeRepository(session),
            ApprovalRepository(session),
            CategoryPinRepository(session),
            HouseAdRepository(session),
        )


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Repositories]:
    try:
        async with sessions.begin() as session:
            yield Repositories.on(session)
    except IntegrityError as exc:
        raise ConstraintError(str(exc.orig)) from exc
    except (OperationalError, InterfaceError, OSError) as exc:
        raise StoreUnavailableError(str(exc)) from exc
