"""The held-out report's outbid rule, on a hand-written trace."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks.heldout import check
from benchmarks.outbid import outbid_campaign_days
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.sim.plan import build_plan
from promovolve.sim.scenario import parse_scenario
from promovolve.sim.trace import TraceWriter

LOW, HIGH = "adv-1-camp-1", "adv-2-camp-1"  # $1.00 at CPM 1, $4.00 at CPM 5


def write_day(trace: TraceWriter, day: int, requests: int, wins: dict[str, int]) -> None:
    winners = [c for c, n in wins.items() for _ in range(n)]
    for i in range(requests):
        won = winners[i] if i < len(winners) else None
        outcome = "selected" if won else "pacingSkipped"
        trace.write(day * 600.0 + i * 0.01, day, outcome, won, 1000 if won else None, "lab-site")


def campaign_day(campaign: str, budget: float, utilization: float) -> dict[str, Any]:
    return {
        "campaignId": campaign,
        "budget": budget,
        "utilization": utilization,
        "overspend": 0.0,
        "pacingError": 0.2,
        "eligible": True,
    }


def run(tmp_path: Path, days: list[tuple[int, dict[str, int]]]) -> set[tuple[int, str]]:
    scenario, _ = parse_scenario({"advertisers": 2, "budgets": [1.0, 4.0], "cpms": [1.0, 5.0]}, "x")
    path = tmp_path / "trace.csv"
    with TraceWriter(path) as trace:
        for day, (requests, wins) in enumerate(days, start=1):
            write_day(trace, day, requests, wins)
    result = {
        "days": [
            {"day": d, "campaigns": [campaign_day(LOW, 1.0, 0.05), campaign_day(HIGH, 4.0, 1.0)]}
            for d in range(1, len(days) + 1)
        ]
    }
    return outbid_campaign_days(build_plan(scenario), result, path)


def test_a_low_bidder_whose_traffic_went_to_higher_bids_is_outbid(tmp_path: Path) -> None:
    # Day 1: the CPM-5 campaign takes 950 of 1000 requests; 50 left at $0.001 cannot buy $1.
    # Day 2: it takes 100; the 900 left (won or unsold) could have bought $0.90: still short.
    # Day 3: it takes none; 1000 requests at the low bid buy exactly the $1 budget.
    outbid = run(tmp_path, [(1000, {HIGH: 950, LOW: 50}), (1000, {HIGH: 100}), (1000, {LOW: 10})])
    assert outbid == {(1, LOW), (2, LOW)}


def test_outbid_days_are_counted_apart_from_the_targets(tmp_path: Path) -> None:
    outbid = run(tmp_path, [(1000, {HIGH: 950, LOW: 50})])
    result = {"days": [{"day": 1, "campaigns": [campaign_day(LOW, 1.0, 0.05)]}]}
    checked = check(result, outbid)
    assert (checked["eligible"], checked["failed"], checked["outbid"]) == (0, 0, 1)
    assert check(result, set())["failed"] == 1


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 1000), st.integers(0, 1000))
def test_a_budget_the_open_requests_can_buy_is_never_outbid(high_wins: int, low_wins: int) -> None:
    """Outbid exactly when the requests not won by the higher bid, at the low bid, fall short."""
    low_wins = min(low_wins, 1000 - high_wins)
    with tempfile.TemporaryDirectory() as tmp:
        outbid = run(Path(tmp), [(1000, {HIGH: high_wins, LOW: low_wins})])
    assert ((1, LOW) in outbid) == ((1000 - high_wins) * 1000 < 1_000_000)
    # Nothing bids above the CPM-5 campaign: 1000 requests at $0.005 buy more than $4.
    assert (1, HIGH) not in outbid
