"""The lab drives the real site engine and reports what PACING_LAB.md defines."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from promovolve.cli.main import app
from promovolve.sim.lab import run_lab
from promovolve.sim.scenario import parse_scenario

SEED_WEEKDAY = [0.3, 0.2, 1.0, 0.2, 0.0, 0.3, 0.5, 2.5, 0.1, 2.0, 1.5, 2.0,
                2.5, 3.0, 2.5, 2.0, 1.5, 1.2, 1.2, 1.0, 0.4, 2.0, 5.0, 0.4]  # fmt: skip


def small_scenario(**overrides: object) -> dict[str, Any]:
    data: dict[str, object] = {
        "name": "small",
        "advertisers": 2,
        "budget": 2.0,
        "cpm": 5.0,
        "dayDurationSeconds": 240,
        "delayMs": 40,
        "weekdayShapeVolumes": SEED_WEEKDAY,
        "stopAfterDays": 3,
    }
    data.update(overrides)
    return data


def run(data: dict[str, object], strategy: str = "default", **kw: Any) -> dict[str, Any]:
    scenario, warnings = parse_scenario(data, "small")
    assert warnings == []
    return run_lab(scenario, strategy, **kw)


def test_json_has_the_contract_fields() -> None:
    result = run(small_scenario())
    assert set(result) == {"scenario", "strategy", "seed", "simulation", "days", "summary"}
    assert set(result["simulation"]) == {"requests", "wallSeconds", "requestsPerSecond"}
    days = result["days"]
    assert isinstance(days, list) and [d["day"] for d in days] == [1, 2, 3]
    day = days[0]
    for key in ("weekend", "requests", "learnedShape", "actualShape", "shapeMatches",
                "shapeWithinOne", "shapeError", "campaigns"):  # fmt: skip
        assert key in day
    assert len(day["learnedShape"]) == 24 and day["actualShape"] == SEED_WEEKDAY
    campaign = day["campaigns"][0]
    for key in ("campaignId", "budget", "spend", "utilization", "overspend", "pacingError",
                "rmsPacingError", "exhaustedAt", "impressions", "clicks"):  # fmt: skip
        assert key in campaign
    assert sum(d["requests"] for d in days) == result["simulation"]["requests"]


def test_same_seed_same_result_and_other_seed_differs() -> None:
    a, b = run(small_scenario()), run(small_scenario())
    c = run(small_scenario(), seed=7)
    assert a["days"] == b["days"]
    assert a["days"] != c["days"]


def test_spend_never_passes_the_budget_for_any_strategy() -> None:
    for strategy in ("default", "seed", "linear", "asap", "fixed:0.5", "oracle"):
        result = run(small_scenario(budget=1.0), strategy)
        for day in result["days"]:
            for c in day["campaigns"]:
                assert c["spend"] <= c["budget"] + 1e-9, (strategy, c)
                assert c["overspend"] == 0


def test_asap_spends_early_and_default_spreads(tmp_path: Path) -> None:
    # Budgets small enough for asap to run out by mid-day at second prices (below the bids).
    asap = run(small_scenario(budget=0.8), "asap")
    default = run(small_scenario(budget=0.8), "default")
    first_asap = asap["days"][1]["campaigns"][0]
    first_default = default["days"][1]["campaigns"][0]
    assert first_asap["exhaustedAt"] is not None and first_asap["exhaustedAt"] < 0.5
    assert first_default["pacingError"] < first_asap["pacingError"]


def test_trace_recomputes_spend_and_requests(tmp_path: Path) -> None:
    trace = tmp_path / "trace.csv"
    result = run(small_scenario(), trace_path=trace)
    with trace.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["t", "day", "outcome", "campaignId", "priceMicros", "siteId"]
    assert {r["siteId"] for r in rows} == {"lab-site"}
    assert len(rows) == result["simulation"]["requests"]
    for day in result["days"]:
        day_rows = [r for r in rows if int(r["day"]) == day["day"]]
        assert len(day_rows) == day["requests"]
        for c in day["campaigns"]:
            spent = sum(
                int(r["priceMicros"]) for r in day_rows if r["campaignId"] == c["campaignId"]
            )
            assert spent / 1_000_000 == pytest.approx(c["spend"])
    outcomes = {r["outcome"] for r in rows}
    assert outcomes <= {"selected", "pacingSkipped", "budgetExhausted", "noCandidates", "warmup"}
    assert all((r["campaignId"] == "") == (r["outcome"] != "selected") for r in rows)


def test_churn_pauses_an_advertiser_for_a_day() -> None:
    churn = [
        {"day": 2, "action": "pause", "advertiser": 1},
        {"day": 3, "action": "resume", "advertiser": 1},
    ]
    days: list[dict[str, Any]] = run(small_scenario(churn=churn))["days"]
    by_day = {d["day"]: {c["campaignId"]: c for c in d["campaigns"]} for d in days}
    assert by_day[2]["adv-1-camp-1"]["spend"] == 0
    assert by_day[2]["adv-1-camp-1"]["eligible"] is False
    assert by_day[3]["adv-1-camp-1"]["spend"] > 0


def test_set_budget_event_caps_spend_at_the_new_budget() -> None:
    event = {"day": 2, "hour": 6, "action": "setBudget", "advertiser": 1, "budget": 0.5}
    result = run(small_scenario(events=[event]))
    day2 = {c["campaignId"]: c for c in result["days"][1]["campaigns"]}
    # Little is spent by hour 6 of this shape, so the new budget is what caps the day.
    assert day2["adv-1-camp-1"]["spend"] <= 0.5
    assert day2["adv-2-camp-1"]["spend"] > 1.5
    assert day2["adv-1-camp-1"]["eligible"] is False


def test_cli_lab_json_and_bad_scenario(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(small_scenario(stopAfterDays=1)))
    runner = CliRunner()
    ok = runner.invoke(app, ["lab", str(path), "--json", "--strategy", "seed"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["strategy"] == "seed"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(small_scenario(dayDurationSeconds=90000)))
    failed = runner.invoke(app, ["lab", str(bad)])
    assert failed.exit_code == 2
    assert "dayDurationSeconds cannot exceed 86400 (24 hours)" in failed.output
    assert "Traceback" not in failed.output
    unknown = runner.invoke(app, ["lab", str(path), "--strategy", "nope"])
    assert unknown.exit_code == 2 and "unknown strategy" in unknown.output
