"""The README's matching rules and when spend is charged, through the HTTP API."""

from __future__ import annotations

from tests.api.harness import Harness, bearer

PAGE = "https://example.com/a"


async def _site(api: Harness) -> tuple[str, str]:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    return pub, adv


async def _outcome(
    api: Harness, categories: list[str] | None = None, keywords: list[str] | None = None
) -> str:
    r = await api.serve("site-1", PAGE, categories=categories or [], keywords=keywords or [])
    assert r.status_code == 200, r.text
    return str(r.json()["slots"][0]["outcome"])


async def test_targeting_needs_one_shared_category_or_keyword(api: Harness) -> None:
    pub, adv = await _site(api)
    await api.campaign(adv, "adv-1", "cmp-1", categories=["sports"], keywords=["running"])
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    assert await _outcome(api) == "noCandidates"  # the page says nothing
    assert await _outcome(api, categories=["news"], keywords=["cycling"]) == "noCandidates"
    assert await _outcome(api, categories=["sports"]) == "selected"
    assert await _outcome(api, keywords=["running"]) == "selected"


async def test_an_untargeted_campaign_runs_on_any_page(api: Harness) -> None:
    pub, adv = await _site(api)
    await api.campaign(adv, "adv-1", "cmp-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    assert await _outcome(api, categories=["anything"]) == "selected"


async def test_the_slot_size_must_match_exactly(api: Harness) -> None:
    pub, adv = await _site(api)
    await api.campaign(adv, "adv-1", "cmp-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-1", width=300, height=250)
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    for w, h in ((300, 251), (600, 500), (250, 300)):
        r = await api.serve("site-1", PAGE, [("top", w, h)])
        assert r.json()["slots"][0]["outcome"] == "noCandidates", (w, h)
    r = await api.serve("site-1", PAGE, [("top", 300, 250)])
    assert r.json()["slots"][0]["outcome"] == "selected"


async def test_nothing_runs_before_approval_nor_when_blocked(api: Harness) -> None:
    pub, adv = await _site(api)
    await api.campaign(adv, "adv-1", "cmp-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")  # lands on shop-adv-1.example.org
    assert await _outcome(api) == "noCandidates"  # pending
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    r = await api.http.put(
        "/v1/publishers/pub-1/blocklist", json={"domains": ["example.org"]}, headers=bearer(pub)
    )
    assert r.status_code == 200
    assert await _outcome(api) == "noCandidates"  # a parent domain is blocked
    r = await api.http.put(
        "/v1/publishers/pub-1/blocklist", json={"domains": []}, headers=bearer(pub)
    )
    assert r.status_code == 200
    assert await _outcome(api) == "selected"


async def test_spend_is_charged_when_the_ad_is_served_not_on_the_impression(
    api: Harness,
) -> None:
    pub, adv = await _site(api)
    await api.campaign(adv, "adv-1", "cmp-1", dailyBudget=1, cpm=500)  # $0.50 an ad
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    stats = "/v1/advertisers/adv-1/campaigns/cmp-1/stats"
    r = await api.serve("site-1", PAGE)
    assert r.json()["slots"][0]["outcome"] == "selected"
    # No beacon fired: the spend is there already.
    assert (await api.http.get(stats, headers=bearer(adv))).json()["spendToday"] == 0.5
    impression = r.json()["slots"][0]["impressionUrl"]
    assert (await api.http.get(impression)).status_code == 200
    # The impression moves no money.
    assert (await api.http.get(stats, headers=bearer(adv))).json()["spendToday"] == 0.5
    await api.serve("site-1", PAGE)
    assert await _outcome(api) == "budgetExhausted"  # two served ads spent the $1
