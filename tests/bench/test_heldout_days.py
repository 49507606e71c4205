"""The held-out day report's hourly columns, on a hand-written trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.heldout_days import Hourly, describe, failed

from promovolve.sim.trace import TraceWriter

DAY = 240.0  # ten seconds an hour
CAMPAIGN = "adv-1-camp-1"


def write(path: Path) -> None:
    """Day 1: 10 requests an hour. Day 2: 10 an hour on site a, and from hour 12 on 30 an
    hour on site b too; the campaign wins all of hour 0 on a, at $2 CPM, and nothing else."""
    with TraceWriter(path) as trace:
        for day in (1, 2):
            for hour in range(24):
                start = (day - 1) * DAY + hour * 10.0
                for i in range(10):
                    won = day == 2 and hour == 0
                    outcome = "selected" if won else "pacingSkipped"
                    campaign = CAMPAIGN if won else None
                    trace.write(start + i, day, outcome, campaign, 2000 if won else None, "a")
                if day == 2 and hour >= 12:
                    for i in range(30):
                        trace.write(start + i / 3, day, "pacingSkipped", None, None, "b")


def campaign_day(**fields: Any) -> dict[str, Any]:
    day = {"campaignId": CAMPAIGN, "sites": ["a", "b"], "utilization": 1.0}
    return day | {"overspend": 0.0, "pacingError": 0.0} | fields


def test_spend_and_traffic_are_compared_hour_by_hour(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    write(path)
    hourly = Hourly(path, DAY, "lab-site")
    assert hourly.traffic(2, ["a", "b"])[11:13] == [10, 40]
    lines = describe(hourly, {"day": 2, "weekend": False}, campaign_day(), [1])
    assert "{1: 240, 2: 600}" in lines[1]
    hour0, hour23 = lines[3].split(), lines[-1].split()
    # Hour 0: 10 of 600 requests, all of the spend, 10 wins at $2 CPM; 10 requests before.
    assert hour0 == ["0", "10", "10", "0.017", "1.000", "+0.983", "10", "2.00"]
    assert hour23[3:6] == ["1.000", "1.000", "+0.000"]


def test_a_day_fails_on_any_target() -> None:
    assert not failed(campaign_day(pacingError=0.03, utilization=0.99))
    assert failed(campaign_day(pacingError=0.031))
    assert failed(campaign_day(utilization=0.989))
    assert failed(campaign_day(overspend=0.001))
