"""Lifetime budgets over HTTP: validated, stored, and spread over the flight's days left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.harness import Harness, bearer

CAMPAIGNS = "/v1/advertisers/adv-1/campaigns"
START = datetime(2026, 12, 1, tzinfo=UTC)
END = START + timedelta(days=3)
BODY = {"id": "c", "name": "c", "dailyBudget": 1, "cpm": 1}


async def selected_on(api: Harness, day: int, requests: int) -> int:
    """Serves `requests` pages on day `day` of the flight; how many were sold (each one's
    impression is viewed, so settlement gives nothing back)."""
    sold = 0
    for i in range(requests):
        when = (START + timedelta(days=day, hours=1)).timestamp() + i
        api.now = lambda when=when: when  # type: ignore[misc]
        slot = (await api.serve("site-1", "https://example.com/a")).json()["slots"][0]
        if slot["outcome"] == "selected":
            sold += 1
            assert (await api.http.get(slot["impressionUrl"])).status_code == 200
    return sold


async def test_a_lifetime_budget_is_spread_over_the_flight_and_survives_a_restart(
    api: Harness,
) -> None:
    api.now = lambda: START.timestamp()
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    # 30 impressions at $0.001 over 3 days: 10 a day, though the daily budget buys 1,000.
    created = await api.campaign(
        adv,
        "adv-1",
        "c",
        dailyBudget=1,
        cpm=1,
        lifetimeBudget="0.03",
        flightStart=START.isoformat(),
        flightEnd=END.isoformat(),
    )
    assert created["lifetimeBudget"] == 0.03
    await api.creative(adv, "adv-1", "c", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    assert await selected_on(api, 0, 4) == 4  # 6 of today's 10 left unspent
    await api.restart()
    # 26 left over the 2 days left: 13 today; the restart read the lifetime spend back.
    assert await selected_on(api, 1, 20) == 13
    stats = (await api.http.get(f"{CAMPAIGNS}/c/stats", headers=bearer(adv))).json()
    assert (stats["dailyBudget"], stats["todayBudget"], stats["lifetimeBudget"]) == (1, 0.013, 0.03)
    assert (stats["spendToday"], stats["remainingToday"], stats["lifetimeSpend"]) == (
        0.013,
        0.0,
        0.017,
    )
    assert await selected_on(api, 2, 20) == 13
    assert await selected_on(api, 3, 5) == 0  # the flight is over
    r = await api.http.get(f"{CAMPAIGNS}/c", headers=bearer(adv))
    assert r.json()["lifetimeBudget"] == 0.03


async def test_a_bad_lifetime_budget_is_refused_naming_it_and_nothing_written(
    api: Harness,
) -> None:
    adv = await api.advertiser("adv-1")
    for bad in (
        {**BODY, "lifetimeBudget": 10},  # no flight end to spread it over
        {**BODY, "lifetimeBudget": 0, "flightEnd": END.isoformat()},
        {**BODY, "lifetimeBudget": -5, "flightEnd": END.isoformat()},
        {**BODY, "lifetimeBudget": "lots", "flightEnd": END.isoformat()},
    ):
        r = await api.http.post(CAMPAIGNS, json=bad, headers=bearer(adv))
        assert r.status_code == 422, bad
        assert r.json()["field"] == "lifetimeBudget", r.json()
    assert (await api.http.get(CAMPAIGNS, headers=bearer(adv))).json() == []
    assert (await api.http.post(CAMPAIGNS, json=BODY, headers=bearer(adv))).status_code == 201
    r = await api.http.patch(f"{CAMPAIGNS}/c", json={"lifetimeBudget": 10}, headers=bearer(adv))
    assert r.status_code == 422 and r.json()["field"] == "lifetimeBudget"
    r = await api.http.get(f"{CAMPAIGNS}/c", headers=bearer(adv))
    assert r.json()["lifetimeBudget"] is None
    both = {"lifetimeBudget": 10, "flightEnd": END.isoformat()}
    r = await api.http.patch(f"{CAMPAIGNS}/c", json=both, headers=bearer(adv))
    assert r.status_code == 200 and r.json()["lifetimeBudget"] == 10
