"""Invalid traffic in the durable beacons: what a click is checked against, and the counts
of invalid events by reason that the stats show."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.store.models import TrackingEventRow
from promovolve.store.settlement import HOUSE_IMPRESSION, IMPRESSION


async def impression_time(session: AsyncSession, request_id: str, slot_id: str) -> float | None:
    """When the valid viewable impression (paid or house) of a served slot was counted;
    None if none was."""
    E = TrackingEventRow
    ts = await session.scalar(
        select(E.ts).where(
            E.request_id == request_id,
            E.slot_id == slot_id,
            E.kind.in_((IMPRESSION, HOUSE_IMPRESSION)),
            E.invalid_reason.is_(None),
        )
    )
    return None if ts is None else float(ts)


async def invalid_counts(
    session: AsyncSession, day: int, *, site_id: str | None = None, campaign_id: str | None = None
) -> dict[str, dict[str, int]]:
    """A day's invalid beacons of a site or a campaign: kind ("imp", "click") → reason → n."""
    E = TrackingEventRow
    where = [E.day_index == day, E.invalid_reason.is_not(None)]
    if site_id is not None:
        where.append(E.site_id == site_id)
    if campaign_id is not None:
        where.append(E.campaign_id == campaign_id)
    rows = await session.execute(
        select(E.kind, E.invalid_reason, func.count())
        .where(*where)
        .group_by(E.kind, E.invalid_reason)
    )
    out: dict[str, dict[str, int]] = {}
    for kind, reason, n in rows.all():
        out.setdefault(str(kind), {})[str(reason)] = int(n)
    return out
