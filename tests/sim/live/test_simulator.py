"""The live simulator run against the real app, in-process."""

from __future__ import annotations

import asyncio
import io
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from promovolve.api.app import create_app
from promovolve.settings import Settings
from promovolve.sim.live import LiveSimulator, simulate
from promovolve.sim.live.world import NetworkPlanError
from promovolve.sim.scenario import parse_scenario

ADMIN_KEY = "test-admin-key-live-simulator"
BASE_URL = "http://promovolve.test"


@pytest.fixture
async def transport(tmp_path: Path) -> AsyncIterator[httpx.ASGITransport]:
    # As `promovolve simulate` documents: the server trusts the simulator as a proxy.
    settings = Settings(data_dir=tmp_path, admin_key=ADMIN_KEY, trusted_proxies="127.0.0.1")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield httpx.ASGITransport(app=app)


def tiny_scenario(**overrides: object) -> dict[str, object]:
    shape = [1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 4, 4, 4, 5, 6, 5, 3, 2, 1, 1]
    scenario: dict[str, object] = {
        "name": "tiny",
        "advertisers": 2,
        "campaignsPerAdvertiser": 1,
        "creativesPerCampaign": 2,
        "budgets": [1.0, 0.5],
        "cpms": [5.0, 4.0],
        "dayDurationSeconds": 20,
        "weekdayShapeVolumes": shape,
        "delayMs": 10,
        "maxRequests": 240,
        "reportEvery": 80,
        "clickRate": 0.2,
        "churn": [{"day": 1, "action": "pause", "advertiser": 2}],
        "events": [{"day": 1, "hour": 1, "action": "resume", "advertiser": 2}],
    }
    scenario.update(overrides)
    return scenario


async def test_simulator_drives_the_real_app(transport: httpx.ASGITransport) -> None:
    scenario, warnings = parse_scenario(tiny_scenario(), "tiny")
    assert warnings == []
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    result = await simulate(
        scenario, BASE_URL, ADMIN_KEY, console=console, transport=transport, run_id="t1"
    )
    text = out.getvalue()
    assert result.error is None, text
    world = result.world
    assert world is not None and len(world.campaigns) == 2 and world.creative_count == 4

    counters = result.counters
    assert counters.requests == 240 and counters.serve_errors == 0
    assert counters.outcomes["selected"] > 0
    assert counters.impressions == counters.outcomes["selected"]
    assert counters.actions == 2  # the churn pause and the resume event
    assert sum(counters.outcomes.values()) == 240

    # The server saw the same: accounts exist, outcomes and impressions were counted.
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        publisher = await client.get(f"/v1/publishers/{world.publisher_id}", headers=admin)
        assert publisher.status_code == 200
        pub_key = {"Authorization": f"Bearer {world.publisher_key}"}
        seed_stats = (await client.get(f"/test/site-stats/{world.site_id}", headers=pub_key)).json()
        site = await client.get(
            f"/v1/publishers/{world.publisher_id}/sites/{world.site_id}/stats", headers=pub_key
        )
        site_stats = site.json()
    assert seed_stats["selected"] == counters.outcomes["selected"]
    assert seed_stats["pacingSkipped"] == counters.outcomes["pacingSkipped"]
    assert seed_stats["budgetExhausted"] == counters.outcomes["budgetExhausted"]
    assert site_stats["impressions"] == counters.impressions
    assert site_stats["clicks"] == counters.clicks
    assert seed_stats["totalSpend"] > 0

    # The seed's report was printed three times (every 80 of 240 requests), then the summary.
    assert text.count("─── Report @ ") == 3 and result.reports == 3
    assert "─── Report @ 80 requests" in text
    for needle in ("Requests: ", "Selected: ", "Pacing skip: ", "Spend ratio: ", "Spend rate: $"):
        assert needle in text
    assert "Rate status: " in text and "Learned:  " in text
    assert "Budget exhausted: " in text and "No candidates: " in text
    # The site learns its shape from the traffic: no configured shape is shown or held.
    assert "(from traffic; " in text and "Config:" not in text
    assert world.configured_shapes is None
    assert "Simulation summary" in text
    assert "Traceback" not in text


