"""A clean restart brings back spend, approvals, Thompson statistics and learned state."""

from __future__ import annotations

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
            await api.http.get(slot["impressionUrl"])
    await api.http.get(slot["clickUrl"])
    assert outcomes == ["selected"] * 6
    before = (
        await api.http.get("/v1/publishers/pub-1/sites/site-1/stats", headers=bearer(pub))
    ).json()

    await api.restart()

    after = (
        await api.http.get("/v1/publishers/pub-1/sites/site-1/stats", headers=bearer(pub))
    ).json()
    for key in (
        "selected",
        "noCandidates",
        "totalSpend",
        "impressions",
        "clicks",
        "creatives",
        "learnedShape",
        "dayIndex",
        "campaigns",
    ):
        assert after[key] == before[key], key
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
