"""A lifetime budget served through two real processes over two simulated days never
spends past the lifetime budget: each process counts only its own spend of day 0, but day
1's share is worked out from the network's (kept by the Redis ledger). Redis also loses its
data between the days, so the spend before day 1 is rebuilt from PostgreSQL on the way.

Without the network's count each process would give day 1 the lifetime budget less only
its own part of day 0, and the two together would spend past it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.network.faults import network
from tests.network.faults import recorded as recorded_spend
from tests.network.redisutil import require_redis

DAY_SECONDS = 20.0
LIFETIME_USD = 0.03  # at $2 CPM: 15 impressions over the flight's two days
MISSES = 30  # answers without an ad in a row: the day's share is spent


def _serve_until_spent(urls: list[str], body: Mapping[str, object], until: float) -> list[int]:
    """Serve round robin until the share looks spent (or `until`); the prices sold."""
    prices: list[int] = []
    misses = n = 0
    with httpx.Client(timeout=10.0) as http:
        while misses < MISSES and time.time() < until:
            answer = http.post(urls[n % len(urls)] + "/v1/serve", json=body)
            n += 1
            if answer.status_code != 200:  # 503 while a process reloads after the flush
                time.sleep(0.05)
                continue
            sold = [s for s in answer.json()["slots"] if s["outcome"] == "selected"]
            prices += [round(s["priceCpm"] * 1000) for s in sold]
            misses = 0 if sold else misses + 1
    return prices


def test_two_processes_spend_a_lifetime_budget_once_over_two_days(tmp_path: Path) -> None:
    client = require_redis()
    with network(tmp_path, processes=2, cpms=(2.0,)) as net:
        world, urls = net.world, net.urls
        [campaign] = world.campaigns
        publisher = {"Authorization": f"Bearer {world.publisher_key}"}
        advertiser = {"Authorization": f"Bearer {campaign.key}"}
        start = time.time()
        # A new day length restarts the site's day at day 0 on every process (the origin
        # travels the change stream); the flight ends just before day 1 does.
        pacing = {"dayDurationSeconds": DAY_SECONDS, "testThrottleOverride": 0.0}
        answer = httpx.put(urls[0] + world.site_path("/pacing"), json=pacing, headers=publisher)
        assert answer.status_code == 200, answer.text
        end = datetime.fromtimestamp(start + 2 * DAY_SECONDS - 1.0, UTC).isoformat()
        path = f"/v1/advertisers/{campaign.advertiser_id}/campaigns/{campaign.id}"
        change = {"lifetimeBudget": LIFETIME_USD, "dailyBudget": 1.0, "flightEnd": end}
        answer = httpx.patch(urls[1] + path, json=change, headers=advertiser)
        assert answer.status_code == 200, answer.text
        body = {
            "siteId": world.site_id,
            "url": world.page_url or f"https://{world.domain}/articles/1",
            "slots": [{"id": "top", "width": 300, "height": 250}],
            "categories": list(world.categories),
        }
        day0 = _serve_until_spent(urls, body, start + DAY_SECONDS - 2.0)
        client.flushdb()  # Redis loses day 0's count: rebuilt from the database
        time.sleep(max(0.0, start + DAY_SECONDS + 1.0 - time.time()))
        day1 = _serve_until_spent(urls, body, start + 2 * DAY_SECONDS - 2.0)
        recorded = sum(amount for _, _, amount in recorded_spend(net.schema))
    lifetime = round(LIFETIME_USD * 1_000_000)
    assert day0 and day1, (day0, day1)
    # Day 0 got half the flight (it had two days left), both processes together.
    assert sum(day0) <= lifetime // 2
    spent = sum(day0) + sum(day1)
    assert spent <= lifetime
    assert lifetime - spent < max(day1)  # day 1 got what the flight had left: all of it
    assert recorded == spent  # what was answered is what the database holds
