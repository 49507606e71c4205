"""The durable write path of serving: every row goes through the group-commit writer.

- every answered `selected` slot is a row in `spend_reservations`, committed before the
  serve response is sent;
- every impression and click beacon is a row in `tracking_events` (unique per request,
  slot and kind, so a replayed beacon counts once; an invalid one carries its reason);
- a creative entering a site's approval queue is a `pending` row nobody waits for.
"""

from __future__ import annotations

import asyncio

from promovolve.api.tracking import Beacon
from promovolve.api.writer import GroupCommitWriter
from promovolve.domain.model import ApprovalStatus
from promovolve.engine.site import SlotDecision, reservation_id

Recorded = list[tuple[SlotDecision, asyncio.Future[bool]]]


class Recorder:
    def __init__(self, writer: GroupCommitWriter) -> None:
        self.writer = writer

    def pending(self, site_id: str, creative_ids: list[str], now: float) -> None:
        for creative_id in creative_ids:
            self.writer.submit_nowait(
                "pending",
                {
                    "site_id": site_id,
                    "creative_id": creative_id,
                    "status": ApprovalStatus.PENDING.value,
                    "updated_at": now,
                },
            )

    def reservation(
        self, site_id: str, request_id: str, day: int, decision: SlotDecision, now: float
    ) -> asyncio.Future[bool]:
        """Queue the spend of one selected slot; the future is done once it is committed."""
        assert decision.campaign is not None and decision.creative is not None
        return self.writer.submit(
            "reservation",
            {
                "campaign_id": decision.campaign.id,
                "day_index": day,
                "reservation_id": reservation_id(request_id, decision.slot_id),
                "amount_micros": decision.price_micros,
                "site_id": site_id,
                "creative_id": decision.creative.id,
                "ts": now,
            },
        )

    async def event(
        self, kind: str, beacon: Beacon, now: float, invalid_reason: str | None = None
    ) -> bool:
        """Record a beacon durably (an invalid one with its reason); False when it was
        recorded before (a replay)."""
        return await self.writer.submit(
            "event",
            {
                "kind": kind,
                "request_id": beacon.request,
                "slot_id": beacon.slot,
                "site_id": beacon.site,
                "creative_id": beacon.creative,
                "campaign_id": beacon.campaign,
                "price_micros": beacon.price,
                "day_index": beacon.day,
                "ts": now,
                "invalid_reason": invalid_reason,
            },
        )


async def unrecorded(recorded: Recorded) -> list[tuple[SlotDecision, BaseException]]:
    """The selections whose durable write failed, with why (after all writes finished)."""
    if len(recorded) == 1:  # most pages: one slot, no gather bookkeeping
        decision, future = recorded[0]
        try:
            await future
        except Exception as exc:
            return [(decision, exc)]
        return []
    results = await asyncio.gather(*(f for _, f in recorded), return_exceptions=True)
    return [
        (decision, r)
        for (decision, _), r in zip(recorded, results, strict=True)
        if isinstance(r, BaseException)
    ]
