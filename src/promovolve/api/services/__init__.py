"""The service layer: route handlers parse, call a service, answer.

Each call is one unit of work (one transaction); a call that fails writes nothing and
leaves the hot state as it was. Errors are the `ServiceError` family.
"""

from __future__ import annotations

from dataclasses import dataclass

from promovolve.api.services.accounts import AccountService
from promovolve.api.services.campaigns import CampaignService
from promovolve.api.services.context import ServiceContext
from promovolve.api.services.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    ServiceError,
    UnavailableError,
    UnusableConfigError,
)
from promovolve.api.services.house_ads import HouseAdService
from promovolve.api.services.moderation import Approval, ModerationService
from promovolve.api.services.pins import PinService
from promovolve.api.services.sites import SiteService


@dataclass(frozen=True, slots=True)
class Services:
    accounts: AccountService
    sites: SiteService
    campaigns: CampaignService
    moderation: ModerationService
    pins: PinService
    house_ads: HouseAdService

    @classmethod
    def on(cls, context: ServiceContext) -> Services:
        sites = SiteService(context)
        return cls(
            AccountService(context),
            sites,
            CampaignService(context),
            ModerationService(context, sites),
            PinService(context, sites),
            HouseAdService(context, sites),
        )


__all__ = [
    "AccountService",
    "Approval",
    "CampaignService",
    "ConflictError",
    "ForbiddenError",
    "HouseAdService",
    "InvalidError",
    "ModerationService",
    "NotFoundError",
    "PinService",
    "ServiceContext",
    "ServiceError",
    "Services",
    "SiteService",
    "UnavailableError",
    "UnusableConfigError",
]
