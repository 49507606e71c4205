"""Settlement: a reservation without a viewable impression within the window goes back to
the budget, once and durably; a viewed one stays spent. Stats tell settled from reserved."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from promovolve.settings import Settings, SettingsError
from promovolve.store import database, load_state
from promovolve.store.loading import LedgerDay
from promovolve.store.settlement import settle_due
from tests.api.harness import Harness, bearer

WINDOW = 900  # the default settlement window, seconds
CPM = 2.5
PRICE = CPM / 1000


async def _setup(api: Harness) -> tuple[str, str]:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "news.example.com")
    await api.campaign(adv, "adv-1", "camp-1", cpm=CPM)
    await api.creative(adv, "adv-1", "camp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    return pub, adv


async def _serve(api: Harness) -> dict[str, Any]:
    r = await api.serve("site-1", "https://news.example.com/a")
    assert r.status_code == 200, r.text
    slot = r.json()["slots"][0]
    assert slot["outcome"] == "selected"
    return dict(slot)


async def _today(api: Harness, pub: str, adv: str) -> tuple[dict[str, Any], dict[str, Any]]:
    site = await api.http.get("/v1/publishers/pub-1/sites/site-1/stats", headers=bearer(pub))
    camp = await api.http.get("/v1/advertisers/adv-1/campaigns/camp-1/stats", headers=bearer(adv))
    assert site.status_code == 200 and camp.status_code == 200
    return site.json()["today"], camp.json()["today"]


def _spent(api: Harness, day: int) -> int:
    return api.runtime.state.ledger.spent("camp-1", day)


async def test_an_unviewed_reservation_is_released_once_after_the_window(api: Harness) -> None:
    start = time.time()
    api.now = lambda: start
    pub, adv = await _setup(api)
    viewed = await _serve(api)
    await _serve(api)  # never viewed
    api.now = lambda: start + 2  # a viewable beacon comes a second after its serve at least
    assert (await api.http.get(viewed["impressionUrl"])).status_code == 200
    path = "/v1/advertisers/adv-1/campaigns/camp-1/stats"
    day = (await api.http.get(path, headers=bearer(adv))).json()["dayIndex"]
    assert _spent(api, day) == 2 * 2500
    site, camp = await _today(api, pub, adv)
    for today in (site, camp):
        assert today["served"] == 2 and today["viewableImpressions"] == 1
        assert today["settledSpend"] == PRICE and today["reservedSpend"] == PRICE
        assert today["viewableRate"] == 0.5

    api.now = lambda: start + WINDOW - 1  # within the window: nothing released yet
    assert await api.runtime.settler.settle_once() == 0
    assert _spent(api, day) == 2 * 2500

    api.now = lambda: start + WINDOW + 1
    assert await api.runtime.settler.settle_once() == 1
    assert await api.runtime.settler.settle_once() == 0  # once
    assert _spent(api, day) == 2500
    site, camp = await _today(api, pub, adv)
    for today in (site, camp):
        assert today["served"] == 2 and today["viewableImpressions"] == 1
        assert today["settledSpend"] == PRICE and today["reservedSpend"] == 0

    await api.restart()  # durable: the ledger loads without the released reservation
    assert _spent(api, day) == 2500
    assert await api.runtime.settler.settle_once() == 0
    site, _ = await _today(api, pub, adv)
    assert site["settledSpend"] == PRICE and site["reservedSpend"] == 0


async def test_a_beacon_after_the_release_counts_as_viewable_but_costs_nothing(
    api: Harness,
) -> None:
    start = time.time()
    api.now = lambda: start
    pub, adv = await _setup(api)
    late = await _serve(api)
    api.now = lambda: start + WINDOW + 1
    assert await api.runtime.settler.settle_once() == 1
    assert (await api.http.get(late["impressionUrl"])).status_code == 200
    site, camp = await _today(api, pub, adv)
    for today in (site, camp):
        assert today["viewableImpressions"] == 1
        assert today["settledSpend"] == 0 and today["reservedSpend"] == 0


def test_the_window_defaults_to_15_minutes_within_the_tracking_ttl() -> None:
    assert Settings().settlement_window == 900
    assert Settings(tracking_ttl_seconds=60).settlement_window == 60
    assert Settings(settlement_window_seconds=2).settlement_window == 2


def test_a_window_longer_than_the_tracking_ttl_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROMOVOLVE_TRACKING_TTL", "600")
    monkeypatch.setenv("PROMOVOLVE_SETTLEMENT_WINDOW", "900")
    with pytest.raises(SettingsError, match="PROMOVOLVE_SETTLEMENT_WINDOW"):
        Settings.from_env()


async def test_migration_0007_leaves_existing_reservations_waiting(tmp_path: Path) -> None:
    engine = database.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await database.migrate(engine, revision="0003")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO spend_reservations (campaign_id, day_index, reservation_id, "
                    "amount_micros, site_id, creative_id, ts) "
                    "VALUES ('c', 1, 'r/top', 2500, 's', 'cr', 10.0)"
                )
            )
        await database.migrate(engine)
        async with database.session_factory(engine).begin() as session:
            state = await load_state(session, 15.0, 60.0)
            assert state.ledger_days["c"] == LedgerDay(1, 2500, {"r/top": 2500})
            released = await settle_due(session, cutoff=20.0, now=30.0)
        assert [r.reservation_id for r in released] == ["r/top"]
        async with database.session_factory(engine)() as session:
            # Released: its spend is off the day's aggregate and its id off the ledger's.
            assert (await load_state(session, 31.0, 60.0)).ledger_days["c"] == LedgerDay(1, 0)
    finally:
        await engine.dispose()
