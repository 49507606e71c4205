"""A campaign's delivery mode over HTTP: set, changed, kept, validated."""

from __future__ import annotations

from tests.api.harness import Harness, bearer

CAMPAIGN = "/v1/advertisers/adv-1/campaigns/cmp-1"


async def test_delivery_mode_is_even_by_default_and_can_be_asap(api: Harness) -> None:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    # A gate that holds every paced campaign back.
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 1.0})
    created = await api.campaign(adv, "adv-1", "cmp-1")
    assert created["deliveryMode"] == "even"
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    slot = (await api.serve("site-1", "https://example.com/a")).json()["slots"][0]
    assert slot["outcome"] == "pacingSkipped"
    r = await api.http.patch(CAMPAIGN, json={"deliveryMode": "asap"}, headers=bearer(adv))
    assert r.status_code == 200 and r.json()["deliveryMode"] == "asap"
    slot = (await api.serve("site-1", "https://example.com/a")).json()["slots"][0]
    assert slot["outcome"] == "selected"
    await api.restart()
    r = await api.http.get(CAMPAIGN, headers=bearer(adv))
    assert r.json()["deliveryMode"] == "asap"


async def test_an_unknown_delivery_mode_names_the_field_and_changes_nothing(api: Harness) -> None:
    key = await api.advertiser("adv-3")
    r = await api.http.post(
        "/v1/advertisers/adv-3/campaigns",
        json={"id": "c", "name": "c", "dailyBudget": 1, "cpm": 1, "deliveryMode": "fast"},
        headers=bearer(key),
    )
    assert r.status_code == 422 and "deliveryMode" in r.text
    r = await api.http.get("/v1/advertisers/adv-3/campaigns", headers=bearer(key))
    assert r.json() == []
