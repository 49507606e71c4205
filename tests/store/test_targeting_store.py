"""Campaign exclusions and publisher pins in SQL (migration 0004_targeting)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from promovolve.store import database, load_state, unit_of_work
from tests.store.test_repositories import CAMPAIGN, SITE, _world


async def test_exclusions_round_trip(engine: AsyncEngine) -> None:
    await _world(engine)
    excluding = replace(
        CAMPAIGN,
        excluded_categories=frozenset({"547", "boxing"}),
        excluded_keywords=frozenset({"crash"}),
    )
    async with unit_of_work(database.session_factory(engine)) as stored:
        await stored.campaigns.update(excluding)
    async with database.session_factory(engine)() as session:
        state = await load_state(session, 0.0, 60.0)
    assert state.campaigns == [excluding]


async def test_pins_are_put_replaced_and_removed(engine: AsyncEngine) -> None:
    await _world(engine)
    sessions = database.session_factory(engine)
    page = "https://example.com/a"
    async with unit_of_work(sessions) as stored:
        await stored.pins.put(SITE.id, "", frozenset({"483"}))
        await stored.pins.put(SITE.id, page, frozenset({"1"}))
        await stored.pins.put(SITE.id, page, frozenset({"1", "547"}))
    async with sessions() as session:
        assert (await load_state(session, 0.0, 60.0)).pins == {
            SITE.id: {"": ("483",), page: ("1", "547")}
        }
    async with unit_of_work(sessions) as stored:
        await stored.pins.remove(SITE.id, "")
    async with sessions() as session:
        assert (await load_state(session, 0.0, 60.0)).pins == {SITE.id: {page: ("1", "547")}}


async def test_migration_0004_gives_existing_campaigns_no_exclusions(engine: AsyncEngine) -> None:
    await database.drop_all(engine)
    await database.migrate(engine, revision="0003")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO advertisers (id, name, api_key_hash, created_at) "
                "VALUES ('adv-1', 'A', 'h', 1.0)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO campaigns (id, advertiser_id, name, daily_budget_micros, "
                "cpm_micros, categories_json, keywords_json, status, created_at) VALUES "
                "('cmp-1', 'adv-1', 'C', 1000000, 1000000, '[\"sports\"]', '[]', 'active', 1.0)"
            )
        )
    await database.migrate(engine)
    async with database.session_factory(engine)() as session:
        state = await load_state(session, 0.0, 60.0)
    assert state.campaigns[0].categories == frozenset({"sports"})
    assert state.campaigns[0].excluded_categories == frozenset()
    assert state.campaigns[0].excluded_keywords == frozenset()
    assert state.pins == {}
