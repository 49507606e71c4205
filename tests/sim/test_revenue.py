"""The lab's publisher figures: revenue and revenue per thousand requests."""

from __future__ import annotations

import pytest

from promovolve.sim.metrics import revenue_per_mille, revenue_summary
from tests.sim.test_lab import run, small_scenario


def test_revenue_per_mille() -> None:
    assert revenue_per_mille(2_500_000, 1_000) == 2.5
    assert revenue_per_mille(123, 0) == 0.0


def test_each_day_reports_what_its_campaigns_paid_and_the_summary_sums_the_days() -> None:
    result = run(small_scenario())
    for day in result["days"]:
        paid = sum(c["spend"] for c in day["campaigns"])
        assert day["revenue"] == pytest.approx(paid, abs=1e-6)
        assert day["revenuePerThousandRequests"] == pytest.approx(
            paid * 1000 / day["requests"], abs=1e-6
        )
    summary = result["summary"]
    requests = sum(d["requests"] for d in result["days"])
    assert summary["revenue"] == pytest.approx(sum(d["revenue"] for d in result["days"]))
    assert summary["revenuePerThousandRequests"] == pytest.approx(
        summary["revenue"] * 1000 / requests, abs=1e-6
    )
    assert revenue_summary(result["days"]) == {
        k: summary[k] for k in ("revenue", "revenuePerThousandRequests")
    }


def test_second_price_pays_less_than_the_bids_when_campaigns_compete() -> None:
    # Two campaigns bidding $5 with budgets the traffic cannot exhaust: every impression
    # is priced against a runner-up, so the publisher earns under $5 per thousand.
    result = run(small_scenario(budget=1000.0, stopAfterDays=1))
    day = result["days"][0]
    impressions = sum(c["impressions"] for c in day["campaigns"])
    assert impressions > 0
    assert day["revenue"] < 5.0 * impressions / 1000
