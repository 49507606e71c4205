"""A serve queues its spend row while the network confirms the reserve; when the network
refuses it (another process spent the budget first), the slot gets no ad and the row is
gone from the spend and its aggregates before the serve answers.

Two runtimes on one PostgreSQL schema and one Redis; the second one's view of the budget
is kept stale (its ticker, which refreshes the view, is stopped), so it accepts a reserve
on its view that the network refuses."""

from __future__ import annotations

from pathlib import Path

from promovolve.settings import Settings
from tests.api.dbutil import PG_URL, drop_schema, new_schema, pg_fetch, require_pg
from tests.api.harness import ADMIN_KEY, Harness
from tests.network.redisutil import REDIS_URL, fresh_prefix, require_redis


async def test_a_refused_reserve_leaves_no_spend_row(tmp_path: Path) -> None:
    require_pg()
    require_redis()
    schema = new_schema()
    run = fresh_prefix()
    site, campaign = f"site-{run}", f"cmp-{run}"
    settings = [
        Settings(
            data_dir=tmp_path / name,
            admin_key=ADMIN_KEY,
            database_url=PG_URL,
            database_schema=schema,
            redis_url=REDIS_URL,
            allowed_hosts="testserver",
        )
        for name in ("a", "b")
    ]
    a = await Harness(settings[0]).start()
    b = None
    try:
        pub = await a.publisher(f"pub-{run}")
        adv = await a.advertiser(f"adv-{run}")
        await a.site(pub, f"pub-{run}", site, "news.example.com")
        await a.pacing(pub, f"pub-{run}", site, {"testThrottleOverride": 0.0})
        # $1 at a $500 CPM: two impressions.
        await a.campaign(adv, f"adv-{run}", campaign, dailyBudget=1, cpm=500)
        await a.creative(adv, f"adv-{run}", campaign, f"cr-{run}")
        await a.approve(pub, f"pub-{run}", site, f"cr-{run}")
        b = await Harness(settings[1]).start()  # knows the campaign has spent nothing
        ticker = b.runtime._ticker
        assert ticker is not None
        await ticker.stop()
        for _ in range(2):
            r = await a.serve(site, "https://news.example.com/a")
            assert r.json()["slots"][0]["outcome"] == "selected"
        r = await b.serve(site, "https://news.example.com/b")
        assert r.status_code == 200
        assert r.json()["slots"][0]["outcome"] == "budgetExhausted"
        assert b.runtime.metrics.network_refusals._value.get() == 1
        [(rows, spent)] = pg_fetch(
            schema, "SELECT count(*), COALESCE(SUM(amount_micros), 0) FROM spend_reservations"
        )
        assert (rows, spent) == (2, 1_000_000)
        daily = pg_fetch(schema, "SELECT selected, spend_micros FROM spend_daily")
        totals = pg_fetch(schema, "SELECT selected, spend_micros FROM site_campaign_totals")
        assert [tuple(row) for row in daily] == [(2, 1_000_000)]
        assert [tuple(row) for row in totals] == [(2, 1_000_000)]
    finally:
        if b is not None:
            await b.stop()
        await a.stop()
        drop_schema(schema)
