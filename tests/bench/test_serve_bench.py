"""The benchmark's plan and result parsing (the benchmark itself is never run by the test suite)."""

from __future__ import annotations

import json

import pytest
from benchmarks.load import (
    LoadResult,
    parse_duration_ms,
    parse_loadgen_output,
    parse_wrk_output,
    wrk_script,
)
from benchmarks.loadgen import build_request, percentile
from benchmarks.serve_bench import (
    BenchSite,
    PoolResult,
    Round,
    parse_outcomes,
    pool_plan,
    selected_between,
)

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:40111/v1/serve
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.51ms    3.02ms  61.20ms   88.12%
    Req/Sec     2.56k   210.33     2.90k    71.00%
  Latency Distribution
     50%   11.98ms
     75%   13.10ms
     90%   15.02ms
     99%   24.50ms
  25512 requests in 10.01s, 19.87MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   2548.65
Transfer/sec:      1.98MB
"""


def test_parse_wrk_output() -> None:
    result = parse_wrk_output(WRK_OUTPUT)
    assert result.tool == "wrk"
    assert result.requests == 25512
    assert result.seconds == pytest.approx(10.01)
    assert result.requests_per_second == pytest.approx(2548.65)
    assert result.p50_ms == pytest.approx(11.98)
    assert result.p99_ms == pytest.approx(24.50)
    assert result.errors == 7


def test_parse_wrk_units_and_garbage() -> None:
    assert parse_duration_ms("850.00us") == pytest.approx(0.85)
    assert parse_duration_ms("2.00s") == pytest.approx(2000.0)
    assert parse_duration_ms("1.00m") == pytest.approx(60000.0)
    with pytest.raises(ValueError):
        parse_duration_ms("fast")
    with pytest.raises(ValueError):
        parse_wrk_output("wrk: command failed")


def test_parse_loadgen_output_and_ratio() -> None:
    line = json.dumps(
        {
            "tool": "python",
            "requests": 1000,
            "seconds": 2.0,
            "requestsPerSecond": 500.0,
            "p50Ms": 1.5,
            "p99Ms": 9.0,
            "errors": 0,
        }
    )
    serve = parse_loadgen_output("noise\n" + line + "\n")
    health = parse_loadgen_output(line.replace("500.0", "800.0"))
    assert serve.requests_per_second == 500.0 and serve.p99_ms == 9.0
    assert PoolResult(10, (Round(health, serve, 1.0),)).ratio == pytest.approx(0.625)
    with pytest.raises(ValueError):
        parse_loadgen_output("")


def load(requests_per_second: float) -> LoadResult:
    return LoadResult("wrk", 1, 1.0, requests_per_second, 1.0, 2.0)


def test_a_pool_reports_its_median_round() -> None:
    rounds = (
        Round(load(1000), load(400), 1.0),  # ratio 0.40
        Round(load(800), load(480), 1.0),  # ratio 0.60, a slow healthz
        Round(load(1000), load(550), 0.98),  # ratio 0.55
    )
    result = PoolResult(100, rounds)
    assert result.ratio == pytest.approx(0.55)
    assert result.ratios == pytest.approx([0.40, 0.60, 0.55])
    assert result.serve.requests_per_second == 480
    assert result.healthz.requests_per_second == 1000
    assert result.selected_share == 0.98


def test_request_building_helpers() -> None:
    assert percentile([], 50) == 0.0
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    host, port, raw = build_request("http://127.0.0.1:9999/v1/serve", "POST", b"{}")
    assert (host, port) == ("127.0.0.1", 9999)
    assert raw.startswith(b"POST /v1/serve HTTP/1.1\r\n") and raw.endswith(b"\r\n\r\n{}")
    site = BenchSite(10, "s", "bench.example", "bench10")
    body = site.serve_body()
    assert json.loads(body)["categories"] == ["bench10"]
    assert "wrk.body = [==[" + body + "]==]" in wrk_script("POST", body)


def test_the_selected_share_comes_from_the_outcome_counters() -> None:
    text = (
        "# TYPE promovolve_serve_outcomes_total counter\n"
        'promovolve_serve_outcomes_total{outcome="selected"} 120.0\n'
        'promovolve_serve_outcomes_total{outcome="pacingSkipped"} 30.0\n'
        'promovolve_serve_outcomes_created{outcome="selected"} 1.7e+09\n'
        'promovolve_http_requests_total{route="/v1/serve",method="POST",status="200"} 9.0\n'
    )
    before = parse_outcomes(text)
    assert before == {"selected": 120.0, "pacingSkipped": 30.0}
    after = {"selected": 190.0, "pacingSkipped": 60.0, "noCandidates": 0.0}
    assert selected_between(before, after) == pytest.approx(0.7)
    assert selected_between(after, after) == 0.0


def test_outcomes_are_read_as_prometheus_text_not_by_line_shape() -> None:
    """Any valid exposition: labels in any order, exponents, HELP lines, other families."""
    text = (
        "# HELP promovolve_serve_outcomes_total Serve outcomes by slot.\n"
        "# TYPE promovolve_serve_outcomes_total counter\n"
        'promovolve_serve_outcomes_total{replica="a",outcome="selected"} 1.5e+03\n'
        'promovolve_serve_outcomes_total{outcome="noCandidates"} 2\n'
        "# TYPE promovolve_other_total counter\n"
        'promovolve_other_total{outcome="selected"} 99.0\n'
    )
    assert parse_outcomes(text) == {"selected": 1500.0, "noCandidates": 2.0}
    with pytest.raises(ValueError):
        parse_outcomes("promovolve_serve_outcomes_total{outcome=selected} x\n")


def test_a_pools_plan_has_one_site_and_pool_size_matching_campaigns() -> None:
    plan = pool_plan(10, "r1")
    (site,) = plan.sites
    assert site.id == "bench-r1-p10-lab-site" and site.categories == ("bench10",)
    assert site.configured_shapes is None
    assert len(plan.campaigns) == 10 and len({c.id for c in plan.campaigns}) == 10
    assert all(c.categories == ("bench10",) and site.id in c.site_ids for c in plan.campaigns)
    assert all(len(c.creatives) == 2 for c in plan.campaigns)
    assert {c.daily_budget_micros for c in plan.campaigns} == {1_000_000 * 1_000_000}
    # CPMs cycle as before: campaign c bids 1.0 + (c % 10) * 0.5 dollars.
    assert [c.cpm_micros for c in plan.campaigns] == [
        int((1.0 + (c % 10) * 0.5) * 1_000_000) for c in range(1, 11)
    ]
    assert pool_plan(10, "r2").campaigns[0].id != plan.campaigns[0].id  # runs do not collide
