"""Archive (mark, don't delete), key rotation and account deactivation, through the API."""

from __future__ import annotations

from typing import Any

from tests.api.harness import ADMIN, Harness, bearer

PAGE = "https://example.com/a"


async def _world(api: Harness) -> dict[str, str]:
    """pub-1 with site-1 (never throttled), adv-1 with cmp-1 and its approved cr-1."""
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    await api.campaign(adv, "adv-1", "cmp-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    return {"pub": pub, "adv": adv}


async def _outcome(api: Harness) -> str:
    r = await api.serve("site-1", PAGE)
    assert r.status_code == 200, r.text
    return str(r.json()["slots"][0]["outcome"])


async def _ids(api: Harness, path: str, key: str) -> list[str]:
    r = await api.http.get(path, headers=bearer(key))
    assert r.status_code == 200, r.text
    return [str(item["id"]) for item in r.json()]


async def _get(api: Harness, path: str, key: str) -> Any:
    r = await api.http.get(path, headers=bearer(key))
    assert r.status_code == 200, r.text
    return r.json()


async def test_an_archived_site_gets_no_ads_and_keeps_its_history(api: Harness) -> None:
    keys = await _world(api)
    pub = keys["pub"]
    assert await _outcome(api) == "selected"
    await api.site(pub, "pub-1", "site-2", "example.org")
    r = await api.http.delete("/v1/publishers/pub-1/sites/site-1", headers=bearer(pub))
    assert r.status_code == 204 and r.content == b""
    for _ in range(2):  # archiving is kept across a restart
        r = await api.serve("site-1", PAGE)
        assert r.status_code == 404 and r.json()["field"] == "siteId"
        sites = "/v1/publishers/pub-1/sites"
        assert await _ids(api, sites, pub) == ["site-2"]
        assert await _ids(api, sites + "?include=archived", pub) == ["site-1", "site-2"]
        site = await _get(api, sites + "/site-1", pub)
        assert site["archived"] is True
        stats = await _get(api, sites + "/site-1/stats", pub)
        assert stats["outcomes"]["selected"] == 1
        seed_stats = await _get(api, "/test/site-stats/site-1", pub)
        assert seed_stats["selected"] == 1
        await api.restart()
    r = await api.http.patch(
        "/v1/publishers/pub-1/sites/site-1", json={"name": "again"}, headers=bearer(pub)
    )
    assert r.status_code == 409 and r.json()["field"] == "siteId"
    r = await api.http.delete("/v1/publishers/pub-1/sites/site-1", headers=bearer(pub))
    assert r.status_code == 204  # archiving twice is archiving once


async def test_an_archived_campaign_stops_serving_and_keeps_its_spend(api: Harness) -> None:
    keys = await _world(api)
    adv = keys["adv"]
    assert await _outcome(api) == "selected"
    path = "/v1/advertisers/adv-1/campaigns"
    spent = (await _get(api, f"{path}/cmp-1/stats", adv))["spendToday"]
    assert spent > 0
    r = await api.http.delete(f"{path}/cmp-1", headers=bearer(adv))
    assert r.status_code == 204
    for _ in range(2):
        assert await _outcome(api) == "noCandidates"
        assert await _ids(api, path, adv) == []
        assert await _ids(api, path + "?include=archived", adv) == ["cmp-1"]
        assert (await _get(api, f"{path}/cmp-1", adv))["archived"] is True
        assert (await _get(api, f"{path}/cmp-1/stats", adv))["spendToday"] == spent
        await api.restart()
    r = await api.http.patch(f"{path}/cmp-1", json={"status": "active"}, headers=bearer(adv))
    assert r.status_code == 409
    r = await api.http.post(
        f"{path}/cmp-1/creatives",
        json={
            "assetUrl": "https://cdn.example.net/x.png",
            "landingUrl": "https://shop.example.org/",
            "width": 300,
            "height": 250,
        },
        headers=bearer(adv),
    )
    assert r.status_code == 409 and r.json()["field"] == "campaignId"


async def test_an_archived_creative_stops_serving_and_leaves_the_lists(api: Harness) -> None:
    keys = await _world(api)
    adv, pub = keys["adv"], keys["pub"]
    assert await _outcome(api) == "selected"
    path = "/v1/advertisers/adv-1/campaigns/cmp-1/creatives"
    r = await api.http.delete(f"{path}/cr-1", headers=bearer(adv))
    assert r.status_code == 204
    approvals = "/v1/publishers/pub-1/sites/site-1/approvals"
    for _ in range(2):
        assert await _outcome(api) == "noCandidates"
        assert await _ids(api, path, adv) == []
        assert await _ids(api, path + "?include=archived", adv) == ["cr-1"]
        assert (await _get(api, approvals, pub)) == []
        stats = await _get(api, "/v1/publishers/pub-1/sites/site-1/stats", pub)
        assert stats["outcomes"]["selected"] == 1
        await api.restart()
    r = await api.http.post(f"{approvals}/cr-1/approve", headers=bearer(pub))
    assert r.status_code == 409


async def test_listing_refuses_an_unknown_include(api: Harness) -> None:
    keys = await _world(api)
    r = await api.http.get(
        "/v1/publishers/pub-1/sites?include=deleted", headers=bearer(keys["pub"])
    )
    assert r.status_code == 422 and r.json()["field"] == "include"


async def test_rotating_a_key_answers_the_new_one_and_the_old_one_stops(api: Harness) -> None:
    keys = await _world(api)
    old_pub, old_adv = keys["pub"], keys["adv"]
    # The account itself rotates its key...
    r = await api.http.post("/v1/publishers/pub-1/rotate-key", headers=bearer(old_pub))
    assert r.status_code == 200, r.text
    new_pub = r.json()["apiKey"]
    assert new_pub != old_pub and r.json()["id"] == "pub-1"
    # ...or the admin does.
    r = await api.http.post("/v1/advertisers/adv-1/rotate-key", headers=ADMIN)
    assert r.status_code == 200, r.text
    new_adv = r.json()["apiKey"]
    for _ in range(2):
        assert (
            await api.http.get("/v1/publishers/pub-1", headers=bearer(old_pub))
        ).status_code == 401
        assert (
            await api.http.get("/v1/advertisers/adv-1", headers=bearer(old_adv))
        ).status_code == 401
        r = await api.http.get("/v1/publishers/pub-1", headers=bearer(new_pub))
        assert r.status_code == 200 and "apiKey" not in r.json()
        assert (
            await api.http.get("/v1/advertisers/adv-1", headers=bearer(new_adv))
        ).status_code == 200
        await api.restart()


async def test_only_the_admin_or_the_account_rotates_its_key(api: Harness) -> None:
    keys = await _world(api)
    other = await api.publisher("pub-2")
    for key, path in (
        (other, "/v1/publishers/pub-1/rotate-key"),
        (keys["adv"], "/v1/publishers/pub-1/rotate-key"),
        (keys["pub"], "/v1/advertisers/adv-1/rotate-key"),
    ):
        r = await api.http.post(path, headers=bearer(key))
        assert r.status_code == 404, (path, r.text)
    # Nothing changed: the keys still work.
    assert (
        await api.http.get("/v1/publishers/pub-1", headers=bearer(keys["pub"]))
    ).status_code == 200
    assert (
        await api.http.get("/v1/advertisers/adv-1", headers=bearer(keys["adv"]))
    ).status_code == 200


async def test_a_deactivated_advertiser_is_locked_out_and_stops_serving(api: Harness) -> None:
    keys = await _world(api)
    adv = keys["adv"]
    assert await _outcome(api) == "selected"
    r = await api.http.post("/v1/advertisers/adv-1/deactivate", headers=bearer(adv))
    assert r.status_code == 403  # the admin's call, not the account's
    r = await api.http.post("/v1/advertisers/adv-1/deactivate", headers=ADMIN)
    assert r.status_code == 200 and r.json()["active"] is False
    for _ in range(2):
        assert (await api.http.get("/v1/advertisers/adv-1", headers=bearer(adv))).status_code == 401
        assert await _outcome(api) == "noCandidates"
        assert (await _get(api, "/v1/advertisers/adv-1", "test-admin-key"))["active"] is False
        await api.restart()
    r = await api.http.post("/v1/advertisers/adv-1/reactivate", headers=ADMIN)
    assert r.status_code == 200 and r.json()["active"] is True
    assert (await api.http.get("/v1/advertisers/adv-1", headers=bearer(adv))).status_code == 200
    assert await _outcome(api) == "selected"


async def test_a_deactivated_publisher_is_locked_out_and_its_sites_get_no_ads(
    api: Harness,
) -> None:
    keys = await _world(api)
    pub = keys["pub"]
    r = await api.http.post("/v1/publishers/pub-1/deactivate", headers=ADMIN)
    assert r.status_code == 200 and r.json()["active"] is False
    for _ in range(2):
        assert (await api.http.get("/v1/publishers/pub-1", headers=bearer(pub))).status_code == 401
        r = await api.serve("site-1", PAGE)
        assert r.status_code == 403 and r.json()["field"] == "siteId"
        await api.restart()
    r = await api.http.post("/v1/publishers/pub-1/reactivate", headers=ADMIN)
    assert r.status_code == 200 and r.json()["active"] is True
    assert (await api.http.get("/v1/publishers/pub-1", headers=bearer(pub))).status_code == 200
    assert await _outcome(api) == "selected"


async def test_only_the_owner_archives_and_only_the_admin_deactivates(api: Harness) -> None:
    keys = await _world(api)
    other_pub = await api.publisher("pub-2")
    other_adv = await api.advertiser("adv-2")
    campaign = "/v1/advertisers/adv-1/campaigns/cmp-1"
    for key, path in (
        (other_pub, "/v1/publishers/pub-1/sites/site-1"),
        (keys["adv"], "/v1/publishers/pub-1/sites/site-1"),
        (other_adv, campaign),
        (other_adv, campaign + "/creatives/cr-1"),
        (keys["pub"], campaign),
    ):
        r = await api.http.delete(path, headers=bearer(key))
        assert r.status_code == 404, (path, r.text)
    for key in (keys["pub"], other_pub, keys["adv"]):
        for action in ("deactivate", "reactivate"):
            r = await api.http.post(f"/v1/publishers/pub-1/{action}", headers=bearer(key))
            assert r.status_code == 403, (action, r.text)
    assert await _outcome(api) == "selected"  # nothing was archived or deactivated
