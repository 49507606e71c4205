"""campaign exclusions; publisher pins of page and site categories

A campaign's excluded categories and keywords (JSON lists, empty for existing campaigns).
A pin fixes the categories of one page of a site (its URL) or of the whole site (URL "").

Revision ID: 0004_targeting
Revises: 0003
Create Date: 2026-12-01 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_targeting"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = ("excluded_categories_json", "excluded_keywords_json")


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Text(), nullable=False, server_default="[]"))
    op.create_table(
        "category_pins",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("categories_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_category_pins_site_id_sites"),
        sa.PrimaryKeyConstraint("site_id", "url", name="pk_category_pins"),
    )


def downgrade() -> None:
    op.drop_table("category_pins")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
