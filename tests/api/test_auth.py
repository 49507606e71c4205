"""Each key reaches only its own objects; anyone else's are invisible."""

from __future__ import annotations

from tests.api.harness import ADMIN, Harness, bearer


async def _world(api: Harness) -> dict[str, str]:
    keys = {
        "pub-a": await api.publisher("pub-a"),
        "pub-b": await api.publisher("pub-b"),
        "adv-a": await api.advertiser("adv-a"),
        "adv-b": await api.advertiser("adv-b"),
    }
    await api.site(keys["pub-a"], "pub-a", "site-a", "a.example.com")
    await api.site(keys["pub-b"], "pub-b", "site-b", "b.example.com")
    await api.campaign(keys["adv-a"], "adv-a", "cmp-a")
    await api.campaign(keys["adv-b"], "adv-b", "cmp-b")
    await api.creative(keys["adv-a"], "adv-a", "cmp-a", "cr-a")
    await api.creative(keys["adv-b"], "adv-b", "cmp-b", "cr-b")
    return keys


def _publisher_paths(pid: str, sid: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/v1/publishers/{pid}"),
        ("GET", f"/v1/publishers/{pid}/sites"),
        ("GET", f"/v1/publishers/{pid}/sites/{sid}"),
        ("GET", f"/v1/publishers/{pid}/sites/{sid}/pacing"),
        ("GET", f"/v1/publishers/{pid}/sites/{sid}/approvals"),
        ("GET", f"/v1/publishers/{pid}/sites/{sid}/stats"),
        ("GET", f"/v1/publishers/{pid}/blocklist"),
        ("POST", f"/v1/publishers/{pid}/sites/{sid}/approvals/cr-a/approve"),
        ("GET", f"/test/site-stats/{sid}"),
    ]


def _advertiser_paths(aid: str, cid: str, crid: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/v1/advertisers/{aid}"),
        ("GET", f"/v1/advertisers/{aid}/campaigns"),
        ("GET", f"/v1/advertisers/{aid}/campaigns/{cid}"),
        ("GET", f"/v1/advertisers/{aid}/campaigns/{cid}/stats"),
        ("GET", f"/v1/advertisers/{aid}/campaigns/{cid}/creatives"),
        ("GET", f"/v1/advertisers/{aid}/campaigns/{cid}/creatives/{crid}"),
    ]


async def test_each_key_reaches_only_its_own_objects(api: Harness) -> None:
    keys = await _world(api)
    http = api.http
    for method, path in _publisher_paths("pub-a", "site-a"):
        own = await http.request(method, path, headers=bearer(keys["pub-a"]))
        assert own.status_code == 200, (path, own.text)
        admin = await http.request(method, path, headers=ADMIN)
        assert admin.status_code == 200, (path, admin.text)
        for other in ("pub-b", "adv-a", "adv-b"):
            r = await http.request(method, path, headers=bearer(keys[other]))
            assert r.status_code in (403, 404), (other, path)
            assert set(r.json()) == {"error", "message", "field"}
            assert "a.example.com" not in r.text
        r = await http.request(method, path)
        assert r.status_code == 401
    for method, path in _advertiser_paths("adv-a", "cmp-a", "cr-a"):
        own = await http.request(method, path, headers=bearer(keys["adv-a"]))
        assert own.status_code == 200, (path, own.text)
        for other in ("adv-b", "pub-a", "pub-b"):
            r = await http.request(method, path, headers=bearer(keys[other]))
            assert r.status_code in (403, 404), (other, path)
            assert "cdn.example.net" not in r.text
        assert (await http.request(method, path)).status_code == 401

    # A publisher cannot reach another's site through its own id either.
    r = await http.get("/v1/publishers/pub-a/sites/site-b", headers=bearer(keys["pub-a"]))
    assert r.status_code == 404
    # An advertiser cannot hang a creative on another's campaign.
    r = await http.post(
        "/v1/advertisers/adv-a/campaigns/cmp-b/creatives",
        json={
            "assetUrl": "https://cdn.example.net/x.png",
            "landingUrl": "https://x.example.org/",
            "width": 1,
            "height": 1,
        },
        headers=bearer(keys["adv-a"]),
    )
    assert r.status_code == 404
    r = await http.patch(
        "/v1/advertisers/adv-b/campaigns/cmp-b",
        json={"dailyBudget": 1},
        headers=bearer(keys["adv-a"]),
    )
    assert r.status_code == 404
    r = await http.get("/v1/advertisers/adv-b/campaigns/cmp-b", headers=bearer(keys["adv-b"]))
    assert r.json()["dailyBudget"] == 100.0


async def test_only_admin_creates_accounts_and_keys_are_hashed(api: Harness) -> None:
    keys = await _world(api)
    for key in (keys["pub-a"], keys["adv-a"]):
        for path in ("/v1/publishers", "/v1/advertisers"):
            r = await api.http.post(path, json={"name": "x"}, headers=bearer(key))
            assert r.status_code == 403
    r = await api.http.post("/v1/publishers", json={"name": "x"}, headers=bearer("nope"))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = await api.http.post("/v1/publishers", json={"name": "x"}, headers={"Authorization": "x"})
    assert r.status_code == 401
    # The key is shown once and never again.
    r = await api.http.get("/v1/publishers/pub-a", headers=ADMIN)
    assert "apiKey" not in r.json()
    # Only hashes are stored.
    from sqlalchemy import select

    from promovolve.store.models import PublisherRow

    async with api.runtime.session() as session:
        stored = list(await session.scalars(select(PublisherRow.api_key_hash)))
    assert keys["pub-a"] not in stored and len(stored) == 2
    assert all(len(h) == 64 for h in stored)


async def test_duplicate_ids_conflict(api: Harness) -> None:
    await api.publisher("pub-a")
    r = await api.http.post("/v1/publishers", json={"id": "pub-a", "name": "x"}, headers=ADMIN)
    assert r.status_code == 409 and r.json()["error"] == "conflict"


async def test_public_endpoints_need_no_key(api: Harness) -> None:
    r = await api.http.get("/healthz")
    assert r.status_code == 200
    r = await api.http.get("/metrics")
    assert r.status_code == 200 and "promovolve_http_requests" in r.text
    r = await api.http.get("/openapi.json")
    assert r.status_code == 200 and "/v1/serve" in r.json()["paths"]
