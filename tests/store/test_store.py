"""Migrations and repositories on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from promovolve.store import database, loading, repository
from promovolve.store.loading import LedgerDay
from promovolve.store.models import Base


async def _tables(db: AsyncEngine) -> set[str]:
    async with db.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    return set(names)


async def test_migrate_up_again_and_down(engine: AsyncEngine) -> None:
    tables = await _tables(engine)
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    await database.migrate(engine)  # already at head: nothing to do
    await database.drop_all(engine)
    assert await _tables(engine) == set()
    await database.migrate(engine)
    assert set(Base.metadata.tables) <= await _tables(engine)


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS_DIR))
    assert [database.head_revision()] == ScriptDirectory.from_config(config).get_heads()


async def test_a_database_at_head_is_not_handed_to_alembic(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_upgrade = command.upgrade

    def upgrade(config: Config, revision: str) -> None:
        calls.append(revision)
        real_upgrade(config, revision)

    monkeypatch.setattr(command, "upgrade", upgrade)
    await database.migrate(engine)  # the fixture migrated it: at head
    assert calls == []
    async with engine.connect() as conn:
        assert await conn.run_sync(database.current_revisions) == {database.head_revision()}
    await database.drop_all(engine)
    await database.migrate(engine, revision="0001")
    await database.migrate(engine)  # behind: Alembic upgrades it
    assert calls == ["0001", "head"]
    assert set(Base.metadata.tables) <= await _tables(engine)


async def test_upgrading_keeps_reservations_and_their_unique_key(engine: AsyncEngine) -> None:
    # Migration 0002 reorders the reservations' unique key: rows survive, and the same
    # (campaign, day, reservation) is still refused while new ones are written.
    row = {
        "campaign_id": "c1",
        "day_index": 4,
        "reservation_id": "r1",
        "amount_micros": 2500,
        "site_id": "s1",
        "creative_id": "cr1",
        "ts": 1.0,
    }
    await database.drop_all(engine)
    await database.migrate(engine, revision="0001")
    async with engine.begin() as conn:
        await conn.execute(repository.insert_ignoring(engine.dialect.name, "reservations"), [row])
    await database.migrate(engine)
    async with engine.begin() as conn:
        insert = repository.insert_ignoring(engine.dialect.name, "reservations")
        await conn.execute(insert, [row, {**row, "reservation_id": "r2"}, {**row, "day_index": 5}])
        rows = await conn.execute(
            text(
                "SELECT campaign_id, day_index, reservation_id FROM spend_reservations ORDER BY id"
            )
        )
        keys = await conn.run_sync(
            lambda c: inspect(c).get_unique_constraints("spend_reservations")
        )
    assert [tuple(r) for r in rows] == [("c1", 4, "r1"), ("c1", 4, "r2"), ("c1", 5, "r1")]
    assert [k["column_names"] for k in keys] == [["day_index", "reservation_id", "campaign_id"]]


async def test_events_count_once_and_state_loads(engine: AsyncEngine) -> None:
    sessions = database.session_factory(engine)
    event = {
        "kind": "imp",
        "request_id": "r1",
        "slot_id": "s1",
        "site_id": "site-1",
        "creative_id": "cr-1",
        "campaign_id": "cmp-1",
        "price_micros": 2500,
        "day_index": 7,
        "ts": 1.0,
    }
    async with sessions.begin() as session:
        new = await repository.insert_events(session, [event, {**event, "slot_id": "s2"}])
    assert new == {("r1", "s1", "imp"), ("r1", "s2", "imp")}
    async with sessions.begin() as session:
        new = await repository.insert_events(session, [event, {**event, "kind": "click"}])
    assert new == {("r1", "s1", "click")}

    reservation = {
        "campaign_id": "cmp-1",
        "day_index": 7,
        "reservation_id": "r1/s1",
        "amount_micros": 2500,
        "site_id": "site-1",
        "creative_id": "cr-1",
        "ts": 1.0,
    }
    async with sessions.begin() as session:
        await repository.insert_reservations(
            session,
            [
                {**reservation, "day_index": 6, "reservation_id": "old"},
                reservation,
                {**reservation, "reservation_id": "r2/s1", "amount_micros": 500},
            ],
        )
        await repository.insert_reservations(session, [reservation])  # replay: ignored
        secret = await repository.get_or_create_setting(session, "k", "first")
        again = await repository.get_or_create_setting(session, "k", "second")
    assert secret == again == "first"
    async with sessions() as session:
        state = await loading.load_state(session, now=2.0, window_seconds=300.0)
    assert state.ledger_days == {
        "cmp-1": LedgerDay(7, 3000, {"r1/s1": 2500, "r2/s1": 500}, before=2500)
    }
    assert state.site_days["site-1"][7] == {"cmp-1": (2, 3000)}
    assert state.site_selected == {"site-1": 3}
    counts = state.creative_events["site-1"]["cr-1"]
    assert (counts.impressions, counts.clicks) == (2, 1)
    assert state.event_days["site-1"][7] == (2, 1)


async def test_the_sqlite_file_and_its_wal_are_readable_only_by_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "data" / "promovolve.db"
    db = database.create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await database.migrate(db)
        async with database.session_factory(db).begin() as session:
            await repository.get_or_create_setting(session, "tracking_secret", "s3cret")
        wal = Path(f"{path}-wal")
        assert wal.exists()  # written while the engine is open, with the file's mode
        assert wal.stat().st_mode & 0o777 == 0o600
    finally:
        await db.dispose()
    assert path.stat().st_mode & 0o777 == 0o600


async def test_an_existing_world_readable_database_is_restricted(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").touch(mode=0o644)
        Path(f"{path}{suffix}").chmod(0o644)
    database.restrict_to_owner(path)
    for suffix in ("", "-wal", "-shm"):
        assert Path(f"{path}{suffix}").stat().st_mode & 0o777 == 0o600
