"""Invalid traffic through the whole app: capped sources and bots get no paid ad; invalid
beacons are recorded with their reason and count toward no stats, spend or learning, and
their reservations are released like unviewed ones."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from promovolve.domain.traffic import PENALTY_SECONDS
from promovolve.settings import Settings
from promovolve.store.models import TrackingEventRow
from tests.api.harness import Harness, bearer

RATE = 5  # serves a second per source per site: a burst of 10
CPM = 2.5
PRICE_MICROS = 2500
WINDOW = 900
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Harness]:
    capped = settings.model_copy(update={"rate_limit": RATE, "trusted_proxies": "127.0.0.1"})
    harness = await Harness(capped).start()
    start = time.time()
    harness.now = lambda: start
    try:
        yield harness
    finally:
        await harness.stop()


async def _setup(api: Harness) -> tuple[str, str]:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "news.example.com")
    await api.campaign(adv, "adv-1", "camp-1", cpm=CPM, deliveryMode="asap")
    await api.creative(adv, "adv-1", "camp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    return pub, adv


def _from(address: str, agent: str = BROWSER) -> dict[str, str]:
    return {"X-Forwarded-For": address, "User-Agent": agent}


async def _serve(api: Harness, address: str, agent: str = BROWSER) -> dict[str, Any]:
    body = {
        "siteId": "site-1",
        "url": "https://news.example.com/a",
        "slots": [{"id": "top", "width": 300, "height": 250}],
    }
    r = await api.http.post("/v1/serve", json=body, headers=_from(address, agent))
    assert r.status_code == 200, r.text
    return dict(r.json()["slots"][0])


async def _beacon(api: Harness, url: str, address: str) -> int:
    return (await api.http.get(url, headers=_from(address))).status_code


async def _site(api: Harness, pub: str) -> dict[str, Any]:
    r = await api.http.get("/v1/publishers/pub-1/sites/site-1/stats", headers=bearer(pub))
    assert r.status_code == 200
    return dict(r.json())


def _spent(api: Harness) -> int:
    engine = api.runtime.state.sites["site-1"].engine
    return api.runtime.state.ledger.spent("camp-1", engine.controller.clock.day_index(api.now()))


async def test_a_source_over_its_cap_gets_no_ad_and_no_reservation(api: Harness) -> None:
    pub, _ = await _setup(api)
    outcomes = [(await _serve(api, "203.0.113.7"))["outcome"] for _ in range(15)]
    assert outcomes == ["selected"] * 2 * RATE + ["invalidTraffic"] * 5
    assert _spent(api) == 2 * RATE * PRICE_MICROS
    # Another reader of the same site is not affected.
    assert (await _serve(api, "198.51.100.20"))["outcome"] == "selected"
    site = await _site(api, pub)
    assert site["today"]["invalid"]["serves"] == {"bot": 0, "overCap": 5}
    assert site["selected"] == 2 * RATE + 1
    # Invalid serves do not feed pacing's traffic count either.
    assert site["requestsToday"] == 2 * RATE + 1


async def test_a_known_bot_gets_no_paid_ad(api: Harness) -> None:
    pub, _ = await _setup(api)
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    assert (await _serve(api, "192.0.2.1", googlebot))["outcome"] == "invalidTraffic"
    assert _spent(api) == 0
    assert (await _site(api, pub))["today"]["invalid"]["serves"]["bot"] == 1


async def _events(api: Harness) -> list[tuple[str, str | None]]:
    E = TrackingEventRow
    async with api.runtime.session() as session:
        rows = await session.execute(select(E.kind, E.invalid_reason).order_by(E.id))
        return [(k, r) for k, r in rows.all()]


async def test_a_beacon_sooner_than_a_second_is_marked_and_its_reservation_released(
    api: Harness,
) -> None:
    pub, _ = await _setup(api)
    start = api.now()
    slot = await _serve(api, "198.51.100.20")
    api.now = lambda: start + 0.5
    assert await _beacon(api, slot["impressionUrl"], "198.51.100.20") == 200  # a pixel all the same
    api.now = lambda: start + 2
    assert await _beacon(api, slot["impressionUrl"], "198.51.100.20") == 200  # a replay
    assert await _events(api) == [("imp", "beforeViewable")]
    site = await _site(api, pub)
    today = site["today"]
    assert today["viewableImpressions"] == 0 and today["settledSpend"] == 0
    assert today["invalid"]["impressions"]["beforeViewable"] == 1
    assert site["impressions"] == 0 and site["creatives"][0]["impressions"] == 0  # no learning
    api.now = lambda: start + WINDOW + 1
    assert await api.runtime.settler.settle_once() == 1
    assert _spent(api) == 0


async def test_clicks_without_or_too_soon_after_an_impression_are_invalid(api: Harness) -> None:
    pub, _ = await _setup(api)
    start = api.now()
    lone, fast, good = [await _serve(api, "198.51.100.20") for _ in range(3)]
    api.now = lambda: start + 2
    assert await _beacon(api, lone["clickUrl"], "198.51.100.20") == 302
    assert await _beacon(api, fast["impressionUrl"], "198.51.100.20") == 200
    assert await _beacon(api, good["impressionUrl"], "198.51.100.20") == 200
    api.now = lambda: start + 2.05
    assert await _beacon(api, fast["clickUrl"], "198.51.100.20") == 302
    api.now = lambda: start + 3
    assert await _beacon(api, good["clickUrl"], "198.51.100.20") == 302
    site = await _site(api, pub)
    today = site["today"]
    assert today["viewableImpressions"] == 2 and today["clicks"] == 1
    assert today["invalid"]["clicks"]["clickWithoutImpression"] == 1
    assert today["invalid"]["clicks"]["clickTooFast"] == 1
    assert site["clicks"] == 1


async def test_a_flooding_source_moves_no_settled_spend(api: Harness) -> None:
    _, adv = await _setup(api)
    start = api.now()
    answers = [await _serve(api, "203.0.113.7") for _ in range(40)]
    got = [a for a in answers if a["outcome"] == "selected"]
    assert len(got) == 2 * RATE
    api.now = lambda: start + 5  # late enough to be viewable, but the source is penalised
    for slot in got:
        assert await _beacon(api, slot["impressionUrl"], "203.0.113.7") == 200
    stats = await api.http.get("/v1/advertisers/adv-1/campaigns/camp-1/stats", headers=bearer(adv))
    today = stats.json()["today"]
    assert today["settledSpend"] == 0 and today["viewableImpressions"] == 0
    assert today["invalid"]["impressions"]["overCap"] == len(got)
    api.now = lambda: start + WINDOW + 1
    assert await api.runtime.settler.settle_once() == len(got)
    assert _spent(api) == 0
    # Quiet for the penalty, the same reader is served again.
    api.now = lambda: start + WINDOW + 2 + PENALTY_SECONDS
    assert (await _serve(api, "203.0.113.7"))["outcome"] == "selected"
