"""Redis memory stays flat: after traffic through two real processes (serves, impressions
and clicks at either process, a bot counted invalid, rate caps on), every key Redis holds
expires, except the few that are one per campaign, one per site or one per network. Those
are listed here by their exact names, so a per-request key written without an expiry, or a
new kind of lasting key, fails this test."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.network.faults import network
from tests.network.redisutil import require_redis

REQUESTS = 60
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _lasting(campaigns: list[str], site: str) -> set[str]:
    """Every key allowed to have no expiry: bounded by campaigns, sites and the network."""
    return {
        *(f"promovolve:ledger:{{{c}}}" for c in campaigns),  # day, spend, spend before
        f"promovolve:stats:{{{site}}}",  # Thompson counts: a field per creative
        f"promovolve:shape:{{{site}}}",  # the learned traffic shape
        "promovolve:changes",  # the change stream, trimmed
        "promovolve:{changes}:procs",  # one entry per live process
        "promovolve:{changes}:acks",
        "promovolve:{changes}:born",
    }


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_every_per_request_key_expires(tmp_path: Path) -> None:
    client = require_redis()
    client.flushdb()  # our database only: what earlier tests left would be counted here
    # Rate caps on (the test servers run uncapped otherwise), high enough to pass.
    with network(tmp_path, processes=2, extra_env={"PROMOVOLVE_RATE_LIMIT": "1000"}) as net:
        world, urls = net.world, net.urls
        body = {
            "siteId": world.site_id,
            "url": world.page_url or f"https://{world.domain}/articles/1",
            "slots": [{"id": "top", "width": 300, "height": 250}],
            "categories": list(world.categories),
        }
        with httpx.Client(timeout=10.0) as http:
            served = []
            for n in range(REQUESTS):
                answer = http.post(urls[n % 2] + "/v1/serve", json=body)
                assert answer.status_code == 200, answer.text
                served += [s for s in answer.json()["slots"] if s["outcome"] == "selected"]
            bot = http.post(urls[0] + "/v1/serve", json=body, headers={"User-Agent": BOT})
            assert bot.status_code == 200, bot.text
            assert len(served) > REQUESTS // 2
            time.sleep(1.1)  # a viewable impression comes a second after its serve at least
            for n, slot in enumerate(served):  # each beacon at the other process
                assert http.get(urls[(n + 1) % 2] + _path(slot["impressionUrl"])).is_success
            time.sleep(0.2)
            for n, slot in enumerate(served[::3]):
                assert http.get(urls[n % 2] + _path(slot["clickUrl"])).status_code == 302
        # A tick of each process: statistics, traffic counts (and pace, if any) written.
        time.sleep(1.5)
        ttls = {key.decode(): client.ttl(key) for key in client.scan_iter()}
    campaigns = [c.id for c in world.campaigns]
    without_expiry = {k for k, ttl in ttls.items() if ttl == -1}
    assert without_expiry <= _lasting(campaigns, world.site_id), sorted(without_expiry)
    # The per-request kinds were written, each with an expiry: the check above saw them.
    kinds = {
        "reservation": rf"promovolve:ledger:\{{(?:{'|'.join(map(re.escape, campaigns))})\}}:\d+:.+",
        "beacon": r"promovolve:beacon:.+:(imp|click)",
        "rate": r"promovolve:rate:.+",
        "invalid": r"promovolve:invalid:.+",
        "traffic": r"promovolve:traffic:.+",
    }
    for kind, pattern in kinds.items():
        keys = [k for k in ttls if re.fullmatch(pattern, k)]
        assert keys, f"no {kind} key was written"
        assert all(ttls[k] > 0 for k in keys), kind
