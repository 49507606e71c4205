"""The SQL schema: accounts, sites, the catalog, house ads, approvals, spend, events, their
daily and lifetime aggregates, snapshots.

Money is BIGINT micro-units. Migrations in `promovolve/store/migrations` create exactly
these tables; change both together.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID = String(64)
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ServerSetting(Base):
    __tablename__ = "server_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PublisherRow(Base):
    __tablename__ = "publishers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    # Set while the account is deactivated (migration 0003).
    deactivated_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class AdvertiserRow(Base):
    __tablename__ = "advertisers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    # Set while the account is deactivated (migration 0003).
    deactivated_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class SiteRow(Base):
    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    publisher_id: Mapped[str] = mapped_column(ForeignKey("publishers.id"), index=True)
    domain: Mapped[str] = mapped_column(String(253))
    name: Mapped[str] = mapped_column(String(200))
    bid_weight: Mapped[float] = mapped_column(Float)
    pacing_json: Mapped[str] = mapped_column(Text)
    # Start of simulated day 0 (epoch seconds); set when the day length changes.
    clock_origin: Mapped[float] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    # Set once archived (migration 0003): the row and its history stay.
    archived_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Floors (migration 0006): CPM micros, 0 for none; category id → CPM micros as JSON.
    floor_cpm_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    category_floors_json: Mapped[str] = mapped_column(Text, default="{}")


class BlocklistRow(Base):
    __tablename__ = "blocklist_entries"
    publisher_id: Mapped[str] = mapped_column(ForeignKey("publishers.id"), primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), primary_key=True)


class CampaignRow(Base):
    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    daily_budget_micros: Mapped[int] = mapped_column(BigInteger)
    cpm_micros: Mapped[int] = mapped_column(BigInteger)
    categories_json: Mapped[str] = mapped_column(Text)
    keywords_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)
    # Set once archived (migration 0003): the row and its history stay.
    archived_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Migration 0004_targeting.
    excluded_categories_json: Mapped[str] = mapped_column(Text, server_default="[]")
    excluded_keywords_json: Mapped[str] = mapped_column(Text, server_default="[]")
    # `even` or `asap`, and the flight in epoch seconds, NULL for open-ended (migration 0006).
    delivery_mode: Mapped[str] = mapped_column(String(8), default="even")
    flight_start: Mapped[float | None] = mapped_column(Float, nullable=True)
    flight_end: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Spread over the flight beside the daily budget, NULL for none (migration 0008).
    lifetime_budget_micros: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class CategoryPinRow(Base):
    """A publisher's categories for one page of a site, or the whole site (url "")."""

    __tablename__ = "category_pins"
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    categories_json: Mapped[str] = mapped_column(Text)


class CreativeRow(Base):
    __tablename__ = "creatives"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"))
    asset_url: Mapped[str] = mapped_column(Text)
    landing_url: Mapped[str] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)
    # Set once archived (migration 0003): the row and its history stay.
    archived_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class HouseAdRow(Base):
    """A publisher's own creative for one of its sites (migration 0008)."""

    __tablename__ = "house_ads"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    publisher_id: Mapped[str] = mapped_column(ForeignKey("publishers.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    asset_url: Mapped[str] = mapped_column(Text)
    landing_url: Mapped[str] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    # Set once archived: the row stays.
    archived_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class ApprovalRow(Base):
    __tablename__ = "approvals"
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    creative_id: Mapped[str] = mapped_column(ForeignKey("creatives.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[float] = mapped_column(Float)


class SpendReservationRow(Base):
    """One answered `selected` slot: the durable record of a budget reservation (pruned after
    the retention period; its counts live on in the aggregates)."""

    __tablename__ = "spend_reservations"
    __table_args__ = (
        # Led by the day and the reservation id, so new keys append (migration 0002).
        UniqueConstraint("day_index", "reservation_id", "campaign_id"),
        Index("ix_spend_reservations_unsettled", "settled_at", "ts"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ID)
    day_index: Mapped[int] = mapped_column(BigInteger)
    reservation_id: Mapped[str] = mapped_column(String(200))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    site_id: Mapped[str] = mapped_column(ID)
    creative_id: Mapped[str] = mapped_column(ID)
    ts: Mapped[float] = mapped_column(Float)
    # Settlement (migration 0005): when the window passed, and whether the budget got the
    # amount back (no viewable impression). NULL while waiting.
    settled_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    released: Mapped[bool] = mapped_column(Boolean, server_default=false())


class TrackingEventRow(Base):
    """An impression or click beacon received; the unique key makes a replayed beacon count
    once (kept at least as long as a beacon is valid, then pruned like the reservations)."""

    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("request_id", "slot_id", "kind"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    request_id: Mapped[str] = mapped_column(String(64))
    slot_id: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[str] = mapped_column(ID)
    creative_id: Mapped[str] = mapped_column(ID)
    campaign_id: Mapped[str] = mapped_column(ID)
    price_micros: Mapped[int] = mapped_column(BigInteger)
    day_index: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[float] = mapped_column(Float)
    # Why the event is invalid traffic (migration 0009); NULL for a valid one. An invalid
    # event is kept, but counts toward no statistics, spend or revenue.
    invalid_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)


class EngineSnapshotRow(Base):
    __tablename__ = "engine_snapshots"
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


class SpendDailyRow(Base):
    """Selected slots and spend of one campaign on one site and day (kept for good).

    Written with each batch of reservations, so restart reads these rather than the raw
    rows, which are pruned after the retention period. Led by the day: restart reads the
    latest days only.
    """

    __tablename__ = "spend_daily"
    day_index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ID, primary_key=True)
    selected: Mapped[int] = mapped_column(BigInteger)
    spend_micros: Mapped[int] = mapped_column(BigInteger)


class EventDailyRow(Base):
    """Counted impressions and clicks of one creative on one site and day (kept for good)."""

    __tablename__ = "event_daily"
    day_index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID, primary_key=True)
    creative_id: Mapped[str] = mapped_column(ID, primary_key=True)
    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)


class SiteCampaignTotalRow(Base):
    """Lifetime spend of a campaign on a site, and the day of its latest reservation there."""

    __tablename__ = "site_campaign_totals"
    site_id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ID, primary_key=True)
    selected: Mapped[int] = mapped_column(BigInteger)
    spend_micros: Mapped[int] = mapped_column(BigInteger)
    last_ts: Mapped[float] = mapped_column(Float)
    last_day: Mapped[int] = mapped_column(BigInteger)


class SiteCreativeTotalRow(Base):
    """Lifetime impressions and clicks of a creative on a site (its Thompson statistics)."""

    __tablename__ = "site_creative_totals"
    site_id: Mapped[str] = mapped_column(ID, primary_key=True)
    creative_id: Mapped[str] = mapped_column(ID, primary_key=True)
    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
