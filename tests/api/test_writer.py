"""The group-commit writer: one row the database refuses does not fail the rows batched
with it (on the serve path those are other callers' answered selections)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from promovolve.api.writer import GroupCommitWriter
from promovolve.engine.site import SiteEngine
from promovolve.store.batch import batch_store_for
from promovolve.store.errors import WriteInDoubtError
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
    writer = GroupCommitWriter(batch_store_for(runtime.db), runtime.metrics)
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


async def _two_impression_world(api: Harness) -> SiteEngine:
    """A site and a campaign whose budget buys two impressions; the site's engine."""
    pub_key = await api.publisher("pub-1")
    await api.site(pub_key, "pub-1", "site-1", "news.example.com")
    await api.pacing(pub_key, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    adv_key = await api.advertiser("adv-1")
    await api.campaign(adv_key, "adv-1", "cmp-1", dailyBudget=1, cpm=500)  # two impressions
    await api.creative(adv_key, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub_key, "pub-1", "site-1", "cr-1")
    return api.runtime.state.sites["site-1"].engine


async def test_a_serve_whose_spend_cannot_be_recorded_spends_nothing(
    api: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = await _two_impression_world(api)

    async def database_down(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk I/O error")

    writer = api.runtime.writer
    assert writer is not None
    with monkeypatch.context() as patch:
        patch.setattr(writer.store, "write", database_down)
        r = await api.serve("site-1", "https://news.example.com/a")
    assert r.status_code == 503 and r.json()["error"] == "unavailable"
    day = engine.controller.day_index
    assert day is not None
    assert api.runtime.state.ledger.spent("cmp-1", day) == 0
    assert engine.today.outcomes["selected"] == 0
    # The budget it held is spendable again: both impressions of it are served.
    for _ in range(2):
        r = await api.serve("site-1", "https://news.example.com/a")
        assert r.json()["slots"][0]["outcome"] == "selected"
    assert api.runtime.state.ledger.spent("cmp-1", day) == 1_000_000
    assert engine.campaign_days["cmp-1"].impressions_served == 2


async def test_a_write_the_database_may_have_committed_keeps_its_spend_reserved(
    api: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection lost after the batch was sent: the row may be in the database, so the
    budget is not sold again (it could overspend); the serve still answers 503."""
    engine = await _two_impression_world(api)

    async def lost_mid_commit(*_args: object, **_kwargs: object) -> None:
        raise WriteInDoubtError("connection closed while committing")

    writer = api.runtime.writer
    assert writer is not None
    with monkeypatch.context() as patch:
        patch.setattr(writer.store, "write", lost_mid_commit)
        r = await api.serve("site-1", "https://news.example.com/a")
    assert r.status_code == 503 and r.json()["error"] == "unavailable"
    day = engine.controller.day_index
    assert day is not None
    assert api.runtime.state.ledger.spent("cmp-1", day) == 500_000  # still held
    outcomes = [
        (await api.serve("site-1", "https://news.example.com/a")).json()["slots"][0]["outcome"]
        for _ in range(2)
    ]
    assert outcomes == ["selected", "budgetExhausted"]
    assert api.runtime.state.ledger.spent("cmp-1", day) == 1_000_000
