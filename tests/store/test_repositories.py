"""Repositories through a unit of work: domain objects in and out, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from promovolve.domain.model import (
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    Creative,
    Site,
)
from promovolve.pacing.config import PacingConfig
from promovolve.store import ConstraintError, database, load_state, unit_of_work

SITE = Site("site-1", "pub-1", "example.com", "News", 0.7, PacingConfig(day_duration_seconds=600))
CAMPAIGN = Campaign(
    "cmp-1",
    "adv-1",
    "Shoes",
    5_000_000,
    2_500_000,
    frozenset({"sports"}),
    frozenset(),
    CampaignStatus.PAUSED,
)
CREATIVE = Creative(
    "cr-1", "cmp-1", "adv-1", "https://cdn.example/a.png", "https://shop.example/", 300, 250
)


async def _world(engine: AsyncEngine) -> None:
    async with unit_of_work(database.session_factory(engine)) as stored:
        await stored.accounts.add("publisher", "pub-1", "P", "hash-p", 1.0)
        await stored.accounts.add("advertiser", "adv-1", "A", "hash-a", 1.0)
        await stored.sites.add(SITE, 10.0, 1.0)
        await stored.campaigns.add(CAMPAIGN, 1.0)
        await stored.creatives.add(CREATIVE, 1.0)
        await stored.approvals.decide("site-1", "cr-1", ApprovalStatus.APPROVED, 2.0)
        await stored.blocklists.replace("pub-1", ["spam.example", "ads.example"])


async def test_what_is_written_loads_back_as_domain_objects(engine: AsyncEngine) -> None:
    await _world(engine)
    async with database.session_factory(engine)() as session:
        state = await load_state(session, 0.0, 60.0)
    assert [(p.id, p.name, p.active, h) for p, h in state.publishers] == [
        ("pub-1", "P", True, "hash-p")
    ]
    assert [(a.id, a.active, h) for a, h in state.advertisers] == [("adv-1", True, "hash-a")]
    assert state.sites == [(SITE, 10.0)]
    assert state.campaigns == [CAMPAIGN]
    assert state.creatives == [CREATIVE]
    assert state.approvals == {"site-1": {"cr-1": ApprovalStatus.APPROVED}}
    assert state.blocklists == {"pub-1": {"spam.example", "ads.example"}}


async def test_marks_and_changes_load_back(engine: AsyncEngine) -> None:
    await _world(engine)
    sessions = database.session_factory(engine)
    async with unit_of_work(sessions) as stored:
        await stored.accounts.set_active("advertiser", "adv-1", False, 3.0)
        await stored.accounts.set_key_hash("publisher", "pub-1", "hash-p2")
        await stored.sites.archive("site-1", 3.0)
        await stored.campaigns.update(
            Campaign("cmp-1", "adv-1", "Boots", 1, 2, status=CampaignStatus.ACTIVE)
        )
        await stored.campaigns.archive("cmp-1", 3.0)
        await stored.creatives.archive("cr-1", 3.0)
        await stored.sites.set_pacing("site-1", PacingConfig(warmup_mode=True), 20.0)
    async with sessions() as session:
        state = await load_state(session, 0.0, 60.0)
    assert state.publishers[0][1] == "hash-p2"
    assert state.advertisers[0][0].active is False
    site, origin = state.sites[0]
    assert site.archived and site.pacing.warmup_mode and origin == 20.0
    assert state.campaigns[0] == Campaign("cmp-1", "adv-1", "Boots", 1, 2, archived=True)
    assert state.creatives[0].archived
    async with unit_of_work(sessions) as stored:
        await stored.accounts.set_active("advertiser", "adv-1", True, 4.0)
    async with sessions() as session:
        assert (await load_state(session, 0.0, 60.0)).advertisers[0][0].active is True


async def test_a_failing_unit_of_work_writes_nothing(engine: AsyncEngine) -> None:
    await _world(engine)
    sessions = database.session_factory(engine)
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as stored:
            await stored.blocklists.replace("pub-1", ["other.example"])
            await stored.sites.archive("site-1", 3.0)
            raise RuntimeError("the caller fails after writing")
    with pytest.raises(ConstraintError):
        async with unit_of_work(sessions) as stored:
            await stored.campaigns.archive("cmp-1", 3.0)
            await stored.accounts.add("publisher", "pub-2", "Q", "hash-p", 1.0)  # hash taken
    async with sessions() as session:
        state = await load_state(session, 0.0, 60.0)
    assert state.blocklists == {"pub-1": {"spam.example", "ads.example"}}
    assert not state.sites[0][0].archived
    assert not state.campaigns[0].archived
    assert [p.id for p, _ in state.publishers] == ["pub-1"]


async def test_migration_0003_keeps_rows_and_leaves_them_live(engine: AsyncEngine) -> None:
    await database.drop_all(engine)
    await database.migrate(engine, revision="0002")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO publishers (id, name, api_key_hash, created_at) "
                "VALUES ('pub-1', 'P', 'h', 1.0)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO sites (id, publisher_id, domain, name, bid_weight, pacing_json, "
                "clock_origin, created_at) VALUES ('site-1', 'pub-1', 'example.com', '', 0.5, "
                "'{}', 0.0, 1.0)"
            )
        )
    await database.migrate(engine)
    async with database.session_factory(engine)() as session:
        state = await load_state(session, 0.0, 60.0)
    assert state.publishers[0][0].active is True
    assert state.sites[0][0].archived is False
