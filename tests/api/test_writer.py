"""The group-commit writer: one row the database refuses does not fail the rows batched
with it (on the serve path those are other callers' answered selections)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from promovolve.api.writer import GroupCommitWriter
from promovolve.store.models import SpendReservationRow
from tests.api.harness import Harness


def _reservation(reservation_id: str, amount: int | None) -> dict[str, object]:
    return {
        "campaign_id": "cmp-1",
        "day_index": 7,
        "reservation_id": reservation_id,
        "amount_micros": amount,
        "site_id": "site-1",
        "creative_id": "cr-1",
        "ts": time.time(),
    }


async def test_a_refused_row_fails_alone(api: Harness) -> None:
    runtime = api.runtime
    assert runtime.db is not None
    writer = GroupCommitWriter(runtime.db, runtime.metrics)
    # Queued before the writer runs, so all three land in one batch.
    good_1 = writer.submit("reservation", _reservation("r-1", 1000))
    bad = writer.submit("reservation", _reservation("r-2", None))  # NOT NULL column
    good_2 = writer.submit("reservation", _reservation("r-3", 2000))
    writer.start()
    try:
        assert await asyncio.wait_for(good_1, 10) is True
        assert await asyncio.wait_for(good_2, 10) is True
        with pytest.raises(Exception):  # noqa: B017 - whichever error the driver raises
            await asyncio.wait_for(bad, 10)
    finally:
        await writer.close()
    async with runtime.session() as session:
        rows = await session.scalars(
            select(SpendReservationRow.reservation_id).where(SpendReservationRow.day_index == 7)
        )
        assert sorted(rows) == ["r-1", "r-3"]
