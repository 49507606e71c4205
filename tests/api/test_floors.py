"""Site floors over HTTP: set by PATCH, kept across a restart, priced and counted at serve."""

from __future__ import annotations

from tests.api.harness import Harness, bearer

SITE = "/v1/publishers/pub-1/sites/site-1"


async def _setup(api: Harness) -> tuple[str, str]:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    for cid, cpm in (("cheap", 0.5), ("dear", 2.5)):
        await api.campaign(adv, "adv-1", cid, cpm=cpm)
        await api.creative(adv, "adv-1", cid, f"cr-{cid}")
        await api.approve(pub, "pub-1", "site-1", f"cr-{cid}")
    return pub, adv


async def test_a_floor_keeps_lower_bids_out_and_a_sole_bidder_pays_it(api: Harness) -> None:
    pub, _ = await _setup(api)
    r = await api.http.patch(SITE, json={"floorCpm": 1.25}, headers=bearer(pub))
    assert r.status_code == 200, r.text
    assert r.json()["floorCpm"] == 1.25 and r.json()["categoryFloors"] == {}
    for _ in range(5):
        slot = (await api.serve("site-1", "https://example.com/a")).json()["slots"][0]
        assert slot["outcome"] == "selected"
        assert slot["creative"]["campaignId"] == "dear"
        assert slot["priceCpm"] == 1.25  # the only bid over the floor pays the floor
    stats = (await api.http.get(f"{SITE}/stats", headers=bearer(pub))).json()
    assert stats["belowFloor"] == 5
    assert stats["revenueToday"] == 5 * 0.00125


async def test_category_floors_apply_to_pages_of_the_category_and_survive_a_restart(
    api: Harness,
) -> None:
    pub, _ = await _setup(api)
    r = await api.http.patch(SITE, json={"categoryFloors": {"Autos": 3}}, headers=bearer(pub))
    assert r.status_code == 422  # above every bid
    r = await api.http.patch(SITE, json={"categoryFloors": {"Autos": 2}}, headers=bearer(pub))
    assert r.status_code == 200, r.text
    await api.restart()
    site = (await api.http.get(SITE, headers=bearer(pub))).json()
    assert site["categoryFloors"] == {"autos": 2.0} and site["floorCpm"] == 0.0
    autos = (await api.serve("site-1", "https://example.com/a", categories=["autos"])).json()
    assert autos["slots"][0]["creative"]["campaignId"] == "dear"
    assert autos["slots"][0]["priceCpm"] == 2.0


async def test_a_floor_above_every_bid_is_refused_and_nothing_is_written(api: Harness) -> None:
    pub, _ = await _setup(api)
    for body, field in (
        ({"floorCpm": 2.51, "name": "renamed"}, "floorCpm"),
        ({"categoryFloors": {"news": 9}}, "categoryFloors"),
    ):
        r = await api.http.patch(SITE, json=body, headers=bearer(pub))
        assert r.status_code == 422, r.text
        assert field in r.text
    site = (await api.http.get(SITE, headers=bearer(pub))).json()
    assert site["floorCpm"] == 0.0 and site["categoryFloors"] == {} and site["name"] != "renamed"


async def test_a_negative_or_malformed_floor_names_the_field(api: Harness) -> None:
    pub, _ = await _setup(api)
    for body in ({"floorCpm": -1}, {"floorCpm": "lots"}, {"categoryFloors": {"news": -2}}):
        r = await api.http.patch(SITE, json=body, headers=bearer(pub))
        assert r.status_code == 422, r.text
        assert next(iter(body)) in r.text
