"""The live run judged like the lab: spread over several URLs, it writes the lab's trace and
reports the lab's JSON document."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from promovolve.sim.lab import run_lab
from promovolve.sim.live import simulate
from promovolve.sim.live.api import Api, ApiError
from promovolve.sim.live.measure import LiveMeasure
from promovolve.sim.live.peers import wait_for_peers
from promovolve.sim.plan import build_plan
from promovolve.sim.scenario import parse_scenario
from promovolve.sim.trace import read_trace
from tests.sim.live.test_simulator import ADMIN_KEY, tiny_scenario, transport

__all__ = ["transport"]  # the fixture, used by name

URLS = ["http://one.promovolve.test", "http://two.promovolve.test", "http://three.promovolve.test"]


class CountingTransport(httpx.AsyncBaseTransport):
    """Every host goes to the same app; counts serve requests per host."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.serves: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/serve":
            self.serves[request.url.host] += 1
        return await self.inner.handle_async_request(request)


def _keys(document: dict[str, Any]) -> dict[str, set[str]]:
    days = document["days"]
    assert isinstance(days, list) and days
    return {
        "top": set(document),
        "simulation": set(document["simulation"]),
        "day": set(days[0]),
        "campaign": set(days[0]["campaigns"][0]),
        "summary": set(document["summary"]),
    }


async def test_a_run_over_three_urls_writes_the_labs_trace_and_report(
    transport: httpx.ASGITransport, tmp_path: Path
) -> None:
    raw = tiny_scenario(maxRequests=None, stopAfterDays=2, dayDurationSeconds=6, delayMs=40)
    scenario, _ = parse_scenario(raw, "tiny")
    counting = CountingTransport(transport)
    trace = tmp_path / "t.csv"
    out = io.StringIO()
    result = await simulate(
        scenario,
        URLS,
        ADMIN_KEY,
        console=Console(file=out, width=120, color_system=None),
        transport=counting,
        live_display=False,
        run_id="m1",
        trace_path=trace,
        lab_report=True,
    )
    assert result.error is None, out.getvalue()
    # Round robin: each URL got a third of the traffic.
    total = sum(counting.serves.values())
    assert set(counting.serves) == {httpx.URL(u).host for u in URLS}
    assert max(counting.serves.values()) - min(counting.serves.values()) <= 1, counting.serves

    rows = list(read_trace(trace))
    assert len(rows) == result.counters.requests == total
    assert {r.day for r in rows} == {1, 2}
    assert all((r.day - 1) * 6 <= r.t < r.day * 6 + 1 for r in rows)  # t counts from day 1
    selected = [r for r in rows if r.outcome == "selected"]
    assert selected and all(r.campaign_id and r.price_micros for r in selected)
    assert len(selected) == result.counters.outcomes["selected"]

    report = result.lab_report
    assert report is not None
    lab = run_lab(scenario, days=2)
    live_keys, lab_keys = _keys(report), _keys(lab)
    assert live_keys["simulation"] == lab_keys["simulation"] | {"urls"}
    del live_keys["simulation"], lab_keys["simulation"]
    assert live_keys == lab_keys
    assert report["simulation"]["urls"] == URLS
    assert report["strategy"] == "live"
    days = report["days"]
    assert [d["day"] for d in days] == [1, 2]
    # Spend in the report is what the trace's selections carried, day by day.
    for day in days:
        traced = sum(r.price_micros or 0 for r in selected if r.day == day["day"])
        assert round(sum(c["spend"] for c in day["campaigns"]) * 1_000_000) == traced
        assert day["requests"] == sum(1 for r in rows if r.day == day["day"])
    assert report["summary"]["campaignDays"] == 4


async def test_the_run_waits_for_every_process_to_know_the_site() -> None:
    asked: Counter[str] = Counter()

    def answer(request: httpx.Request) -> httpx.Response:
        asked[request.url.host] += 1
        # "late" learns of the site on its third poll; "never" does not.
        if request.url.host == "never" or (request.url.host == "late" and asked["late"] < 3):
            return httpx.Response(404, json={"error": "not_found", "message": "site not found"})
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        api = Api(client)
        urls = ["http://first", "http://late"]
        assert await wait_for_peers(api, urls, "/v1/publishers/p/sites/s", "k", timeout=10)
        assert asked == {"late": 3}  # the first URL created the world: never asked
        with pytest.raises(ApiError, match="http://never did not know it within 1 s"):
            await wait_for_peers(api, [*urls, "http://never"], "/x", "k", timeout=1)


def test_a_selection_counts_on_the_day_whose_budget_paid_for_it(tmp_path: Path) -> None:
    scenario, _ = parse_scenario(tiny_scenario(dayDurationSeconds=10), "tiny")
    measure = LiveMeasure(build_plan(scenario), tmp_path / "t.csv", keep_rows=True)
    measure.start(origin=1000.0, server_day0=7)
    measure.record(1009.5, "selected", "c", 10, server_day=8)  # answered late: day 2 paid
    measure.record(1009.6, "pacingSkipped", None, None)  # the server's clock: day 1
    measure.record(1010.2, "noCandidates", None, None)  # day 2
    measure.close()
    rows = list(read_trace(tmp_path / "t.csv"))
    assert [(r.day, r.outcome) for r in rows] == [
        (2, "selected"),
        (1, "pacingSkipped"),
        (2, "noCandidates"),
    ]
    assert [round(r.t, 6) for r in rows] == [round(r.t, 6) for r in measure.rows]
    assert [r.t for r in rows] == pytest.approx([9.5, 9.6, 10.2])
