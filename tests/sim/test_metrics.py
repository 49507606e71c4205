"""Metrics exactly as PACING_LAB.md defines them."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promovolve.sim.metrics import (
    SparkChars,
    campaign_day_metrics,
    quantize_shape,
    shape_metrics,
    sparkline,
    summarize,
    traffic_fractions,
)

volumes = st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=24, max_size=24)


def test_quantize_rounds_half_up() -> None:
    # 7·v/max hits exact halves here: 0.5 → 1, 1.5 → 2, 2.5 → 3 (banker's rounding gives 2).
    assert quantize_shape([0.5, 1.5, 2.5, 3.5, 7.0]) == [1, 2, 3, 4, 7]
    assert quantize_shape([0.0, 1.0, 2.0]) == [0, 4, 7]
    assert quantize_shape([0.0] * 24) == [0] * 24
    assert quantize_shape([]) == []


@given(volumes)
def test_quantize_levels_stay_in_range_and_top_is_seven(values: list[float]) -> None:
    levels = quantize_shape(values)
    assert len(levels) == 24 and all(0 <= x <= 7 for x in levels)
    if max(values) > 0:
        assert levels[values.index(max(values))] == 7
    # Scaling a shape does not change its levels.
    assert quantize_shape([3 * v for v in values]) == levels


def test_shape_metrics_counts_matches_and_near_misses() -> None:
    actual = [7.0, 6.0, 5.0, 0.0] + [1.0] * 20
    learned = [7.0, 5.0, 3.0, 0.0] + [1.0] * 20
    m = shape_metrics(learned, actual)
    assert m.matches == 22  # bucket 1 is one level off, bucket 2 two levels off
    assert m.within_one == 23
    la, aa = quantize_shape(learned), quantize_shape(actual)
    expected = 0.5 * sum(abs(x / sum(la) - y / sum(aa)) for x, y in zip(la, aa, strict=True))
    assert m.error == pytest.approx(expected)


def test_shape_metrics_edge_cases() -> None:
    zero = [0.0] * 24
    flat = [1.0] * 24
    assert shape_metrics(zero, zero).error == 0.0
    assert shape_metrics(zero, zero).matches == 24
    assert shape_metrics(zero, flat).error == 1.0
    assert shape_metrics(flat, zero).error == 1.0
    assert shape_metrics(flat, [5.0] * 24).matches == 24
    disjoint_a = [1.0] * 12 + [0.0] * 12
    disjoint_b = [0.0] * 12 + [1.0] * 12
    m = shape_metrics(disjoint_a, disjoint_b)
    assert (m.matches, m.within_one) == (0, 0)
    assert m.error == pytest.approx(1.0)
    with pytest.raises(ValueError):
        shape_metrics([1.0] * 23, flat)


@given(volumes, volumes)
def test_shape_metrics_invariants(learned: list[float], actual: list[float]) -> None:
    m = shape_metrics(learned, actual)
    assert 0 <= m.matches <= m.within_one <= 24
    assert 0.0 <= m.error <= 1.0 + 1e-12
    assert shape_metrics(actual, learned) == m  # symmetric
    assert shape_metrics(actual, actual).matches == 24
    assert shape_metrics(actual, actual).error == 0.0


def cumulative(per_hour: list[int]) -> list[int]:
    out, total = [], 0
    for x in per_hour:
        total += x
        out.append(total)
    return out


def test_spend_that_follows_traffic_has_no_pacing_error() -> None:
    requests = cumulative([100 * (h % 5 + 1) for h in range(24)])
    spend = [r * 10 for r in requests]  # spend exactly proportional to traffic
    m = campaign_day_metrics(spend[-1], spend, requests, None)
    assert m.utilization == 1.0 and m.overspend == 0.0
    assert m.pacing_error == pytest.approx(0.0, abs=1e-12)
    assert m.rms_pacing_error == pytest.approx(0.0, abs=1e-12)
    assert m.exhausted_at is None


def test_front_loaded_spend_shows_large_pacing_error() -> None:
    requests = cumulative([1000] * 24)  # flat traffic
    spend = [1_000_000] * 24  # the whole budget went in the first hour
    m = campaign_day_metrics(1_000_000, spend, requests, 1 / 24)
    # At t_1 spend is at 100% while traffic is at 1/24.
    assert m.pacing_error == pytest.approx(1 - 1 / 24)
    diffs = [1 - (h + 1) / 24 for h in range(24)]
    assert m.rms_pacing_error == pytest.approx(math.sqrt(sum(d * d for d in diffs) / 24))
    assert m.exhausted_at == pytest.approx(1 / 24)


def test_utilization_and_overspend() -> None:
    requests = cumulative([10] * 24)
    under = campaign_day_metrics(2_000_000, [h * 50_000 for h in range(1, 25)], requests, None)
    assert under.utilization == pytest.approx(0.6)
    assert under.overspend == 0.0
    over = campaign_day_metrics(1_000_000, [h * 50_000 for h in range(1, 25)], requests, None)
    assert over.utilization == pytest.approx(1.2)
    assert over.overspend == pytest.approx(0.2)


def test_no_spend_means_no_pacing_error() -> None:
    m = campaign_day_metrics(5_000_000, [0] * 24, cumulative([10] * 24), None)
    assert (m.utilization, m.pacing_error, m.rms_pacing_error) == (0.0, 0.0, 0.0)


def test_day_without_requests_has_a_zero_traffic_cdf() -> None:
    assert traffic_fractions([0] * 24) == [0.0] * 24
    # Spend without requests cannot happen in a run; if it does, the error is the spend CDF.
    m = campaign_day_metrics(100, [50] * 24, [0] * 24, None)
    assert m.pacing_error == 1.0 and m.rms_pacing_error == 1.0
    assert campaign_day_metrics(100, [0] * 24, [0] * 24, None).pacing_error == 0.0


def test_campaign_day_metrics_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        campaign_day_metrics(0, [0] * 24, [0] * 24, None)
    with pytest.raises(ValueError):
        campaign_day_metrics(100, [0] * 23, [0] * 24, None)
    with pytest.raises(ValueError):
        campaign_day_metrics(100, [0] * 24, [0] * 25, None)


increments = st.lists(st.integers(0, 10**6), min_size=24, max_size=24)


@given(increments, increments, st.integers(1, 10**8))
def test_pacing_error_bounds(spend_steps: list[int], request_steps: list[int], budget: int) -> None:
    spend, requests = cumulative(spend_steps), cumulative(request_steps)
    m = campaign_day_metrics(budget, spend, requests, None)
    assert 0.0 <= m.rms_pacing_error <= m.pacing_error <= 1.0 + 1e-12
    assert m.utilization == pytest.approx(spend[-1] / budget)
    assert m.overspend >= 0.0
    assert (m.overspend > 0) == (spend[-1] > budget)
    # Spending exactly along the traffic is perfect pacing, whatever the traffic.
    if requests[-1] > 0:
        along = campaign_day_metrics(budget, [r * 3 for r in requests], requests, None)
        assert along.pacing_error == pytest.approx(0.0, abs=1e-12)


def test_sparkline_levels() -> None:
    assert SparkChars == "▁▂▃▄▅▆▇█"
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == SparkChars
    assert sparkline([0.0] * 5) == "▁" * 5
    assert sparkline([]) == ""
    assert sparkline([3.0, 6.0]) == "▅█"  # 3.5 rounds up to level 4


@given(volumes, volumes)
def test_sparkline_characters_match_exactly_where_shape_levels_match(
    a: list[float], b: list[float]
) -> None:
    same = sum(x == y for x, y in zip(sparkline(a), sparkline(b), strict=True))
    assert same == shape_metrics(a, b).matches


def campaign(error: float, util: float, over: float, eligible: bool | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "campaignId": "adv-1-camp-1",
        "pacingError": error,
        "utilization": util,
        "overspend": over,
    }
    if eligible is not None:
        entry["eligible"] = eligible
    return entry


def test_summarize_uses_eligible_campaign_days_from_day_two() -> None:
    days = [
        # Day 1 is never counted for pacing, even when flagged eligible.
        {"day": 1, "shapeMatches": 5, "campaigns": [campaign(0.9, 0.1, 0.5, True)]},
        {
            "day": 2,
            "shapeMatches": 10,
            "campaigns": [campaign(0.02, 0.99, 0.0, True), campaign(0.5, 0.2, 0.0, False)],
        },
        {
            "day": 3,
            "shapeMatches": 18,
            "campaigns": [campaign(0.04, 1.0, 0.0, True), campaign(0.3, 0.5, 0.0, None)],
        },
        {"day": 4, "shapeMatches": 16, "campaigns": [campaign(0.06, 0.97, 0.01, True)]},
    ]
    summary = summarize(days)
    assert summary == {
        "campaignDays": 6,
        "eligibleCampaignDays": 3,
        "medianPacingError": pytest.approx(0.04),
        "maxPacingError": pytest.approx(0.06),
        "minUtilization": pytest.approx(0.97),
        "maxOverspend": pytest.approx(0.01),
        "meanUtilization": pytest.approx((0.99 + 1.0 + 0.97) / 3),
        "finalShapeMatches": 16,
        "minShapeMatchesFromDay3": 16,
    }


def test_summarize_with_nothing_eligible_gives_nulls() -> None:
    assert summarize([]) == {
        "campaignDays": 0,
        "eligibleCampaignDays": 0,
        "medianPacingError": None,
        "maxPacingError": None,
        "minUtilization": None,
        "maxOverspend": None,
        "meanUtilization": None,
        "finalShapeMatches": None,
        "minShapeMatchesFromDay3": None,
    }
    one = summarize([{"day": 1, "shapeMatches": 7, "campaigns": [campaign(0.1, 1, 0, True)]}])
    assert one["campaignDays"] == 1 and one["eligibleCampaignDays"] == 0
    assert one["finalShapeMatches"] == 7 and one["minShapeMatchesFromDay3"] is None
