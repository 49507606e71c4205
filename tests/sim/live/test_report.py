"""The live simulator's periodic report (pure): the seed's format, trends, shapes."""

from __future__ import annotations

import pytest

from promovolve.sim.live.report import (
    Counts,
    PacingReporter,
    StatsSample,
    find_learned_shape,
    learned_days,
    quantize,
    rate_status,
    shape_lines,
    sparkline,
    trend,
)


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


def test_report_shows_every_outcome() -> None:
    sample = StatsSample(elapsed=10.0)
    lines = PacingReporter().report(Counts(100, 50, 30, 15, 5), sample, 1.0, 10.0, [1.0] * 24, 0, 1)
    # The seed's lines come first, in its order; the other two outcomes follow them.
    assert lines[3:6] == ["Pacing skip: 30", "Budget exhausted: 15", "No candidates: 5"]


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


def test_the_servers_learned_shape_and_its_days() -> None:
    shape = [float(i) for i in range(24)]
    stats = {
        "learnedShape": {
            "active": shape,
            "weekday": shape,
            "weekend": [1.0] * 24,
            "weekdayDaysLearned": 3,
            "weekendDaysLearned": 0,
        }
    }
    assert find_learned_shape(stats, weekend=False) == shape
    assert learned_days(stats, weekend=False) == 3
    assert learned_days(stats, weekend=True) == 0
    assert learned_days({}, weekend=False) is None
    sample = StatsSample.from_stats(1.0, None, stats, weekend=False)
    assert sample.days_learned == 3


SPIKY = [1.0] * 12 + [8.0] + [1.0] * 11


def test_a_shape_learned_from_traffic_says_so() -> None:
    lines = shape_lines([1.0] * 24, SPIKY, 5, None, 2)
    assert lines[0].startswith("  Learned:  ") and "(from traffic; 2 days learned)" in lines[0]
    assert lines[1].startswith("  Actual:   ")
    assert lines[2] == "  Shape: 1/24 buckets match, 1/24 within one bar"
    assert not any("Config" in line for line in lines)
    assert "(from traffic; 1 day learned)" in shape_lines(SPIKY, SPIKY, None, None, 1)[0]


def test_a_configured_shape_is_shown_apart_from_the_learned_one() -> None:
    lines = shape_lines(SPIKY, SPIKY, None, SPIKY, 4)
    assert lines[0] == "  Config:   " + sparkline(SPIKY)
    assert "(the configured shape, refined by traffic)" in lines[1]
    assert lines[3].startswith("  Shape: 24/24 buckets match")
    assert lines[3].endswith("(the server started from the configured shape)")


def test_no_learned_shape() -> None:
    assert shape_lines(None, SPIKY, None)[0] == "  Learned:  (not reported by the server)"
