"""spend reservations: unique key led by day and reservation id

The key (campaign, day, reservation) put each campaign's rows in its own part of the index,
so a batch of reservations across a hundred campaigns dirtied about as many index pages as
it had rows; every dirty page is written to the WAL and checkpointed. Led by the day and
the reservation id (a per-process prefix and a counter), new keys land together at the
end of the index. Same columns, so the same rows are unique.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 22:05:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

OLD = ("uq_spend_reservations_campaign_id", ["campaign_id", "day_index", "reservation_id"])
NEW = ("uq_spend_reservations_day_index", ["day_index", "reservation_id", "campaign_id"])


def _replace(drop: tuple[str, list[str]], create: tuple[str, list[str]]) -> None:
    with op.batch_alter_table("spend_reservations", schema=None) as batch_op:
        batch_op.drop_constraint(drop[0], type_="unique")
        batch_op.create_unique_constraint(create[0], create[1])


def upgrade() -> None:
    _replace(OLD, NEW)


def downgrade() -> None:
    _replace(NEW, OLD)
