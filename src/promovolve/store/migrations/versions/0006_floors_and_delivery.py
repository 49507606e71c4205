"""site floors; campaign delivery modes and flights

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("floor_cpm_micros", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("category_floors_json", sa.Text(), nullable=False, server_default="{}")
        )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("delivery_mode", sa.String(8), nullable=False, server_default="even")
        )
        batch_op.add_column(sa.Column("flight_start", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("flight_end", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("flight_end")
        batch_op.drop_column("flight_start")
        batch_op.drop_column("delivery_mode")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("category_floors_json")
        batch_op.drop_column("floor_cpm_micros")
