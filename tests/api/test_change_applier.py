"""Applying change records: a second hot state on the same database, told only the records
of the first one's management calls (or reloading everything), ends up holding what the
first holds: accounts and keys, sites, the catalog, approvals, blocklists and pins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from promovolve.api.changes import ChangeApplier
from promovolve.api.keys import KeyRing
from promovolve.api.metrics import Metrics
from promovolve.api.services import ServiceContext, Services
from promovolve.api.state import ServerState
from promovolve.domain.model import ApprovalStatus, Campaign, CampaignStatus, Creative
from promovolve.network.changes import Change
from promovolve.store import database

NOW = 1_800_000_000.0


def _clock() -> float:
    return NOW


@dataclass
class Process:
    state: ServerState
    services: Services
    announced: list[Change]


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = database.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    await database.migrate(engine)
    yield database.session_factory(engine)
    await engine.dispose()


def _process(
    sessions: async_sessionmaker[AsyncSession], followers: tuple[ChangeApplier, ...] = ()
) -> Process:
    """A process's hot state and services; each call's records reach `followers` before
    it answers, as the change feed makes them."""
    state = ServerState(KeyRing("admin"), Metrics())
    announced: list[Change] = []

    async def announce(changes: list[Change], strict: bool) -> None:
        announced.extend(changes)
        for follower in followers:
            for change in changes:
                await follower.apply(change)

    context = ServiceContext(state, sessions, _clock, set(), announce=announce)
    return Process(state, Services.on(context), announced)


def _view(state: ServerState) -> dict[str, object]:
    """What serving and auth read."""
    return {
        "publishers": dict(state.publishers),
        "advertisers": dict(state.advertisers),
        "sites": {i: (s.site, s.serving, s.clock_origin) for i, s in state.sites.items()},
        "approvals": {i: dict(s.engine.approvals) for i, s in state.sites.items()},
        "siteBlocklists": {i: s.engine.blocklist for i, s in state.sites.items()},
        "campaigns": dict(state.catalog.campaigns),
        "creatives": {c: dict(v) for c, v in state.catalog.creatives_by_campaign.items()},
        "blocklists": dict(state.blocklists),
        "pins": {i: dict(p) for i, p in state.pins.items()},
    }


async def _make_a_network(a: Process) -> dict[str, str]:
    services = a.services
    _, pub_key = await services.accounts.create("publisher", "pub-1", "P")
    _, adv_key = await services.accounts.create("advertiser", "adv-1", "A")
    await services.sites.create("pub-1", "site-1", "news.example", "News", 1.0)
    await services.sites.create("pub-1", "site-2", "blog.example", "Blog", 1.0)
    for n in (1, 2):
        await services.campaigns.create(
            Campaign(f"cmp-{n}", "adv-1", "C", 5_000_000, 2_000_000, frozenset({"150"}))
        )
        await services.campaigns.create_creative(
            Creative(f"cr-{n}", f"cmp-{n}", "adv-1", "https://cdn.example/a.png",
                     f"https://shop{n}.example/", 300, 250)
        )  # fmt: skip
        await services.moderation.decide("pub-1", "site-1", f"cr-{n}", ApprovalStatus.APPROVED)
    await services.moderation.decide("pub-1", "site-2", "cr-1", ApprovalStatus.REJECTED)
    await services.moderation.block("pub-1", ["shop2.example"])
    await services.pins.put("pub-1", "site-1", None, ["150"])
    await services.campaigns.update("adv-1", "cmp-2", status=CampaignStatus.PAUSED)
    await services.campaigns.archive_creative("adv-1", "cmp-1", "cr-1")
    await services.sites.archive("pub-1", "site-2")
    _, adv_key = await services.accounts.rotate_key("advertiser", "adv-1")
    return {"publisher": pub_key, "advertiser": adv_key}


async def test_records_bring_another_process_to_the_same_state(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    b = _process(sessions)
    applier = ChangeApplier(b.state, sessions, _clock)
    a = _process(sessions, (applier,))
    keys = await _make_a_network(a)
    assert _view(b.state) == _view(a.state)
    assert b.state.keyring.resolve(keys["advertiser"]) == a.state.keyring.resolve(
        keys["advertiser"]
    )
    assert b.state.keyring.resolve(keys["publisher"]) is not None
    # Applied twice, late or out of order: still the database's state.
    for change in reversed(a.announced):
        await applier.apply(change)
    assert _view(b.state) == _view(a.state)


async def test_a_process_that_missed_records_reloads_everything(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = _process(sessions), _process(sessions)
    applier = ChangeApplier(b.state, sessions, _clock)
    await a.services.accounts.create("publisher", "pub-0", "Early")
    for change in a.announced:
        await applier.apply(change)
    keys = await _make_a_network(a)  # b hears none of this
    await a.services.accounts.set_active("publisher", "pub-0", False)
    await applier.reload_all()
    assert _view(b.state) == _view(a.state)
    assert b.state.keyring.resolve(keys["advertiser"]) is not None
    assert not b.state.publishers["pub-0"].active
