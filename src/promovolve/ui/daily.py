"""A campaign's stats per day, read from the durable reservations and beacons, as CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.domain.money import MICROS_PER_USD
from promovolve.store.models import SpendReservationRow, TrackingEventRow
from promovolve.store.settlement import CLICK, IMPRESSION

COLUMNS = ["day", "served", "viewable", "clicks", "ctr", "spend", "released", "invalid"]


async def daily_csv(session: AsyncSession, campaign_id: str) -> str:
    """One row per day the campaign served: spend is what stayed charged, released went back."""
    R, E = SpendReservationRow, TrackingEventRow
    served = await session.execute(
        select(
            R.day_index,
            func.count(),
            func.coalesce(func.sum(R.amount_micros), 0),
            func.coalesce(func.sum(R.amount_micros).filter(R.released.is_(True)), 0),
        )
        .where(R.campaign_id == campaign_id)
        .group_by(R.day_index)
    )
    events = await session.execute(
        select(E.day_index, E.kind, E.invalid_reason.is_not(None), func.count())
        .where(E.campaign_id == campaign_id)
        .group_by(E.day_index, E.kind, E.invalid_reason.is_not(None))
    )
    counts: dict[tuple[int, str], int] = {}
    invalid: dict[int, int] = {}
    # Invalid beacons are counted apart: they are not viewable impressions or clicks.
    for day, kind, is_invalid, n in events.all():
        if is_invalid:
            invalid[int(day)] = invalid.get(int(day), 0) + int(n)
        else:
            counts[(int(day), kind)] = int(n)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for day, n, total, released in sorted(served.all()):
        viewable = counts.get((int(day), IMPRESSION), 0)
        clicks = counts.get((int(day), CLICK), 0)
        ctr = f"{clicks / viewable:.4f}" if viewable else ""
        spend = (int(total) - int(released)) / MICROS_PER_USD
        writer.writerow(
            [
                day,
                n,
                viewable,
                clicks,
                ctr,
                f"{spend:.6f}",
                f"{int(released) / MICROS_PER_USD:.6f}",
                invalid.get(int(day), 0),
            ]
        )
    return out.getvalue()
