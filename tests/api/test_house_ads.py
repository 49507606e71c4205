"""House ads over HTTP: registered by the publisher, served when paid demand leaves a slot
empty, said so in the answer, counted apart, never charged."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from tests.api.harness import Harness, bearer

URL = "https://example.com/a"
HOUSE = "/v1/publishers/pub-1/sites/site-1/house-ads"
STATS = "/v1/publishers/pub-1/sites/site-1/stats"
AD = {
    "id": "h-1",
    "assetUrl": "https://example.com/house/subscribe.png",
    "landingUrl": "https://example.com/subscribe",
    "width": 300,
    "height": 250,
}


async def world(api: Harness) -> tuple[str, str]:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    return pub, adv


async def spec_validator(api: Harness, path: str, method: str) -> Any:
    spec = (await api.http.get("/openapi.json")).json()
    schema = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    return jsonschema_rs.validator_for({**schema["schema"], "components": spec["components"]})


async def test_a_house_ad_fills_an_empty_slot_and_its_beacons_never_charge(api: Harness) -> None:
    pub, _ = await world(api)
    r = await api.http.post(HOUSE, json=AD, headers=bearer(pub))
    assert r.status_code == 201 and r.json() == {
        **AD,
        "publisherId": "pub-1",
        "siteId": "site-1",
        "archived": False,
    }
    serve = await api.serve("site-1", URL, slots=[("top", 300, 250), ("side", 160, 600)])
    answer = serve.json()
    (await spec_validator(api, "/v1/serve", "post")).validate(answer)
    top, side = answer["slots"]
    assert top["outcome"] == "house" and top["paidOutcome"] == "noCandidates"
    assert top["priceCpm"] == 0 and top["creative"]["id"] == "h-1"
    assert side == {"id": "side", "outcome": "noCandidates"}  # no house ad of its size
    api.advance(2)  # as late as a viewer: a viewable second, then a click
    for _ in range(2):  # a replay is answered and counted once
        assert (await api.http.get(top["impressionUrl"])).status_code == 200
    api.advance(1)
    click = await api.http.get(top["clickUrl"])
    assert click.status_code == 302 and click.headers["location"] == AD["landingUrl"]
    stats = (await api.http.get(STATS, headers=bearer(pub))).json()
    (
        await spec_validator(api, "/v1/publishers/{publisherId}/sites/{siteId}/stats", "get")
    ).validate(stats)
    assert (stats["houseFills"], stats["houseImpressions"], stats["houseClicks"]) == (1, 1, 1)
    assert (stats["houseFillsToday"], stats["houseImpressionsToday"]) == (1, 1)
    # The seed's outcomes count paid demand: two slots without candidates, nothing sold.
    assert (stats["noCandidates"], stats["selected"], stats["totalSpend"]) == (2, 0, 0.0)
    assert (stats["impressions"], stats["revenueToday"], stats["today"]["served"]) == (0, 0.0, 0)
    await api.restart()
    again = (await api.serve("site-1", URL)).json()["slots"][0]
    assert again["outcome"] == "house"
    stats = (await api.http.get(STATS, headers=bearer(pub))).json()
    assert (stats["houseFills"], stats["houseImpressions"], stats["houseClicks"]) == (2, 1, 1)


async def test_paid_demand_comes_before_house_ads(api: Harness) -> None:
    pub, adv = await world(api)
    assert (await api.http.post(HOUSE, json=AD, headers=bearer(pub))).status_code == 201
    await api.campaign(adv, "adv-1", "cmp-1", dailyBudget="0.0025", cpm=2.5)  # one impression
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    first = (await api.serve("site-1", URL)).json()["slots"][0]
    assert first["outcome"] == "selected" and first["priceCpm"] == 2.5
    second = (await api.serve("site-1", URL)).json()["slots"][0]
    assert (second["outcome"], second["paidOutcome"]) == ("house", "budgetExhausted")


async def test_house_ads_are_listed_read_and_archived(api: Harness) -> None:
    pub, _ = await world(api)
    await api.http.post(HOUSE, json=AD, headers=bearer(pub))
    r = await api.http.post(
        HOUSE, json={**AD, "id": None, "width": 728, "height": 90}, headers=bearer(pub)
    )
    assert r.status_code == 201 and r.json()["id"].startswith("house-")
    assert len((await api.http.get(HOUSE, headers=bearer(pub))).json()) == 2
    assert (await api.http.delete(f"{HOUSE}/h-1", headers=bearer(pub))).status_code == 204
    assert [a["width"] for a in (await api.http.get(HOUSE, headers=bearer(pub))).json()] == [728]
    listed = (await api.http.get(f"{HOUSE}?include=archived", headers=bearer(pub))).json()
    assert len(listed) == 2
    assert (await api.http.get(f"{HOUSE}/h-1", headers=bearer(pub))).json()["archived"] is True
    assert (await api.serve("site-1", URL)).json()["slots"][0]["outcome"] == "noCandidates"
    await api.restart()
    assert (await api.serve("site-1", URL)).json()["slots"][0]["outcome"] == "noCandidates"
    assert len((await api.http.get(HOUSE, headers=bearer(pub))).json()) == 1


async def test_bad_house_ads_are_refused_naming_the_field_and_nothing_written(
    api: Harness,
) -> None:
    pub, adv = await world(api)
    for bad, field in (
        ({**AD, "assetUrl": "http://example.com/h.png"}, "assetUrl"),
        ({**AD, "landingUrl": "javascript:alert(1)"}, "landingUrl"),
        ({**AD, "width": 0}, "width"),
        ({**AD, "height": 5000}, "height"),
        ({**AD, "id": "no spaces"}, "id"),
        ({**AD, "price": 1}, "price"),
    ):
        r = await api.http.post(HOUSE, json=bad, headers=bearer(pub))
        assert r.status_code == 422 and r.json()["field"] == field, (bad, r.json())
    assert (await api.http.get(HOUSE, headers=bearer(pub))).json() == []
    assert (await api.http.post(HOUSE, json=AD, headers=bearer(pub))).status_code == 201
    assert (await api.http.post(HOUSE, json=AD, headers=bearer(pub))).status_code == 409
    # Another account's key reaches nothing; a missing site is 404.
    other = await api.publisher("pub-2")
    assert (await api.http.get(HOUSE, headers=bearer(other))).status_code == 404
    assert (await api.http.get(HOUSE, headers=bearer(adv))).status_code in (403, 404)
    missing = "/v1/publishers/pub-1/sites/nope/house-ads"
    assert (await api.http.post(missing, json=AD, headers=bearer(pub))).status_code == 404
    await api.http.delete("/v1/publishers/pub-1/sites/site-1", headers=bearer(pub))
    r = await api.http.post(HOUSE, json={**AD, "id": "h-2"}, headers=bearer(pub))
    assert r.status_code == 409 and r.json()["field"] == "siteId"


async def test_a_house_beacon_too_soon_after_its_serve_counts_for_nothing(api: Harness) -> None:
    pub, _ = await world(api)
    assert (await api.http.post(HOUSE, json=AD, headers=bearer(pub))).status_code == 201
    slot = (await api.serve("site-1", URL)).json()["slots"][0]
    assert slot["outcome"] == "house"
    assert (await api.http.get(slot["impressionUrl"])).status_code == 200  # under a second
    stats = (await api.http.get(STATS, headers=bearer(pub))).json()
    assert (stats["houseFills"], stats["houseImpressions"]) == (1, 0)