async def test_server_errors_are_reported_not_raised(transport: httpx.ASGITransport) -> None:
    scenario, _ = parse_scenario(tiny_scenario(maxRequests=5), "tiny")
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    result = await simulate(scenario, BASE_URL, "wrong-key", console=console, transport=transport)
    assert result.error is not None
    assert "POST /v1/publishers → HTTP 401" in result.error
    assert "HTTP 401" in out.getvalue() and "Traceback" not in out.getvalue()
    assert result.counters.requests == 0


async def test_continuous_run_stops_cleanly_with_a_summary(
    transport: httpx.ASGITransport,
) -> None:
    scenario, _ = parse_scenario(tiny_scenario(maxRequests=10, reportEvery=1000), "tiny")
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        simulator = LiveSimulator(scenario, client, ADMIN_KEY, console=console, continuous=True)
        run = asyncio.create_task(simulator.run())
        while simulator.counters.requests < 30:  # maxRequests does not stop a continuous run
            assert not run.done(), out.getvalue()
            await asyncio.sleep(0.05)
        simulator.stop()  # what Ctrl-C does
        result = await asyncio.wait_for(run, timeout=10)
    assert result.interrupted and result.error is None
    assert result.counters.requests >= 30
    assert result.counters.dispatched == result.counters.requests  # in-flight ones finished
    assert "interrupted (Ctrl-C)" in out.getvalue() and "Simulation summary" in out.getvalue()


async def test_the_days_spend_from_the_answers_matches_the_server(
    transport: httpx.ASGITransport,
) -> None:
    scenario, _ = parse_scenario(tiny_scenario(maxRequests=60, churn=[], events=[]), "tiny")
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        simulator = LiveSimulator(scenario, client, ADMIN_KEY, console=console, run_id="t2")
        result = await simulator.run()
        assert result.error is None, out.getvalue()
        assert simulator.server_day0 is not None
        world = result.world
        assert world is not None
        stats = await client.get(
            f"/test/site-stats/{world.site_id}",
            headers={"Authorization": f"Bearer {world.publisher_key}"},
        )
    assert sum(simulator.sender.day_spend.values()) == pytest.approx(stats.json()["totalSpend"])


async def test_a_configured_shape_is_uploaded_and_shown_as_configured(
    transport: httpx.ASGITransport,
) -> None:
    raw = tiny_scenario(maxRequests=20, reportEvery=10, churn=[], events=[])
    scenario, _ = parse_scenario({**raw, "configuredShapes": True}, "tiny")
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=False, color_system=None)
    result = await simulate(scenario, BASE_URL, ADMIN_KEY, console=console, transport=transport)
    text = out.getvalue()
    assert result.error is None, text
    world = result.world
    assert world is not None and world.configured_shapes is not None
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        pacing = await client.get(
            world.site_path("/pacing"), headers={"Authorization": f"Bearer {world.publisher_key}"}
        )
    held = pacing.json()["weekdayShapeVolumes"]
    assert held == [float(v) for v in scenario.weekday_shape]
    assert world.configured_shapes[0] == held
    assert "; shape configured)" in text
    assert "Config:   " in text and "(the configured shape, refined by traffic)" in text
    assert "(the server started from the configured shape)" in text


class InterruptingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the app; presses Ctrl-C (a real SIGINT) during the first
    advertiser creation, i.e. half-way through setting up the world."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.pressed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/advertisers" and not self.pressed:
            self.pressed = True
            # Only send it while the simulator handles it; otherwise it would stop pytest.
            assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(5)  # cancelled by the simulator's stop
        return await self.inner.handle_async_request(request)


