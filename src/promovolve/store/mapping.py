"""Rows to domain objects: the only place that knows how an entity is laid out in SQL."""

from __future__ import annotations

import orjson

from promovolve.domain.model import (
    Advertiser,
    Campaign,
    CampaignStatus,
    Creative,
    CreativeStatus,
    DeliveryMode,
    HouseAd,
    Publisher,
    Site,
)
from promovolve.pacing.config import PacingConfig
from promovolve.store.models import (
    AdvertiserRow,
    CampaignRow,
    CreativeRow,
    HouseAdRow,
    PublisherRow,
    SiteRow,
)


def terms_json(terms: frozenset[str]) -> str:
    return orjson.dumps(sorted(terms)).decode()


def pacing_json(config: PacingConfig) -> str:
    return orjson.dumps(config.to_json()).decode()


def category_floors_json(site: Site) -> str:
    return orjson.dumps(dict(sorted(site.category_floors.items()))).decode()


def publisher_from_row(row: PublisherRow) -> Publisher:
    return Publisher(row.id, row.name, active=row.deactivated_at is None)


def advertiser_from_row(row: AdvertiserRow) -> Advertiser:
    return Advertiser(row.id, row.name, active=row.deactivated_at is None)


def site_from_row(row: SiteRow) -> Site:
    pacing = PacingConfig.from_json(orjson.loads(row.pacing_json))
    return Site(
        row.id,
        row.publisher_id,
        row.domain,
        row.name,
        row.bid_weight,
        pacing,
        archived=row.archived_at is not None,
        floor_cpm_micros=row.floor_cpm_micros,
        category_floors={str(k): int(v) for k, v in orjson.loads(row.category_floors_json).items()},
    )


def campaign_from_row(row: CampaignRow) -> Campaign:
    return Campaign(
        id=row.id,
        advertiser_id=row.advertiser_id,
        name=row.name,
        daily_budget_micros=row.daily_budget_micros,
        cpm_micros=row.cpm_micros,
        categories=frozenset(orjson.loads(row.categories_json)),
        keywords=frozenset(orjson.loads(row.keywords_json)),
        status=CampaignStatus(row.status),
        excluded_categories=frozenset(orjson.loads(row.excluded_categories_json)),
        excluded_keywords=frozenset(orjson.loads(row.excluded_keywords_json)),
        archived=row.archived_at is not None,
        delivery=DeliveryMode(row.delivery_mode),
        flight_start=row.flight_start,
        flight_end=row.flight_end,
        lifetime_budget_micros=row.lifetime_budget_micros,
    )


def creative_from_row(row: CreativeRow) -> Creative:
    return Creative(
        id=row.id,
        campaign_id=row.campaign_id,
        advertiser_id=row.advertiser_id,
        asset_url=row.asset_url,
        landing_url=row.landing_url,
        width=row.width,
        height=row.height,
        status=CreativeStatus(row.status),
        archived=row.archived_at is not None,
    )


def house_ad_from_row(row: HouseAdRow) -> HouseAd:
    return HouseAd(
        id=row.id,
        publisher_id=row.publisher_id,
        site_id=row.site_id,
        asset_url=row.asset_url,
        landing_url=row.landing_url,
        width=row.width,
        height=row.height,
        archived=row.archived_at is not None,
    )
