"""What the management endpoints answer (camelCase JSON, money in decimal dollars): the
OpenAPI documentation of the dicts the handlers build."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from promovolve.api.responses import PacingOut


class Out(BaseModel):
    """Response bodies (documentation; handlers build the dicts directly)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class AccountOut(Out):
    id: str
    name: str
    active: bool
    api_key: str | None = None


class SiteOut(Out):
    id: str
    publisher_id: str
    domain: str
    name: str
    bid_weight: float
    floor_cpm: float
    category_floors: dict[str, float]
    pacing: PacingOut
    archived: bool


class CampaignOut(Out):
    id: str
    advertiser_id: str
    name: str
    daily_budget: float
    cpm: float
    categories: list[str]
    keywords: list[str]
    excluded_categories: list[str]
    excluded_keywords: list[str]
    status: str
    delivery_mode: str
    flight_start: str | None
    flight_end: str | None
    lifetime_budget: float | None
    archived: bool


class CreativeOut(Out):
    id: str
    campaign_id: str
    advertiser_id: str
    asset_url: str
    landing_url: str
    width: int
    height: int
    status: str
    archived: bool


class ApprovalOut(Out):
    creative_id: str
    campaign_id: str
    advertiser_id: str
    status: str
    landing_url: str
    landing_domain: str
    asset_url: str
    width: int
    height: int
    cpm: float | None


class BlocklistOut(Out):
    publisher_id: str
    domains: list[str]


class ClassifiedCategoryOut(Out):
    id: str
    name: str
    tier1: str
    score: float


class ClassifyOut(Out):
    categories: list[ClassifiedCategoryOut]
    keywords: list[str]


class PinOut(Out):
    url: str | None
    categories: list[str]


class ErrorOut(BaseModel):
    error: str
    message: str
    field: str | None = None
