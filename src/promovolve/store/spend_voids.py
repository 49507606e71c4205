"""Taking back spend rows of reservations the network refused.

With Redis, a serve queues its spend rows for the database while the network confirms its
reserves, so both waits overlap. A reserve the network refuses (another process spent the
budget first, or Redis cannot answer) gets no ad, and the row written for it is deleted
here with what it added to the aggregates, as if it had never been written.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.store import aggregates
from promovolve.store.models import SpendReservationRow

Key = tuple[str, int, str]  # campaign, day, reservation id


async def void_reservations(session: AsyncSession, keys: Sequence[Key]) -> int:
    """Delete these reservations' rows (absent ones are skipped) and their part of the
    aggregates, in the caller's transaction; how many rows there were."""
    R = SpendReservationRow
    taken: list[tuple[str, int, str, int]] = []
    for campaign_id, day, reservation_id in sorted(keys):
        rows = await session.execute(
            delete(R)
            .where(
                R.campaign_id == campaign_id,
                R.day_index == day,
                R.reservation_id == reservation_id,
            )
            .returning(R.site_id, R.day_index, R.campaign_id, R.amount_micros)
        )
        taken += [(s, int(d), c, int(a)) for s, d, c, a in rows.all()]
    if taken:
        dialect = session.get_bind().dialect.name
        await aggregates.add(session, dialect, aggregates.release_rollup(taken, unserved=True))
    return len(taken)
