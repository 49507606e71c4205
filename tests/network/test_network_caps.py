"""With Redis, a source's cap is the network's: two server processes (two runtimes on one
PostgreSQL schema and one Redis, database 14) give a flooding source one burst between
them, and both count its invalid serves."""

from __future__ import annotations

from pathlib import Path

from promovolve.domain.traffic import burst_of
from promovolve.settings import Settings
from tests.api.dbutil import PG_URL, drop_schema, new_schema, require_pg
from tests.api.harness import ADMIN_KEY, Harness, bearer
from tests.network.test_rate_limit import URL, _redis

RATE = 5


async def test_two_processes_cap_a_source_once(tmp_path: Path) -> None:
    require_pg()
    _redis().flushdb()  # database 14 is this suite's own
    schema = new_schema()
    settings = [
        Settings(
            data_dir=tmp_path / name,
            admin_key=ADMIN_KEY,
            database_url=PG_URL,
            database_schema=schema,
            redis_url=URL,
            rate_limit=RATE,
            trusted_proxies="127.0.0.1",
            allowed_hosts="testserver",
        )
        for name in ("a", "b")
    ]
    a = await Harness(settings[0]).start()
    b = None
    try:
        pub = await a.publisher("pub-1")
        adv = await a.advertiser("adv-1")
        await a.site(pub, "pub-1", "site-1", "news.example.com")
        await a.campaign(adv, "adv-1", "camp-1", deliveryMode="asap")
        await a.creative(adv, "adv-1", "camp-1", "cr-1")
        await a.approve(pub, "pub-1", "site-1", "cr-1")
        b = await Harness(settings[1]).start()  # loads what a created
        frozen = a.now()
        a.now = b.now = lambda: frozen  # no refill between the requests: one burst exactly
        flood = {"X-Forwarded-For": "203.0.113.7"}
        body = {
            "siteId": "site-1",
            "url": "https://news.example.com/x",
            "slots": [{"id": "top", "width": 300, "height": 250}],
        }
        outcomes = []
        for i in range(30):
            process = a if i % 2 else b
            r = await process.http.post("/v1/serve", json=body, headers=flood)
            outcomes.append(r.json()["slots"][0]["outcome"])
        assert outcomes.count("selected") == int(burst_of(RATE))
        stats = await b.http.get("/v1/publishers/pub-1/sites/site-1/stats", headers=bearer(pub))
        assert stats.json()["today"]["invalid"]["serves"]["overCap"] == 30 - int(burst_of(RATE))
    finally:
        if b is not None:
            await b.stop()
        await a.stop()
        drop_schema(schema)
        _redis().flushdb()
