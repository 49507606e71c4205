"""Settlement of reservations: the statements behind paying for viewable impressions.

A reservation waits until its settlement window has passed. Then it is settled once: kept
when its viewable-impression beacon was counted, released (its amount back to the budget)
when not. Every function runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from promovolve.store import aggregates
from promovolve.store.aggregates import release_rollup
from promovolve.store.models import SpendReservationRow, TrackingEventRow

IMPRESSION = "imp"
CLICK = "click"
# A house ad's beacons: counted apart, never settled (a house ad has no reservation).
HOUSE_IMPRESSION = "house-i"
HOUSE_CLICK = "house-c"


@dataclass(frozen=True, slots=True)
class Released:
    campaign_id: str
    day: int
    reservation_id: str
    amount_micros: int
    site_id: str


@dataclass(frozen=True, slots=True)
class DayTotals:
    viewable: int = 0
    clicks: int = 0
    # What the viewable impressions cost (released reservations charge nothing).
    settled_micros: int = 0


async def settle_due(
    session: AsyncSession, cutoff: float, now: float, limit: int = 2000
) -> list[Released]:
    """Settle up to `limit` reservations made before `cutoff`; the ones released."""
    R = SpendReservationRow
    rows = (
        await session.execute(
            select(R.id, R.campaign_id, R.day_index, R.reservation_id, R.amount_micros, R.site_id)
            .where(R.settled_at.is_(None), R.ts <= cutoff)
            .order_by(R.settled_at, R.ts)
            .limit(limit)
        )
    ).all()
    if not rows:
        return []
    # A reservation id is "<request id>/<slot id>"; request ids hold no "/".
    requests = {str(r.reservation_id).partition("/")[0] for r in rows}
    viewed = await _viewed(session, sorted(requests))
    released = [r for r in rows if str(r.reservation_id) not in viewed]
    released_ids = [r.id for r in released]
    kept_ids = [r.id for r in rows if str(r.reservation_id) in viewed]
    if released_ids:
        await session.execute(
            update(R).where(R.id.in_(released_ids)).values(settled_at=now, released=True)
        )
        facts = [
            (r.site_id, int(r.day_index), r.campaign_id, int(r.amount_micros)) for r in released
        ]
        await aggregates.add(session, session.get_bind().dialect.name, release_rollup(facts))
    if kept_ids:
        await session.execute(update(R).where(R.id.in_(kept_ids)).values(settled_at=now))
    return [
        Released(r.campaign_id, int(r.day_index), r.reservation_id, int(r.amount_micros), r.site_id)
        for r in released
    ]


async def _viewed(session: AsyncSession, request_ids: Sequence[str]) -> set[str]:
    """Reservation ids of these requests whose viewable impression was counted (an invalid
    one is not: its reservation is released like an unviewed one)."""
    E = TrackingEventRow
    found: set[str] = set()
    for start in range(0, len(request_ids), 500):  # bounded IN lists
        chunk = request_ids[start : start + 500]
        rows = await session.execute(
            select(E.request_id, E.slot_id).where(
                E.kind == IMPRESSION, E.invalid_reason.is_(None), E.request_id.in_(chunk)
            )
        )
        found.update(f"{request}/{slot}" for request, slot in rows.all())
    return found


async def day_totals(
    session: AsyncSession, day: int, *, site_id: str | None = None, campaign_id: str | None = None
) -> DayTotals:
    """A site's or a campaign's viewable impressions, clicks and settled spend of a day
    (valid events only)."""
    E, R = TrackingEventRow, SpendReservationRow
    where = [E.day_index == day, E.invalid_reason.is_(None)]
    if site_id is not None:
        where.append(E.site_id == site_id)
    if campaign_id is not None:
        where.append(E.campaign_id == campaign_id)
    per_kind = await session.execute(
        select(E.kind, func.count(), func.coalesce(func.sum(E.price_micros), 0))
        .where(*where)
        .group_by(E.kind)
    )
    counts = {kind: (int(n), int(total)) for kind, n, total in per_kind.all()}
    # A viewable beacon that came after its reservation was released costs nothing.
    uncharged = await session.scalar(
        select(func.coalesce(func.sum(E.price_micros), 0))
        .join(
            R,
            and_(
                R.day_index == E.day_index,
                R.campaign_id == E.campaign_id,
                R.reservation_id == E.request_id + "/" + E.slot_id,
                R.released.is_(True),
            ),
        )
        .where(E.kind == IMPRESSION, *where)
    )
    viewable, viewable_micros = counts.get(IMPRESSION, (0, 0))
    clicks, _ = counts.get(CLICK, (0, 0))
    return DayTotals(viewable, clicks, viewable_micros - int(uncharged or 0))
