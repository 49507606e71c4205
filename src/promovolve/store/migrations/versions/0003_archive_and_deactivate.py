"""archive sites, campaigns and creatives; deactivate accounts

Mark, don't delete: an archived object keeps its rows and its spend and event history, and
a deactivated account keeps its key hash (so reactivation restores its key). NULL means
live; the value is when it was archived or deactivated (epoch seconds).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = (
    ("publishers", "deactivated_at"),
    ("advertisers", "deactivated_at"),
    ("sites", "archived_at"),
    ("campaigns", "archived_at"),
    ("creatives", "archived_at"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Float(), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
