"""Aggregates: what a batch adds, and migration 0005 filling them from existing raw rows."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from promovolve.store import aggregates, database, loading, repository
from promovolve.store.loading import EventCounts, LedgerDay

AGGREGATE_TABLES = set(aggregates.TABLES)


def reservation(**fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "campaign_id": "c1",
        "day_index": 3,
        "reservation_id": "r1",
        "amount_micros": 100,
        "site_id": "s1",
        "creative_id": "cr1",
        "ts": 10.0,
    }
    return {**row, **fields}


def event(**fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "kind": "imp",
        "request_id": "q1",
        "slot_id": "top",
        "site_id": "s1",
        "creative_id": "cr1",
        "campaign_id": "c1",
        "price_micros": 100,
        "day_index": 3,
        "ts": 11.0,
    }
    return {**row, **fields}


def test_spend_rollup_sums_per_day_and_site_and_follows_the_newest_reservation():
    rollup = aggregates.spend_rollup(
        [
            ("s1", 7, "c1", 100, 50.0),
            ("s1", 7, "c1", 200, 51.0),
            ("s1", 0, "c1", 300, 52.0),  # the site's day clock restarted: day 0 is newest
            ("s2", 7, "c1", 400, 40.0),
        ]
    )
    assert sorted(rollup["spend_daily"], key=str) == [
        {"day_index": 0, "site_id": "s1", "campaign_id": "c1", "selected": 1, "spend_micros": 300},
        {"day_index": 7, "site_id": "s1", "campaign_id": "c1", "selected": 2, "spend_micros": 300},
        {"day_index": 7, "site_id": "s2", "campaign_id": "c1", "selected": 1, "spend_micros": 400},
    ]
    totals = {r["site_id"]: r for r in rollup["site_campaign_totals"]}
    assert totals["s1"] == {
        "site_id": "s1",
        "campaign_id": "c1",
        "selected": 3,
        "spend_micros": 600,
        "last_ts": 52.0,
        "last_day": 0,
    }
    assert (totals["s2"]["last_ts"], totals["s2"]["last_day"]) == (40.0, 7)


def test_event_rollup_counts_valid_impressions_and_clicks_and_ignores_the_rest():
    rollup = aggregates.event_rollup(
        [
            ("s1", 3, "cr1", "imp", None),
            ("s1", 3, "cr1", "imp", None),
            ("s1", 3, "cr1", "imp", "beforeViewable"),  # invalid: counted nowhere
            ("s1", 4, "cr1", "click", None),
            ("s1", 4, "cr1", "click", "clickTooFast"),
            ("s1", 4, "cr1", "view", None),
        ]
    )
    assert sorted(rollup["event_daily"], key=str) == [
        {"day_index": 3, "site_id": "s1", "creative_id": "cr1", "impressions": 2, "clicks": 0},
        {"day_index": 4, "site_id": "s1", "creative_id": "cr1", "impressions": 0, "clicks": 1},
    ]
    assert rollup["site_creative_totals"] == [
        {"site_id": "s1", "creative_id": "cr1", "impressions": 2, "clicks": 1}
    ]


async def test_later_batches_add_to_the_aggregates_and_replays_add_nothing(
    engine: AsyncEngine,
) -> None:
    sessions = database.session_factory(engine)
    async with sessions.begin() as session:
        await repository.insert_reservations(session, [reservation()])
        await repository.insert_events(session, [event()])
    async with sessions.begin() as session:
        await repository.insert_reservations(
            session, [reservation(), reservation(reservation_id="r2", amount_micros=5, ts=9.0)]
        )
        await repository.insert_events(session, [event(), event(kind="click", ts=12.0)])
    async with engine.connect() as conn:
        totals = (await conn.execute(text("SELECT * FROM site_campaign_totals"))).all()
        creatives = (await conn.execute(text("SELECT * FROM site_creative_totals"))).all()
    # An older reservation written later does not move the latest day or time back.
    assert [tuple(r) for r in totals] == [("s1", "c1", 2, 105, 10.0, 3)]
    assert [tuple(r) for r in creatives] == [("s1", "cr1", 1, 1)]


async def _tables(db: AsyncEngine) -> set[str]:
    async with db.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def _indexes(db: AsyncEngine, table: str) -> list[str]:
    async with db.connect() as conn:
        found = await conn.run_sync(lambda c: inspect(c).get_indexes(table))
    # PostgreSQL also lists the indexes of unique constraints: only the plain ones.
    return sorted(str(i["name"]) for i in found if str(i["name"]).startswith("ix_"))


async def test_migration_0005_fills_the_aggregates_from_existing_rows_and_downgrades(
    engine: AsyncEngine,
) -> None:
    await database.drop_all(engine)
    await database.migrate(engine, revision="0002")
    assert not AGGREGATE_TABLES & await _tables(engine)
    raw_reservations = [
        reservation(day_index=6, reservation_id="old", ts=5.0),
        reservation(),
        reservation(reservation_id="r2", amount_micros=50),
        reservation(site_id="s2", reservation_id="r3", amount_micros=7, ts=12.0),
    ]
    raw_events = [
        event(),
        event(request_id="q2"),
        event(kind="click"),
        event(day_index=6, request_id="q0"),
    ]
    async with engine.begin() as conn:
        await conn.execute(
            repository.insert_ignoring(engine.dialect.name, "reservations"), raw_reservations
        )
        columns = ", ".join(raw_events[0])
        values = ", ".join(f":{c}" for c in raw_events[0])
        await conn.execute(
            text(f"INSERT INTO tracking_events ({columns}) VALUES ({values})"), raw_events
        )

    await database.migrate(engine)
    async with database.session_factory(engine)() as session:
        state = await loading.load_state(session, now=13.0, window_seconds=300.0)
    assert state.ledger_days == {
        "c1": LedgerDay(3, 157, {"r1": 100, "r2": 50, "r3": 7}, before=100),
    }
    assert state.last_site == {"c1": "s2"}
    assert state.site_selected == {"s1": 3, "s2": 1}
    assert state.site_days == {"s1": {3: {"c1": (2, 150)}}, "s2": {3: {"c1": (1, 7)}}}
    assert state.creative_events == {"s1": {"cr1": EventCounts(3, 1)}}
    assert state.event_days == {"s1": {3: (2, 1)}}
    # Only settlement's (migration 0007) is left: the old grouping's indexes are gone.
    assert await _indexes(engine, "spend_reservations") == ["ix_spend_reservations_unsettled"]
    assert await _indexes(engine, "tracking_events") == []

    await database.downgrade(engine, "0002")
    assert not AGGREGATE_TABLES & await _tables(engine)
    assert await _indexes(engine, "spend_reservations") == ["ix_spend_reservations_site_day"]
    assert await _indexes(engine, "tracking_events") == ["ix_tracking_events_site_creative"]
    async with engine.connect() as conn:
        kept = (await conn.execute(text("SELECT count(*) FROM spend_reservations"))).scalar()
    assert kept == len(raw_reservations)
    await database.migrate(engine)  # and up again
    assert await _tables(engine) >= AGGREGATE_TABLES


class RecordingConnection:
    """Stands in for a connection: records what `aggregates.add` executes, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, list[dict[str, object]]]] = []

    async def execute(self, statement: object, rows: list[dict[str, object]]) -> None:
        self.calls.append((statement, rows))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["s1", "s2"]), st.integers(0, 2), st.sampled_from("abc")),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
async def test_aggregates_are_locked_in_one_order_whatever_the_batch(
    facts: list[tuple[str, int, str]], rng: random.Random
) -> None:
    """Processes writing the same aggregate rows at once must take their row locks in the
    same order, or PostgreSQL finds a deadlock: tables in a fixed order, rows by key."""
    spent = [(site, day, campaign, 10, 1.0) for site, day, campaign in facts]
    events = [(site, day, campaign, "imp", None) for site, day, campaign in facts]
    rollup = {**aggregates.event_rollup(events), **aggregates.spend_rollup(spent)}
    shuffled = {what: rng.sample(rows, len(rows)) for what, rows in reversed(rollup.items())}
    conn = RecordingConnection()
    await aggregates.add(conn, "postgresql", shuffled)  # type: ignore[arg-type]
    tables = [aggregates.upsert("postgresql", what) for what in aggregates.TABLES]
    assert [statement for statement, _ in conn.calls] == tables
    for (_, rows), what in zip(conn.calls, aggregates.TABLES, strict=True):
        assert sorted(map(repr, rows)) == sorted(map(repr, rollup[what]))
        keys = [tuple(r[c] for c in aggregates._KEYS[what]) for r in rows]
        assert keys == sorted(keys)
