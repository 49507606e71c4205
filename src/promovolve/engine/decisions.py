"""What a site engine decides and counts: requests, per-slot decisions, outcome counters."""

from __future__ import annotations

from dataclasses import dataclass, field

from promovolve.domain.model import Campaign, Creative, HouseAd, Outcome, PageContext, SlotSpec

WARMUP = "warmup"
SELECTED = Outcome.SELECTED.value
PACING_SKIPPED = Outcome.PACING_SKIPPED.value
BUDGET_EXHAUSTED = Outcome.BUDGET_EXHAUSTED.value
NO_CANDIDATES = Outcome.NO_CANDIDATES.value
OUTCOME_NAMES: tuple[str, ...] = (*(o.value for o in Outcome), WARMUP)


@dataclass(frozen=True, slots=True)
class ServeRequest:
    request_id: str
    page: PageContext
    slots: tuple[SlotSpec, ...]


@dataclass(frozen=True, slots=True)
class SlotDecision:
    slot_id: str
    outcome: str
    campaign: Campaign | None = None
    creative: Creative | None = None
    price_micros: int = 0
    # A house ad filling a slot paid demand left empty (`outcome` says why it did).
    house: HouseAd | None = None


@dataclass(frozen=True, slots=True)
class ServeResult:
    request_id: str
    day_index: int
    slots: tuple[SlotDecision, ...]


@dataclass(slots=True)
class CampaignDay:
    """One campaign's delivery on this site today."""

    impressions_served: int = 0
    spend: int = 0


@dataclass(slots=True)
class SiteCounters:
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOME_NAMES, 0))
    impressions: int = 0
    clicks: int = 0
    below_floor: int = 0  # bids left out of a slot's auction for being under the floor
    # House ads: slots they filled, and their viewable impressions and clicks (never paid).
    house_fills: int = 0
    house_impressions: int = 0
    house_clicks: int = 0


def reservation_id(request_id: str, slot_id: str) -> str:
    """The budget ledger's id for one slot of one request (unique, so retries are idempotent)."""
    return f"{request_id}/{slot_id}"
