"""house ads; campaign lifetime budgets

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "house_ads",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("publisher_id", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("asset_url", sa.Text(), nullable=False),
        sa.Column("landing_url", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("archived_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["publisher_id"], ["publishers.id"], name="fk_house_ads_publisher_id_publishers"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_house_ads_site_id_sites"),
        sa.PrimaryKeyConstraint("id", name="pk_house_ads"),
    )
    op.create_index("ix_house_ads_site_id", "house_ads", ["site_id"])
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lifetime_budget_micros", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("lifetime_budget_micros")
    op.drop_index("ix_house_ads_site_id", table_name="house_ads")
    op.drop_table("house_ads")
