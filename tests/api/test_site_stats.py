"""Site stats: the seed's fields count today; lifetime counts live in the richer stats; both
show how many creatives wait for the publisher's approval on the site."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.api.harness import Harness, bearer

URL = "https://example.com/a"


async def _world(api: Harness) -> tuple[str, str]:
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    await api.campaign(adv, "adv-1", "cmp-1")
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    return pub, adv


async def _stats(api: Harness, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    seed = await api.http.get("/test/site-stats/site-1", headers=bearer(key))
    rich = await api.http.get("/v1/publishers/pub-1/sites/site-1/stats", headers=bearer(key))
    assert seed.status_code == 200 and rich.status_code == 200
    return seed.json(), rich.json()


async def test_seed_counters_are_todays_and_lifetime_ones_stay_in_the_rich_stats(
    api: Harness,
) -> None:
    pub, _ = await _world(api)
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    await api.pacing(pub, "pub-1", "site-1", {"dayDurationSeconds": 1, "testThrottleOverride": 0})
    # Serve early in a (one-second) day, so the three requests share it.
    day = api.runtime.state.sites["site-1"].engine.controller.clock
    await asyncio.sleep(max(0.0, day.day_start(time.time()) + 1.02 - time.time()))
    for _ in range(3):
        assert (await api.serve("site-1", URL)).json()["slots"][0]["outcome"] == "selected"
    seed, rich = await _stats(api, pub)
    assert seed["selected"] == 3 and rich["selected"] == 3
    assert seed["totalSpend"] == 3 * 0.0025

    await asyncio.sleep(max(0.0, day.day_start(time.time()) + 1.02 - time.time()))
    assert (await api.serve("site-1", URL)).json()["slots"][0]["outcome"] == "selected"
    seed, rich = await _stats(api, pub)
    assert seed["selected"] == 1  # today's only
    assert seed["totalSpend"] == 0.0025
    assert rich["selected"] == 1 and rich["outcomesToday"] == {
        **rich["outcomesToday"],
        "selected": 1,
    }
    assert rich["outcomes"]["selected"] == 4  # lifetime
    assert 0 <= seed["elapsedHours"] <= 24


async def test_pending_approvals_are_counted_per_site(api: Harness) -> None:
    pub, adv = await _world(api)
    await api.site(pub, "pub-1", "site-2", "other.example.org")
    seed, rich = await _stats(api, pub)
    assert seed["pendingApproval"] == 0 and rich["pendingApproval"] == 0  # never competed

    # A serve that would have used the creative puts it in the site's queue: no ad yet.
    answer = await api.serve("site-1", URL)
    assert answer.json()["slots"][0]["outcome"] == "noCandidates"
    await api.creative(adv, "adv-1", "cmp-1", "cr-2")
    await api.serve("site-1", URL)
    seed, rich = await _stats(api, pub)
    assert seed["pendingApproval"] == 2 and rich["pendingApproval"] == 2
    other = await api.http.get("/test/site-stats/site-2", headers=bearer(pub))
    assert other.json()["pendingApproval"] == 0  # the queue is the site's own

    await api.approve(pub, "pub-1", "site-1", "cr-1")
    r = await api.http.post(
        "/v1/publishers/pub-1/sites/site-1/approvals/cr-2/reject", headers=bearer(pub)
    )
    assert r.status_code == 200
    seed, rich = await _stats(api, pub)
    assert seed["pendingApproval"] == 0 and rich["pendingApproval"] == 0
    r = await api.http.post(
        "/v1/publishers/pub-1/sites/site-1/approvals/cr-1/revoke", headers=bearer(pub)
    )
    assert r.status_code == 200
    seed, _ = await _stats(api, pub)
    assert seed["pendingApproval"] == 1  # revoked: waiting again
