"""tracking events: the invalid-traffic mark

An invalid impression or click (too soon after its serve or impression, without an
impression, from a bot or a source over its cap) is kept with its reason; it counts toward
no statistics, spend or revenue.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invalid_reason", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_column("invalid_reason")
