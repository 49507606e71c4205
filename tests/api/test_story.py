"""The seed's story end to end, over HTTP only."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.api.harness import ADMIN, SEED_PACING_BODY, Harness, bearer

SEED_STATS_FIELDS = {
    "siteId",
    "selected",
    "pacingSkipped",
    "budgetExhausted",
    "noCandidates",
    "totalSpend",
    "elapsedHours",
    "expectedSpendFraction",
}


async def test_seed_story(api: Harness) -> None:
    http = api.http
    # Accounts (admin), each key returned once.
    r = await http.post("/v1/publishers", json={"id": "pub-1", "name": "News"}, headers=ADMIN)
    assert r.status_code == 201
    pub = r.json()
    assert pub["id"] == "pub-1" and pub["name"] == "News" and pub["apiKey"]
    pub_key = pub["apiKey"]
    r = await http.get("/v1/publishers/pub-1", headers=bearer(pub_key))
    assert r.json() == {"id": "pub-1", "name": "News", "active": True}
    r = await http.post("/v1/advertisers", json={"name": "Shoes Inc"}, headers=ADMIN)
    assert r.status_code == 201
    adv_id, adv_key = r.json()["id"], r.json()["apiKey"]

    # The site and the seed's pacing config, sent exactly as the seed's curl does.
    r = await http.post(
        "/v1/publishers/pub-1/sites",
        json={"id": "site-123", "domain": "news.example.com", "name": "News"},
        headers=bearer(pub_key),
    )
    assert r.status_code == 201, r.text
    assert r.json()["domain"] == "news.example.com"
    r = await http.put(
        "/v1/publishers/pub-1/sites/site-123/pacing",
        content=SEED_PACING_BODY,
        headers={"Content-Type": "application/json", **bearer(pub_key)},
    )
    assert r.status_code == 200, r.text
    assert r.json()["dayDurationSeconds"] == 600
    r = await http.get("/v1/publishers/pub-1/sites/site-123/pacing", headers=bearer(pub_key))
    assert r.json()["weekdayShapeVolumes"][22] == 5.0
    assert r.json()["warmupMode"] is False and r.json()["testThrottleOverride"] is None

    # Campaign and creative (asset registered by its CDN URL).
    r = await http.post(
        f"/v1/advertisers/{adv_id}/campaigns",
        json={
            "id": "cmp-1",
            "name": "Spring",
            "dailyBudget": "30.00",
            "cpm": 2.5,
            "categories": ["sports"],
            "keywords": ["running"],
            "status": "active",
        },
        headers=bearer(adv_key),
    )
    assert r.status_code == 201, r.text
    assert r.json()["dailyBudget"] == 30.0 and r.json()["cpm"] == 2.5
    r = await http.post(
        f"/v1/advertisers/{adv_id}/campaigns/cmp-1/creatives",
        json={
            "id": "cr-1",
            "assetUrl": "https://cdn.example.net/cr-1.png",
            "landingUrl": "https://shoes.example.org/spring",
            "width": 300,
            "height": 250,
        },
        headers=bearer(adv_key),
    )
    assert r.status_code == 201, r.text

    page = "https://news.example.com/2024/marathon"
    serve_body = {
        "siteId": "site-123",
        "url": page,
        "slots": [{"id": "top", "width": 300, "height": 250}],
        "categories": ["sports"],
    }
    # Before approval: no ad, and the creative waits in the publisher's queue.
    r = await http.post("/v1/serve", json=serve_body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert len(answer["requestId"]) == 32
    assert answer["slots"] == [{"id": "top", "outcome": "noCandidates"}]
    r = await http.get(
        "/v1/publishers/pub-1/sites/site-123/approvals?status=pending", headers=bearer(pub_key)
    )
    assert r.status_code == 200
    (item,) = r.json()
    assert item["creativeId"] == "cr-1" and item["campaignId"] == "cmp-1"
    assert item["advertiserId"] == adv_id and item["landingDomain"] == "shoes.example.org"
    assert item["assetUrl"] == "https://cdn.example.net/cr-1.png" and item["cpm"] == 2.5
    assert item["status"] == "pending"

    # Approve; force the gate open so the test does not depend on pacing.
    r = await http.post(
        "/v1/publishers/pub-1/sites/site-123/approvals/cr-1/approve", headers=bearer(pub_key)
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    r = await http.get(
        "/v1/publishers/pub-1/sites/site-123/approvals?status=pending", headers=bearer(pub_key)
    )
    assert r.json() == []
    seed_with_override = {**json.loads(SEED_PACING_BODY), "testThrottleOverride": 0.0}
    await api.pacing(pub_key, "pub-1", "site-123", seed_with_override)

    r = await http.post("/v1/serve", json=serve_body)
    assert r.status_code == 200, r.text
    answer = r.json()
    (slot,) = answer["slots"]
    assert slot["outcome"] == "selected"
    assert slot["creative"] == {
        "id": "cr-1",
        "campaignId": "cmp-1",
        "advertiserId": adv_id,
        "assetUrl": "https://cdn.example.net/cr-1.png",
        "landingUrl": "https://shoes.example.org/spring",
        "width": 300,
        "height": 250,
    }
    assert slot["priceCpm"] == 2.5
    imp, click = slot["impressionUrl"], slot["clickUrl"]
    assert imp.startswith("http://testserver/v1/imp?") and "sig=" in imp
    assert click.startswith("http://testserver/v1/click?") and "sig=" in click

    # Beacons: counted once however often they arrive; a tampered one is refused.
    api.advance(1.5)  # viewable: a second on screen at least
    for _ in range(3):
        r = await http.get(imp)
        assert r.status_code == 200 and r.headers["content-type"] == "image/gif"
    params = dict(parse_qsl(urlsplit(imp).query))
    tampered = urlencode({**params, "price": "1"})
    r = await http.get(f"/v1/imp?{tampered}")
    assert r.status_code == 403 and r.json()["error"] == "bad_signature"
    r = await http.get(imp.replace("/v1/imp", "/v1/click"))
    assert r.status_code == 403
    api.advance(0.5)
    for _ in range(2):
        r = await http.get(click)
        assert r.status_code == 302
        assert r.headers["location"] == "https://shoes.example.org/spring"

    r = await http.get("/v1/publishers/pub-1/sites/site-123/stats", headers=bearer(pub_key))
    rich = r.json()
    assert rich["impressions"] == 1 and rich["clicks"] == 1
    assert rich["creatives"] == [{"creativeId": "cr-1", "impressions": 1, "clicks": 1}]

    # The seed's site stats: exactly its fields (and the approval queue), with the numbers of
    # this story.
    r = await http.get("/test/site-stats/site-123", headers=bearer(pub_key))
    assert r.status_code == 200
    stats = r.json()
    assert set(stats) == SEED_STATS_FIELDS | {"pendingApproval"}
    assert stats["pendingApproval"] == 0
    assert stats["siteId"] == "site-123"
    assert stats["selected"] == 1
    assert stats["noCandidates"] == 1
    assert stats["pacingSkipped"] == 0 and stats["budgetExhausted"] == 0
    assert stats["totalSpend"] == 0.0025
    assert 0 <= stats["expectedSpendFraction"] <= 1
    r = await http.get("/test/site-stats/site-123", headers=ADMIN)
    assert r.json()["selected"] == 1

    r = await http.get(f"/v1/advertisers/{adv_id}/campaigns/cmp-1/stats", headers=bearer(adv_key))
    campaign = r.json()
    assert campaign["spendToday"] == 0.0025 and campaign["dailyBudget"] == 30.0
    assert campaign["impressions"] == 1 and campaign["clicks"] == 1
    assert campaign["dayDurationSeconds"] == 600


async def test_serve_refuses_foreign_pages_and_unknown_sites(api: Harness) -> None:
    key = await api.publisher("pub-1")
    await api.site(key, "pub-1", "site-1", "example.com")
    ok = await api.serve("site-1", "https://www.example.com/a")
    assert ok.status_code == 200
    r = await api.serve("site-1", "https://evil.test/a")
    assert r.status_code == 403 and r.json()["field"] == "url"
    r = await api.serve("site-1", "https://notexample.com/a")
    assert r.status_code == 403
    r = await api.serve("nope", "https://example.com/")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


async def test_one_campaign_at_most_once_per_page(api: Harness) -> None:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    await api.campaign(adv, "adv-1", "cmp-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-2")
    for crid in ("cr-1", "cr-2"):
        await api.approve(pub, "pub-1", "site-1", crid)
    r = await api.serve("site-1", "https://example.com/", [("a", 300, 250), ("b", 300, 250)])
    outcomes = [s["outcome"] for s in r.json()["slots"]]
    assert outcomes == ["selected", "noCandidates"]


async def test_blocklist_and_revoke_stop_serving(api: Harness) -> None:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    await api.campaign(adv, "adv-1", "cmp-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    assert (await api.serve("site-1", "https://example.com/")).json()["slots"][0][
        "outcome"
    ] == "selected"

    r = await api.http.post(
        "/v1/publishers/pub-1/blocklist",
        json={"domains": ["Example.ORG"]},
        headers=bearer(pub),
    )
    assert r.status_code == 200 and r.json()["size"] == 1  # writes answer no list
    got = await api.http.get("/v1/publishers/pub-1/blocklist", headers=bearer(pub))
    assert got.json()["domains"] == ["example.org"]
    assert (await api.serve("site-1", "https://example.com/")).json()["slots"][0][
        "outcome"
    ] == "noCandidates"
    r = await api.http.delete("/v1/publishers/pub-1/blocklist/example.org", headers=bearer(pub))
    assert r.json()["size"] == 0 and r.json()["changed"] == 1
    assert (await api.serve("site-1", "https://example.com/")).json()["slots"][0][
        "outcome"
    ] == "selected"

    r = await api.http.post(
        "/v1/publishers/pub-1/sites/site-1/approvals/cr-1/revoke", headers=bearer(pub)
    )
    assert r.json()["status"] == "pending"
    assert (await api.serve("site-1", "https://example.com/")).json()["slots"][0][
        "outcome"
    ] == "noCandidates"
    r = await api.http.get(
        "/v1/publishers/pub-1/sites/site-1/approvals?status=pending", headers=bearer(pub)
    )
    assert [a["creativeId"] for a in r.json()] == ["cr-1"]

    r = await api.http.patch(
        "/v1/advertisers/adv-1/campaigns/cmp-1", json={"status": "paused"}, headers=bearer(adv)
    )
    assert r.status_code == 200 and r.json()["status"] == "paused"
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    assert (await api.serve("site-1", "https://example.com/")).json()["slots"][0][
        "outcome"
    ] == "noCandidates"
