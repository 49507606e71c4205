"""The domain: entities and value types, money, eligibility, Thompson statistics, ledger rules."""

from promovolve.domain.eligibility import creative_can_run, matches_context
from promovolve.domain.ledger import BudgetLedger
from promovolve.domain.model import (
    Advertiser,
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    Creative,
    CreativeStatus,
    Outcome,
    PageContext,
    Publisher,
    Site,
    SlotSpec,
)
from promovolve.domain.money import (
    MICROS_PER_USD,
    MoneyError,
    impression_price_micros,
    micros_to_usd,
    usd_to_micros,
)
from promovolve.domain.thompson import CreativeStatsTable, bid_multiplier

__all__ = [
    "MICROS_PER_USD",
    "Advertiser",
    "ApprovalStatus",
    "BudgetLedger",
    "Campaign",
    "CampaignStatus",
    "Creative",
    "CreativeStatsTable",
    "CreativeStatus",
    "MoneyError",
    "Outcome",
    "PageContext",
    "Publisher",
    "Site",
    "SlotSpec",
    "bid_multiplier",
    "creative_can_run",
    "impression_price_micros",
    "matches_context",
    "micros_to_usd",
    "usd_to_micros",
]
