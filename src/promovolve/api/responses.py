"""What the serve, pacing and stats endpoints answer, as documented in the OpenAPI spec.

Handlers build these bodies as plain dicts (the serve path is benchmarked); the models
are the published contract, and tests check real answers against the spec built from them.
Every model forbids extra keys, so the spec says exactly which fields an answer has.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Outcome = Literal["selected", "pacingSkipped", "budgetExhausted", "noCandidates", "warmup"]
Volumes = Annotated[
    list[Annotated[float, Field(ge=0.0, allow_inf_nan=False)]], Field(min_length=24, max_length=24)
]


class Answer(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class HealthOut(Answer):
    status: Literal["ok"]


class ServeCreativeOut(Answer):
    id: str
    campaign_id: str
    advertiser_id: str
    asset_url: str
    landing_url: str
    width: int
    height: int


class SelectedSlotOut(Answer):
    id: str
    outcome: Literal["selected"]
    creative: ServeCreativeOut
    price_cpm: float
    impression_url: str
    click_url: str


class HouseCreativeOut(Answer):
    id: str
    asset_url: str
    landing_url: str
    width: int
    height: int


class HouseSlotOut(Answer):
    """A slot paid demand left empty (`paidOutcome` says why), filled with one of the
    publisher's house ads: priced 0, its beacons count but never charge."""

    id: str
    outcome: Literal["house"]
    paid_outcome: Literal["pacingSkipped", "budgetExhausted", "noCandidates"]
    creative: HouseCreativeOut
    price_cpm: float
    impression_url: str
    click_url: str


class EmptySlotOut(Answer):
    """A slot with no ad, and why."""

    id: str
    outcome: Literal["pacingSkipped", "budgetExhausted", "noCandidates", "warmup", "invalidTraffic"]


class ServeOut(Answer):
    request_id: str
    slots: list[
        Annotated[SelectedSlotOut | HouseSlotOut | EmptySlotOut, Field(discriminator="outcome")]
    ]


class PacingBody(Answer):
    """The seed's pacing config; PUT replaces it whole (absent fields take defaults)."""

    day_duration_seconds: Annotated[int, Field(ge=1, le=86400)] = 86400
    weekday_shape_volumes: Volumes | None = None
    weekend_shape_volumes: Volumes | None = None
    warmup_mode: bool = False
    test_throttle_override: Annotated[float, Field(ge=0.0, le=1.0)] | None = None


class PacingOut(Answer):
    day_duration_seconds: int
    weekday_shape_volumes: list[float] | None
    weekend_shape_volumes: list[float] | None
    warmup_mode: bool
    test_throttle_override: float | None


class SiteStatsOut(Answer):
    """The seed's `/test/site-stats` fields, all of today, plus `pendingApproval`."""

    site_id: str
    selected: int
    pacing_skipped: int
    budget_exhausted: int
    no_candidates: int
    total_spend: float
    elapsed_hours: float
    expected_spend_fraction: float
    pending_approval: int = Field(
        description="Creatives waiting for the publisher's approval on this site"
    )


class CampaignOnSiteOut(Answer):
    campaign_id: str
    daily_budget: float
    site_spend_today: float
    site_impressions_today: int
    spend_today: float
    spend_ratio: float | None


class CreativeOnSiteOut(Answer):
    creative_id: str
    impressions: int
    clicks: int


class LearnedShapeOut(Answer):
    is_weekend: bool
    active: list[float]
    weekday: list[float]
    weekend: list[float]
    weekday_days_learned: int
    weekend_days_learned: int
    coefficient_of_variation: float


class BlocklistWriteOut(Answer):
    """A blocklist write's answer: its size after the write and how many entries it changed
    (the list itself is read with GET, so a write never echoes a long list)."""

    publisher_id: str
    size: int
    changed: int


class InvalidTodayOut(Answer):
    """Today's invalid traffic by reason (docs/invalid-traffic.md): serves answered
    `invalidTraffic` (a site's only), and beacons marked invalid."""

    serves: dict[str, int]
    impressions: dict[str, int]
    clicks: dict[str, int]


class TodayOut(Answer):
    """Today's delivery, paid for viewable impressions (see api/today.py)."""

    served: int
    viewable_impressions: int
    viewable_rate: float | None
    clicks: int
    ctr: float | None
    settled_spend: float
    reserved_spend: float
    invalid: InvalidTodayOut


class SiteStatsDetailOut(SiteStatsOut):
    """Today's seed fields, then the day, pacing, learned shape, and lifetime counters."""

    publisher_id: str
    domain: str
    strategy: str
    day_index: int
    day_start: float
    day_duration_seconds: int
    bucket: int
    warmup_mode: bool
    throttle: float
    request_rate: float
    requests_today: int
    outcomes: dict[str, int] = Field(description="Lifetime counts by outcome")
    outcomes_today: dict[str, int]
    impressions: int
    clicks: int
    impressions_today: int
    clicks_today: int
    below_floor: int = Field(description="Bids left out of an auction for being under the floor")
    below_floor_today: int
    revenue_today: float
    house_fills: int = Field(description="Slots paid demand left empty, filled with a house ad")
    house_fills_today: int
    house_impressions: int
    house_clicks: int
    house_impressions_today: int
    house_clicks_today: int
    learned_shape: LearnedShapeOut
    campaigns: list[CampaignOnSiteOut]
    creatives: list[CreativeOnSiteOut]
    today: TodayOut


class CampaignSiteOut(Answer):
    site_id: str
    spend_today: float
    impressions_served_today: int
    throttle: float


class CampaignStatsOut(Answer):
    campaign_id: str
    advertiser_id: str
    status: str
    daily_budget: float
    today_budget: float = Field(
        description="What it may spend today: dailyBudget, or less with a lifetimeBudget"
    )
    lifetime_budget: float | None
    lifetime_spend: float
    cpm: float
    spend_today: float
    remaining_today: float
    expected_spend_fraction: float
    expected_spend: float
    spend_ratio: float | None
    reference_site_id: str | None
    day_index: int
    day_start: float
    day_duration_seconds: int
    impressions: int
    clicks: int
    sites: list[CampaignSiteOut]
    today: TodayOut
