"""daily and lifetime aggregates of spend and events

Restart used to group every reservation and event ever written. These tables hold the
same counts per day and for all time, written with each batch; this migration fills them
from the rows already there. The raw rows are then needed only for replay detection and
audit, and are pruned after the retention period, so their two secondary indexes (read
only by the old grouping) go. A downgrade drops the aggregates: counts of raw rows that
were pruned in the meantime are lost to the older code.

Revision ID: 0005
Revises: 0004_targeting
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004_targeting"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(length=64)
COUNT = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "spend_daily",
        sa.Column("day_index", sa.BigInteger(), nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("selected", COUNT, nullable=False),
        sa.Column("spend_micros", COUNT, nullable=False),
        sa.PrimaryKeyConstraint("day_index", "site_id", "campaign_id", name="pk_spend_daily"),
    )
    op.create_table(
        "event_daily",
        sa.Column("day_index", sa.BigInteger(), nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("creative_id", ID, nullable=False),
        sa.Column("impressions", COUNT, nullable=False),
        sa.Column("clicks", COUNT, nullable=False),
        sa.PrimaryKeyConstraint("day_index", "site_id", "creative_id", name="pk_event_daily"),
    )
    op.create_table(
        "site_campaign_totals",
        sa.Column("site_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("selected", COUNT, nullable=False),
        sa.Column("spend_micros", COUNT, nullable=False),
        sa.Column("last_ts", sa.Float(), nullable=False),
        sa.Column("last_day", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "campaign_id", name="pk_site_campaign_totals"),
    )
    op.create_table(
        "site_creative_totals",
        sa.Column("site_id", ID, nullable=False),
        sa.Column("creative_id", ID, nullable=False),
        sa.Column("impressions", COUNT, nullable=False),
        sa.Column("clicks", COUNT, nullable=False),
        sa.PrimaryKeyConstraint("site_id", "creative_id", name="pk_site_creative_totals"),
    )
    op.execute(
        "INSERT INTO spend_daily (day_index, site_id, campaign_id, selected, spend_micros) "
        "SELECT day_index, site_id, campaign_id, count(*), sum(amount_micros) "
        "FROM spend_reservations GROUP BY day_index, site_id, campaign_id"
    )
    # The latest reservation of each site and campaign names its day (ties: the later day).
    op.execute(
        "INSERT INTO site_campaign_totals "
        "(site_id, campaign_id, selected, spend_micros, last_ts, last_day) "
        "SELECT site_id, campaign_id, selected, spend_micros, ts, day_index FROM ("
        " SELECT site_id, campaign_id, ts, day_index,"
        "  count(*) OVER (PARTITION BY site_id, campaign_id) AS selected,"
        "  sum(amount_micros) OVER (PARTITION BY site_id, campaign_id) AS spend_micros,"
        "  row_number() OVER (PARTITION BY site_id, campaign_id"
        "   ORDER BY ts DESC, day_index DESC) AS newest"
        " FROM spend_reservations) AS ranked WHERE newest = 1"
    )
    op.execute(
        "INSERT INTO event_daily (day_index, site_id, creative_id, impressions, clicks) "
        "SELECT day_index, site_id, creative_id,"
        " sum(CASE WHEN kind = 'imp' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN kind = 'click' THEN 1 ELSE 0 END) "
        "FROM tracking_events GROUP BY day_index, site_id, creative_id"
    )
    op.execute(
        "INSERT INTO site_creative_totals (site_id, creative_id, impressions, clicks) "
        "SELECT site_id, creative_id, sum(impressions), sum(clicks) "
        "FROM event_daily GROUP BY site_id, creative_id"
    )
    with op.batch_alter_table("spend_reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_spend_reservations_site_day")
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_events_site_creative")


def downgrade() -> None:
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.create_index("ix_tracking_events_site_creative", ["site_id", "creative_id"])
    with op.batch_alter_table("spend_reservations", schema=None) as batch_op:
        batch_op.create_index("ix_spend_reservations_site_day", ["site_id", "day_index"])
    for table in ("site_creative_totals", "site_campaign_totals", "event_daily", "spend_daily"):
        op.drop_table(table)
