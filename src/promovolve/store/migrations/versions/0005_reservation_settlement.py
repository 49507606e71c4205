"""spend reservations: settlement of viewable impressions

A reservation is settled once its settlement window has passed: kept (its viewable
impression arrived) or released back to the budget (it did not). `settled_at` is NULL while
the reservation waits; the index finds the waiting ones past the window.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_spend_reservations_unsettled"


def upgrade() -> None:
    with op.batch_alter_table("spend_reservations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_at", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("released", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(INDEX, ["settled_at", "ts"])


def downgrade() -> None:
    with op.batch_alter_table("spend_reservations", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("released")
        batch_op.drop_column("settled_at")
