"""Property: settlement releases exactly the due reservations without a viewable
impression, each once, and the ledger loaded afterwards holds exactly the others."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from promovolve.store import aggregates, database, load_state
from promovolve.store.loading import LedgerDay
from promovolve.store.models import SpendReservationRow, TrackingEventRow
from promovolve.store.settlement import settle_due

# (amount in micros, age in seconds, viewed)
RESERVATIONS = st.lists(
    st.tuples(st.integers(1, 10_000), st.integers(0, 2000), st.booleans()), max_size=30
)
NOW, WINDOW = 10_000.0, 900.0


async def _check(db_path: Path, reservations: list[tuple[int, int, bool]]) -> None:
    engine = database.create_engine(f"sqlite+aiosqlite:///{db_path}")
    try:
        await database.migrate(engine)
        sessions = database.session_factory(engine)
        async with sessions.begin() as session:
            await session.execute(delete(SpendReservationRow))
            await session.execute(delete(TrackingEventRow))
            facts = [("s", 1, "c", amount, NOW - age) for amount, age, _ in reservations]
            await aggregates.add(session, engine.dialect.name, aggregates.spend_rollup(facts))
            for i, (amount, age, viewed) in enumerate(reservations):
                row = {"campaign_id": "c", "day_index": 1, "site_id": "s", "creative_id": "cr"}
                await session.execute(
                    insert(SpendReservationRow).values(
                        **row, reservation_id=f"r{i}/top", amount_micros=amount, ts=NOW - age
                    )
                )
                if viewed:
                    await session.execute(
                        insert(TrackingEventRow).values(
                            **row,
                            kind="imp",
                            request_id=f"r{i}",
                            slot_id="top",
                            price_micros=amount,
                            ts=NOW,
                        )
                    )
        async with sessions.begin() as session:
            released = await settle_due(session, NOW - WINDOW, NOW)
        async with sessions.begin() as session:
            again = await settle_due(session, NOW - WINDOW, NOW)
            # A window that reaches back over every row: the ledger's recent ids are all kept.
            state = await load_state(session, NOW, 10 * WINDOW + 2000)
    finally:
        await engine.dispose()
    due_unviewed = {
        f"r{i}/top"
        for i, (_, age, viewed) in enumerate(reservations)
        if age >= WINDOW and not viewed
    }
    assert {r.reservation_id for r in released} == due_unviewed
    assert again == []
    kept = {
        f"r{i}/top": amount
        for i, (amount, _, _) in enumerate(reservations)
        if f"r{i}/top" not in due_unviewed
    }
    loaded = state.ledger_days.get("c", LedgerDay(1, 0))
    assert loaded.recent == kept
    assert loaded.spent == sum(kept.values())  # released spend is off the aggregates


@settings(max_examples=25)
@given(RESERVATIONS)
def test_settlement_releases_exactly_the_due_unviewed_reservations_once(
    reservations: list[tuple[int, int, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_check(Path(tmp) / "p.db", reservations))
