"""The live simulator: report formatting, admin-key lookup, and a run against the real app."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from promovolve.api.app import create_app
from promovolve.cli.simulate import AdminKeyError, resolve_admin_key
from promovolve.settings import Settings
from promovolve.sim.live import LiveSimulator, SimCampaign, SimWorld, simulate
from promovolve.sim.live_report import (
    Counts,
    PacingReporter,
    StatsSample,
    find_learned_shape,
    quantize,
    rate_status,
    sparkline,
    trend,
)
from promovolve.sim.scenario import parse_scenario

# -- the report (pure) -----------------------------------------------------------------------


def test_quantize_and_sparkline() -> None:
    assert quantize([0.0, 1.0, 2.0]) == [0, 4, 7]
    assert quantize([0.0, 0.0]) == [0, 0]
    assert sparkline([0.0, 1.0, 2.0]) == "▁▅█"
    assert sparkline([0.0, 1.0, 2.0], mark=1) == "▁[▅]█"


def test_trend_and_rate_status() -> None:
    assert trend(None, 1.0) == "→ (stable)"
    assert trend(1.0, 1.01) == "→ (stable)"
    assert trend(0.9, 1.0) == "↑ (rising)"
    assert trend(1.2, 1.0) == "↓ (falling)"
    assert rate_status(0.0064, 0.0067) == "ON PACE"
    assert rate_status(0.0090, 0.0067) == "OVER PACE"
    assert rate_status(0.0030, 0.0067) == "UNDER PACE"
    assert rate_status(None, 0.1) == "N/A"


def test_report_reproduces_the_seed_format() -> None:
    reporter = PacingReporter()
    first = StatsSample(elapsed=20.0, day_index=0, total_spend=0.10, expected_fraction=0.001)
    reporter.report(Counts(50, 30, 20), first, 100.0, 20.0, [1.0] * 24, 0, 1)
    second = StatsSample(
        elapsed=45.2,
        day_index=0,
        total_spend=0.10 + 0.0064 * 25.2,
        expected_fraction=0.001 + 0.0067 * 25.2 / 100.0,
        spend_ratio=1.02,
        learned_shape=[1.0] * 24,
    )
    lines = reporter.report(Counts(100, 58, 42), second, 100.0, 45.2, [1.0] * 24, 3, 1)
    text = "\n".join(lines)
    assert lines[0] == "─── Report @ 100 requests (45.2s elapsed) ───"
    assert "Requests: 100 (2.2/sec)" in text
    assert "Selected: 58 (58.0%)" in text
    assert "Pacing skip: 42" in text
    assert "Pacing status:" in text
    assert "Spend ratio: 1.02x" in text and "(rising)" in text
    assert "Spend rate: $0.0064/sec (target: $0.0067/sec)" in text
    assert "Rate status: ON PACE" in text
    assert "Learned:  ███[█]████" in text
    assert "24/24 buckets match" in text


def test_spend_ratio_falls_back_to_the_seed_stats() -> None:
    reporter = PacingReporter()
    sample = StatsSample.from_stats(
        10.0, {"totalSpend": 0.5, "expectedSpendFraction": 0.01}, None, weekend=False
    )
    assert reporter.spend_ratio(sample, 100.0) == pytest.approx(0.5)


def test_find_learned_shape_is_lenient() -> None:
    shape = [float(i) for i in range(24)]
    assert find_learned_shape({"learnedShape": shape}, weekend=False) == shape
    nested = {"learnedShapes": {"weekday": shape, "weekend": [1.0] * 24}}
    assert find_learned_shape(nested, weekend=False) == shape
    assert find_learned_shape(nested, weekend=True) == [1.0] * 24
    assert find_learned_shape({"learnedWeekendShape": shape}, weekend=True) == shape
    assert find_learned_shape({"shape": [1, 2]}, weekend=False) is None


# -- the admin key -----------------------------------------------------------------------------


def test_admin_key_resolution(tmp_path: Path) -> None:
    assert resolve_admin_key("given", {"PROMOVOLVE_ADMIN_KEY": "env"}) == "given"
    assert resolve_admin_key(None, {"PROMOVOLVE_ADMIN_KEY": "env"}) == "env"
    (tmp_path / "admin.key").write_text("from-file\n", encoding="utf-8")
    assert resolve_admin_key(None, {"PROMOVOLVE_DATA_DIR": str(tmp_path)}) == "from-file"
    with pytest.raises(AdminKeyError, match="--admin-key"):
        resolve_admin_key(None, {})
    with pytest.raises(AdminKeyError, match="no admin key file at"):
        resolve_admin_key(None, {"PROMOVOLVE_DATA_DIR": str(tmp_path / "missing")})


# -- a run against the real app, in-process ------------------------------------------------------

ADMIN_KEY = "test-admin-key-live-simulator"
BASE_URL = "http://promovolve.test"


@pytest.fixture
async def transport(tmp_path: Path) -> AsyncIterator[httpx.ASGITransport]:
    app = create_app(Settings(data_dir=tmp_path, admin_key=ADMIN_KEY))
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
    assert site_stats["impressions"] == counters.impressions
    assert site_stats["clicks"] == counters.clicks
    assert seed_stats["totalSpend"] > 0

    # The seed's report was printed three times (every 80 of 240 requests), then the summary.
    assert text.count("─── Report @ ") == 3 and result.reports == 3
    assert "─── Report @ 80 requests" in text
    for needle in ("Requests: ", "Selected: ", "Pacing skip: ", "Spend ratio: ", "Spend rate: $"):
        assert needle in text
    assert "Rate status: " in text and "Learned:  " in text
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


def test_day_line_falls_back_to_the_answers_when_the_server_day_has_ended() -> None:
    """The day's closing stats can arrive after the server rolled over (its "today" is then
    the next day, with no spend yet); the line then shows the spend the answers carried."""
    scenario, _ = parse_scenario(tiny_scenario(), "tiny")
    simulator = LiveSimulator(scenario, httpx.AsyncClient(), ADMIN_KEY, console=Console())
    simulator.world = SimWorld("r", "pub", "key", "site", "r.example")
    simulator.world.campaigns.append(SimCampaign(1, 1, "c", "a", "k", budget=2.5, cpm=5.0))
    simulator.server_day0 = 40
    simulator.day = 2
    simulator.day_spend[2] = 1.25
    on_time = simulator._day_line({"totalSpend": 1.25}, {"dayIndex": 41})
    assert "the day's spend $1.2500 of $2.50 (50.0%)" in on_time
    late = simulator._day_line({"totalSpend": 0.0}, {"dayIndex": 42})
    assert "the day's spend $1.2500" in late and "answers" in late
    unknown = simulator._day_line({"totalSpend": 0.0}, None)
    assert "the day's spend $1.2500" in unknown


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
    assert sum(simulator.day_spend.values()) == pytest.approx(stats.json()["totalSpend"])
