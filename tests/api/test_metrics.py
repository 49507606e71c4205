"""`/metrics`: each request is labelled by the route it matched (serve and beacons included)."""

from __future__ import annotations

from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

from tests.api.harness import Harness


async def _samples(api: Harness) -> dict[tuple[str, str, str, str], float]:
    """(sample name, route, method, status) -> value, for the HTTP request metrics."""
    r = await api.http.get("/metrics")
    assert r.status_code == 200
    out: dict[tuple[str, str, str, str], float] = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            if "route" in s.labels:
                key = (
                    s.name,
                    s.labels["route"],
                    s.labels.get("method", ""),
                    s.labels.get("status", ""),
                )
                out[key] = s.value
    return out


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_serve_and_beacons_are_labelled_by_their_route(api: Harness) -> None:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.campaign(adv, "adv-1", "cmp-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    await api.pacing(pub, "pub-1", "site-1", {"testThrottleOverride": 0.0})

    served = await api.serve("site-1", "https://example.com/a")
    slot = served.json()["slots"][0]
    assert slot["outcome"] == "selected"
    assert (await api.http.get(_path_and_query(slot["impressionUrl"]))).status_code == 200
    assert (await api.http.get(_path_and_query(slot["clickUrl"]))).status_code == 302
    no_slots = {"siteId": "site-1", "url": "https://example.com/a", "slots": []}
    assert (await api.http.post("/v1/serve", json=no_slots)).status_code == 422
    assert (await api.http.get("/v1/imp")).status_code == 403
    assert (await api.http.get("/no/such/path")).status_code == 404

    samples = await _samples(api)
    total = "promovolve_http_requests_total"
    assert samples[(total, "/v1/serve", "POST", "200")] == 1
    assert samples[(total, "/v1/serve", "POST", "422")] == 1
    assert samples[(total, "/v1/imp", "GET", "200")] == 1
    assert samples[(total, "/v1/imp", "GET", "403")] == 1
    assert samples[(total, "/v1/click", "GET", "302")] == 1
    assert samples[(total, "unmatched", "GET", "404")] == 1
    assert not any(k[1] == "unmatched" and k[2] == "POST" for k in samples)
    latency = "promovolve_http_request_duration_seconds_count"
    assert samples[(latency, "/v1/serve", "", "")] == 2


def _serve_waits(text: str) -> dict[str, float]:
    """wait label -> how many waits the serve-wait histogram counted."""
    return {
        s.labels["wait"]: s.value
        for family in text_string_to_metric_families(text)
        if family.name == "promovolve_serve_wait_seconds"
        for s in family.samples
        if s.name == "promovolve_serve_wait_seconds_count"
    }


async def test_a_served_ad_times_its_wait_for_the_commit(api: Harness) -> None:
    pub, _ = await api.unpaced_ad(approved=False)

    unapproved = await api.serve("site-1", "https://example.com/a")
    assert unapproved.json()["slots"][0]["outcome"] != "selected"
    assert _serve_waits((await api.http.get("/metrics")).text).get("commit", 0) == 0

    await api.approve(pub, "pub-1", "site-1", "cr-1")
    served = await api.serve("site-1", "https://example.com/a")
    assert served.json()["slots"][0]["outcome"] == "selected"
    waits = _serve_waits((await api.http.get("/metrics")).text)
    # Embedded: the spend's commit is waited for; there is no network ledger to wait on.
    assert waits["commit"] == 1
    assert waits.get("network", 0) == 0
