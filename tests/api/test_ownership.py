"""Authorization before validation, on every management endpoint with a typed body:
another account's path answers 404 whatever the body (malformed, invalid or fine), and the
caller's own path still validates the body (422)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from promovolve.api.routes import advertisers, context, publishers, stats
from tests.api.harness import Harness, bearer

MANAGEMENT_ROUTERS = (publishers.router, advertisers.router, context.router, stats.router)

PATH_VALUES = {
    "publisherId": "pub-1",
    "siteId": "site-1",
    "advertiserId": "adv-1",
    "campaignId": "cmp-1",
    "creativeId": "cr-1",
    "domain": "x.example",
    "action": "approve",
}
BAD_BODIES = [b"{", b'{"bogus": [1, 2, 3]}', b"[]"]


def _typed_body_routes() -> list[tuple[str, str]]:
    found = []
    for router in MANAGEMENT_ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or route.body_field is None:
                continue
            if "{publisherId}" not in route.path and "{advertiserId}" not in route.path:
                continue
            path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], route.path)
            for method in sorted(route.methods or ()):
                found.append((method, path))
    return found


async def _network(api: Harness) -> dict[str, str]:
    keys = {}
    for n in ("1", "2"):
        pub = keys[f"pub-{n}"] = await api.publisher(f"pub-{n}")
        adv = keys[f"adv-{n}"] = await api.advertiser(f"adv-{n}")
        await api.site(pub, f"pub-{n}", f"site-{n}", f"news{n}.example.com")
        await api.campaign(adv, f"adv-{n}", f"cmp-{n}")
        await api.creative(adv, f"adv-{n}", f"cmp-{n}", f"cr-{n}")
    return keys


async def test_every_typed_body_endpoint_checks_the_path_before_the_body(api: Harness) -> None:
    keys = await _network(api)
    routes = _typed_body_routes()
    assert len(routes) >= 10  # sites, pacing, blocklist, campaigns, creatives, pins, ...
    for method, path in routes:
        owner = "pub-1" if path.startswith("/v1/publishers") else "adv-1"
        strangers = [keys["pub-2"], keys["adv-2"]]
        for body in BAD_BODIES:
            for key in strangers:
                headers = {**bearer(key), "Content-Type": "application/json"}
                r = await api.http.request(method, path, content=body, headers=headers)
                assert r.status_code == 404, (method, path, body, r.text)
            r = await api.http.request(method, path, content=body)
            assert r.status_code == 401, (method, path, body)
        # The owner's own path still validates the body.
        headers = {**bearer(keys[owner]), "Content-Type": "application/json"}
        r = await api.http.request(method, path, content=b'{"bogus": [1]}', headers=headers)
        assert r.status_code in (400, 422), (method, path, r.text)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/publishers/pub-1/sites/site-9", "siteId"),
        ("/v1/advertisers/adv-1/campaigns/cmp-2", "campaignId"),
        ("/v1/advertisers/adv-1/campaigns/cmp-1/creatives/cr-2", "creativeId"),
    ],
)
async def test_an_object_under_another_parent_is_not_found_first(
    api: Harness, path: str, field: str
) -> None:
    keys = await _network(api)
    key = keys["pub-1"] if path.startswith("/v1/publishers") else keys["adv-1"]
    headers = {**bearer(key), "Content-Type": "application/json"}
    r = await api.http.patch(path, content=b"{", headers=headers)
    assert r.status_code == 404 and r.json()["field"] == field, r.text
