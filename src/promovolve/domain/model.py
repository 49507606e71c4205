"""Entities and value types of the ad network."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

from promovolve.pacing.config import PacingConfig

DEFAULT_BID_WEIGHT = 0.5


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class DeliveryMode(StrEnum):
    """`even`: paced along the traffic; `asap`: no pacing gate, still never past budget."""

    EVEN = "even"
    ASAP = "asap"


class CreativeStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Outcome(StrEnum):
    """The seed's four serve outcomes."""

    SELECTED = "selected"
    PACING_SKIPPED = "pacingSkipped"
    BUDGET_EXHAUSTED = "budgetExhausted"
    NO_CANDIDATES = "noCandidates"


@dataclass(frozen=True, slots=True)
class Publisher:
    id: str
    name: str
    # A deactivated account's keys do not work and its sites get no ads.
    active: bool = True


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    publisher_id: str
    domain: str
    name: str = ""
    bid_weight: float = DEFAULT_BID_WEIGHT
    pacing: PacingConfig = field(default_factory=PacingConfig)
    # Archived: kept with its history, never served again, listed only on request.
    archived: bool = False
    # The lowest CPM (micros) a bid may have here, 0 for none; a page's categories may
    # raise it (category id → CPM micros).
    floor_cpm_micros: int = 0
    category_floors: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Advertiser:
    id: str
    name: str
    # A deactivated account's keys do not work and its campaigns do not serve.
    active: bool = True


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    advertiser_id: str
    name: str
    daily_budget_micros: int
    cpm_micros: int
    categories: frozenset[str] = frozenset()
    keywords: frozenset[str] = frozenset()
    status: CampaignStatus = CampaignStatus.ACTIVE
    excluded_categories: frozenset[str] = frozenset()
    excluded_keywords: frozenset[str] = frozenset()
    archived: bool = False
    delivery: DeliveryMode = DeliveryMode.EVEN
    # The flight, epoch seconds (UTC): it competes from `flight_start` until before
    # `flight_end`; None is open-ended.
    flight_start: float | None = None
    flight_end: float | None = None
    # Spread over the flight's remaining days beside the daily budget (needs a flight end).
    lifetime_budget_micros: int | None = None

    @property
    def is_active(self) -> bool:
        return self.status is CampaignStatus.ACTIVE

    def in_flight(self, now: float) -> bool:
        start, end = self.flight_start, self.flight_end
        return (start is None or now >= start) and (end is None or now < end)


@dataclass(frozen=True, slots=True)
class Creative:
    id: str
    campaign_id: str
    advertiser_id: str
    asset_url: str
    landing_url: str
    width: int
    height: int
    status: CreativeStatus = CreativeStatus.ACTIVE
    archived: bool = False

    @property
    def landing_domain(self) -> str:
        return host_of(self.landing_url)


@dataclass(frozen=True, slots=True)
class HouseAd:
    """A publisher's own creative for one of its sites: no budget, no price. It fills a slot
    of its size that paid demand leaves empty, and is never charged for."""

    id: str
    publisher_id: str
    site_id: str
    asset_url: str
    landing_url: str
    width: int
    height: int
    archived: bool = False


AccountKind = Literal["publisher", "advertiser"]
Account = Publisher | Advertiser


@dataclass(frozen=True, slots=True)
class SlotSpec:
    id: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class PageContext:
    """What the page is about; never who the reader is.

    `categories` holds every term that names one of the page's categories or an ancestor
    (ids and names, lower-case) beside the caller's own terms. `sensitive` has one entry per
    sensitive topic of the page: the terms naming that topic or an ancestor.
    """

    url: str
    categories: frozenset[str] = frozenset()
    keywords: frozenset[str] = frozenset()
    sensitive: tuple[frozenset[str], ...] = ()


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")