async def test_ctrl_c_while_setting_up_prints_the_summary(
    transport: httpx.ASGITransport,
) -> None:
    scenario, _ = parse_scenario(tiny_scenario(), "tiny")
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    interrupting = InterruptingTransport(transport)
    result = await asyncio.wait_for(
        simulate(scenario, BASE_URL, ADMIN_KEY, console=console, transport=interrupting),
        timeout=4,
    )
    text = out.getvalue()
    assert interrupting.pressed
    assert result.interrupted and result.error is None
    assert result.world is not None and result.world.campaigns == []  # the site, no more
    assert result.counters.dispatched == 0
    assert "Interrupted: finishing in-flight requests" in text
    assert "Simulation summary" in text and "interrupted (Ctrl-C)" in text
    assert result.world.site_id in text
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler removed


async def test_the_world_on_the_server_is_the_plans(transport: httpx.ASGITransport) -> None:
    scenario, _ = parse_scenario(tiny_scenario(maxRequests=1, churn=[], events=[]), "tiny")
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        simulator = LiveSimulator(scenario, client, ADMIN_KEY, console=Console(), run_id="p1")
        world = await simulator.setup()
        plan = simulator.plan
        assert world.publisher_id == plan.publisher_id == "sim-p1-lab-publisher"
        assert world.site_id == plan.sites[0].id and world.domain == plan.sites[0].domain
        assert [c.id for c in world.campaigns] == [c.id for c in plan.campaigns]
        for planned, campaign in zip(plan.campaigns, world.campaigns, strict=True):
            key = {"Authorization": f"Bearer {campaign.key}"}
            base = f"/v1/advertisers/{planned.advertiser_id}/campaigns/{planned.id}"
            held = (await client.get(base, headers=key)).json()
            assert held["dailyBudget"] * 1_000_000 == planned.daily_budget_micros
            assert held["cpm"] * 1_000_000 == planned.cpm_micros
            creatives = (await client.get(f"{base}/creatives", headers=key)).json()
            assert {r["assetUrl"] for r in creatives} == {c.asset_url for c in planned.creatives}
        approvals = await client.get(
            world.site_path("/approvals?status=approved"),
            headers={"Authorization": f"Bearer {world.publisher_key}"},
        )
        approved = {r["creativeId"] for r in approvals.json()}
        assert approved == {cr.id for c in plan.campaigns for cr in c.creatives}
        assert world.ctr_by_creative == {
            cr.id: cr.ctr for c in plan.campaigns for cr in c.creatives
        }


def test_a_network_scenario_is_refused_before_anything_is_created() -> None:
    raw = tiny_scenario(sites=[{"id": "north"}, {"id": "south"}])
    scenario, _ = parse_scenario(raw, "network")
    with pytest.raises(NetworkPlanError, match="drives one site; this scenario plans 2"):
        LiveSimulator(scenario, httpx.AsyncClient(), ADMIN_KEY, console=Console())


async def test_the_learned_shape_is_learned_from_the_traffic(
    transport: httpx.ASGITransport,
) -> None:
    """Nothing is configured, so what the server reports after a day is the traffic's shape:
    quiet nights and busy days (a flat line would mean nothing was learned)."""
    night, day = [0.2] * 6, [4.0] * 12
    shape = [*night, *day, *night]
    raw = {
        "name": "learn",
        "advertisers": 1,
        "budget": 1000.0,
        "dayDurationSeconds": 3,
        "weekdayShapeVolumes": shape,
        "delayMs": 8,
        "stopAfterDays": 2,
        "reportEvery": 100_000,
    }
    scenario, _ = parse_scenario(raw, "learn")
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=False, color_system=None)
    result = await simulate(
        scenario, BASE_URL, ADMIN_KEY, console=console, transport=transport, live_display=False
    )
    assert result.error is None and result.world is not None, out.getvalue()
    assert result.world.configured_shapes is None
    learned = (result.site_stats or {})["learnedShape"]
    assert learned["weekdayDaysLearned"] == 1  # the first day rolled over into the shape
    active = learned["active"]
    assert sum(active[6:18]) / 12 > 3 * sum(active[:6] + active[18:]) / 12, active
    assert "(from traffic; 1 day learned)" in out.getvalue()
