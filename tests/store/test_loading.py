"""Loading at start: each campaign's and site's latest day, and ids of the idempotency window."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from promovolve.store import database, loading, repository
from promovolve.store.loading import LedgerDay
from tests.store.test_aggregates import event, reservation


async def _write(engine: AsyncEngine, rows: list[dict[str, object]]) -> None:
    async with database.session_factory(engine).begin() as session:
        await repository.insert_reservations(session, rows)


async def _load(engine: AsyncEngine, now: float, window: float) -> loading.LoadedState:
    async with database.session_factory(engine)() as session:
        return await loading.load_state(session, now, window)


async def test_a_restarted_day_clock_is_followed_by_the_newest_reservation(
    engine: AsyncEngine,
) -> None:
    await _write(engine, [reservation(day_index=7, reservation_id="a", ts=100.0)])
    await _write(engine, [reservation(day_index=0, reservation_id="b", ts=200.0)])
    state = await _load(engine, now=201.0, window=10.0)
    assert state.ledger_days == {"c1": LedgerDay(0, 100, {"b": 100}, before=100)}
    assert state.site_days == {"s1": {0: {"c1": (1, 100)}}}
    assert state.site_selected == {"s1": 2}


async def test_spend_older_than_the_window_counts_without_its_ids(engine: AsyncEngine) -> None:
    await _write(
        engine,
        [
            reservation(reservation_id="old", amount_micros=1000, ts=10.0),
            reservation(site_id="s2", reservation_id="new", amount_micros=5, ts=95.0),
        ],
    )
    state = await _load(engine, now=100.0, window=30.0)
    # Spent on both sites counts against the campaign's day; only the recent id is kept.
    assert state.ledger_days == {"c1": LedgerDay(3, 1005, {"new": 5})}
    assert state.last_site == {"c1": "s2"}


async def test_the_window_is_read_back_in_pages_and_no_further(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loading, "RECENT_PAGE_ROWS", 2)
    rows = [reservation(reservation_id=f"r{i}", amount_micros=1, ts=float(i)) for i in range(7)]
    await _write(engine, rows)
    state = await _load(engine, now=8.0, window=5.5)  # since 2.5: r3 … r6
    assert state.ledger_days["c1"] == LedgerDay(3, 7, {f"r{i}": 1 for i in range(3, 7)})
    state = await _load(engine, now=8.0, window=100.0)
    assert len(state.ledger_days["c1"].recent) == 7


async def test_event_counts_of_the_sites_latest_day_and_of_all_time(engine: AsyncEngine) -> None:
    await _write(engine, [reservation(day_index=2, ts=1.0), reservation(day_index=3, ts=2.0)])
    async with database.session_factory(engine).begin() as session:
        await repository.insert_events(
            session,
            [
                event(day_index=2, request_id="a"),
                event(day_index=3, request_id="b"),
                event(day_index=3, request_id="b", kind="click"),
            ],
        )
    state = await _load(engine, now=3.0, window=10.0)
    assert state.event_days == {"s1": {3: (1, 1)}}
    counts = state.creative_events["s1"]["cr1"]
    assert (counts.impressions, counts.clicks) == (2, 1)


async def test_an_empty_database_loads_nothing(engine: AsyncEngine) -> None:
    state = await _load(engine, now=1.0, window=10.0)
    assert (state.ledger_days, state.site_days, state.event_days) == ({}, {}, {})
