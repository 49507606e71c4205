"""Campaign flights over HTTP: UTC start and end, validated, stored, served within."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.harness import Harness, bearer

CAMPAIGNS = "/v1/advertisers/adv-1/campaigns"
START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2026, 12, 8, tzinfo=UTC)


async def test_a_campaign_serves_within_its_flight_only(api: Harness) -> None:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})
    created = await api.campaign(
        adv, "adv-1", "cmp-1", flightStart=START.isoformat(), flightEnd="2026-12-08T09:00:00+09:00"
    )
    assert created["flightStart"] == "2026-12-01T00:00:00+00:00"
    assert created["flightEnd"] == "2026-12-08T00:00:00+00:00"  # kept in UTC
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    outcomes = []
    for when in (START.timestamp() - 60, START.timestamp() + 60, END.timestamp()):
        api.now = lambda when=when: when  # type: ignore[misc]
        r = await api.serve("site-1", "https://example.com/a")
        outcomes.append(r.json()["slots"][0]["outcome"])
    assert outcomes == ["noCandidates", "selected", "noCandidates"]
    await api.restart()
    r = await api.http.get(f"{CAMPAIGNS}/cmp-1", headers=bearer(adv))
    assert r.json()["flightEnd"] == "2026-12-08T00:00:00+00:00"


async def test_a_flight_that_ends_before_it_starts_is_refused_and_nothing_written(
    api: Harness,
) -> None:
    adv = await api.advertiser("adv-1")
    body = {"id": "c", "name": "c", "dailyBudget": 1, "cpm": 1}
    bad = {**body, "flightStart": END.isoformat(), "flightEnd": START.isoformat()}
    r = await api.http.post(CAMPAIGNS, json=bad, headers=bearer(adv))
    assert r.status_code == 422 and r.json()["field"] == "flightEnd"
    assert (await api.http.get(CAMPAIGNS, headers=bearer(adv))).json() == []
    naive = {**body, "flightStart": "2026-12-01T00:00:00"}
    r = await api.http.post(CAMPAIGNS, json=naive, headers=bearer(adv))
    assert r.status_code == 422 and "flightStart" in r.text
    ok = {**body, "flightStart": START.isoformat(), "flightEnd": END.isoformat()}
    assert (await api.http.post(CAMPAIGNS, json=ok, headers=bearer(adv))).status_code == 201
    r = await api.http.patch(
        f"{CAMPAIGNS}/c", json={"flightEnd": "2026-11-30T00:00:00Z"}, headers=bearer(adv)
    )
    assert r.status_code == 422 and r.json()["field"] == "flightEnd"
    r = await api.http.get(f"{CAMPAIGNS}/c", headers=bearer(adv))
    assert r.json()["flightEnd"] == "2026-12-08T00:00:00+00:00"
