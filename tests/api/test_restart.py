"""A clean restart brings back spend, approvals, Thompson statistics and learned state."""

from __future__ import annotations

import json
import math
import random
import time

from sqlalchemy import update

from promovolve.store.models import SiteRow
from promovolve.store.retention import prune
from tests.api.harness import Harness, bearer


async def test_state_survives_a_restart(api: Harness) -> None:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    await api.campaign(adv, "adv-1", "cmp-1", dailyBudget=1, cpm=100)  # 10 impressions a day
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-2", width=728, height=90)
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    await api.serve("site-1", "https://example.com/", [("x", 728, 90)])  # cr-2 → pending

    outcomes = []
    for _ in range(6):
        r = await api.serve("site-1", "https://example.com/")
        slot = r.json()["slots"][0]
        outcomes.append(slot["outcome"])
        if slot["outcome"] == "selected":
            api.advance(1.5)  # as late as a viewable impression comes
            await api.http.get(slot["impressionUrl"])
    api.advance(0.5)
    await api.http.get(slot["clickUrl"])
    assert outcomes == ["selected"] * 6
    # The same instant before and after the restart: a spend ratio is measured against the
    # clock, and seconds into a site's first day a restart's second moves it by a third.
    moving = api.now
    instant = moving()
    api.now = lambda: instant
    before = (
        await api.http.get("/v1/publishers/pub-1/sites/site-1/stats", headers=bearer(pub))
    ).json()

    await api.restart()

    after = (
        await api.http.get("/v1/publishers/pub-1/sites/site-1/stats", headers=bearer(pub))
    ).json()
    api.now = moving
    for key in (
        "selected",
        "noCandidates",
        "totalSpend",
        "impressions",
        "clicks",
        "creatives",
        "learnedShape",
        "dayIndex",
    ):
        assert after[key] == before[key], key
    assert after["campaigns"] == before["campaigns"]
    r = await api.http.get(
        "/v1/publishers/pub-1/sites/site-1/approvals?status=pending", headers=bearer(pub)
    )
    assert [a["creativeId"] for a in r.json()] == ["cr-2"]
    r = await api.http.get("/v1/advertisers/adv-1/campaigns/cmp-1/stats", headers=bearer(adv))
    assert r.json()["spendToday"] == 0.6
    # The ledger came back: only 4 more impressions fit in today's $1.
    outcomes = []
    for _ in range(6):
        outcomes.append((await api.serve("site-1", "https://example.com/")).json()["slots"][0])
    assert [s["outcome"] for s in outcomes] == ["selected"] * 4 + ["budgetExhausted"] * 2
    r = await api.http.get("/v1/advertisers/adv-1/campaigns/cmp-1/stats", headers=bearer(adv))
    assert r.json()["spendToday"] == 1.0
    # Old beacons still verify (the tracking secret persisted) and still count once.
    r = await api.http.get(slot["clickUrl"])
    assert r.status_code == 302
    stats = (
        await api.http.get("/v1/publishers/pub-1/sites/site-1/stats", headers=bearer(pub))
    ).json()
    assert stats["clicks"] == 1


async def test_a_stored_pacing_config_the_engine_cannot_use_does_not_stop_the_server(
    api: Harness,
) -> None:
    """Configs written before shapes were checked (volumes whose sum overflows) must not
    keep the server from starting; the site runs on learned shapes instead."""
    pub = await api.publisher("pub-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.site(pub, "pub-1", "site-2", "example.org")
    bad = {"dayDurationSeconds": 600, "weekdayShapeVolumes": [1e308] * 24}
    async with api.runtime.session.begin() as session:
        await session.execute(
            update(SiteRow).where(SiteRow.id == "site-1").values(pacing_json=json.dumps(bad))
        )
    await api.restart()
    r = await api.http.get("/v1/publishers/pub-1/sites/site-1/pacing", headers=bearer(pub))
    assert r.status_code == 200, r.text
    assert r.json()["dayDurationSeconds"] == 600
    assert r.json()["weekdayShapeVolumes"] is None
    r = await api.serve("site-1", "https://example.com/")
    assert r.json()["slots"][0]["outcome"] == "noCandidates"
    r = await api.http.get("/v1/publishers/pub-1/sites/site-2", headers=bearer(pub))
    assert r.status_code == 200


class _Clock:
    """The server's clock: serve-path time moves only when told."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


async def test_pacing_resumes_at_its_pace_after_a_restart(api: Harness) -> None:
    """No blackout and no burst: the share of requests served after a restart stays near
    the share served just before it."""
    clock = _Clock(time.time())
    api.now = clock.time
    api.runtime.serving.rng = random.Random(7)
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"dayDurationSeconds": 1000})
    # 10 requests a second for a 1000 s day; the budget buys about 1 in 10 of them.
    await api.campaign(adv, "adv-1", "cmp-1", dailyBudget=1, cpm=1)
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")

    async def traffic(seconds: int) -> int:
        selected = 0
        for _ in range(seconds * 10):
            clock.now += 0.1
            r = await api.serve("site-1", "https://example.com/")
            selected += r.json()["slots"][0]["outcome"] == "selected"
        return selected

    await traffic(150)
    before = await traffic(30)
    await api.restart()
    api.runtime.serving.rng = random.Random(8)
    after = await traffic(30)
    assert 10 <= before <= 60, before
    assert before / 2 <= after <= before * 2, (before, after)


async def test_a_restart_after_the_raw_rows_are_pruned_keeps_counts_and_spend(
    api: Harness,
) -> None:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    await api.campaign(adv, "adv-1", "cmp-1", dailyBudget=1, cpm=100)  # 10 impressions a day
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    for _ in range(7):
        slot = (await api.serve("site-1", "https://example.com/")).json()["slots"][0]
        await api.http.get(slot["impressionUrl"])
    await api.http.get(slot["clickUrl"])
    site_stats = "/v1/publishers/pub-1/sites/site-1/stats"
    before = (await api.http.get(site_stats, headers=bearer(pub))).json()
    assert api.runtime.db is not None
    assert await prune(api.runtime.db, math.inf) == 7 + 8  # every raw row goes

    await api.restart()

    after = (await api.http.get(site_stats, headers=bearer(pub))).json()
    for key in ("selected", "totalSpend", "impressions", "clicks", "creatives", "dayIndex"):
        assert after[key] == before[key], key
    r = await api.http.get("/v1/advertisers/adv-1/campaigns/cmp-1/stats", headers=bearer(adv))
    assert r.json()["spendToday"] == 0.7
    outcomes = [
        (await api.serve("site-1", "https://example.com/")).json()["slots"][0]["outcome"]
        for _ in range(4)
    ]
    assert outcomes == ["selected"] * 3 + ["budgetExhausted"]
