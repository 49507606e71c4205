"""The readable report of a lab result, rendered to a recording console."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from promovolve.sim.metrics import sparkline, summarize
from promovolve.sim.report import render_report

ACTUAL = [0.3, 0.2, 1.0, 0.2, 0.0, 0.3, 0.5, 2.5, 0.1, 2.0, 1.5, 2.0]
ACTUAL += [2.5, 3.0, 2.5, 2.0, 1.5, 1.2, 1.2, 1.0, 0.4, 2.0, 5.0, 0.4]
LEARNED = [1.0] * 24


def campaign(cid: str, error: float, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "campaignId": cid,
        "budget": 100.0,
        "spend": 99.62,
        "utilization": 0.9962,
        "overspend": 0.0,
        "pacingError": error,
        "rmsPacingError": error / 2,
        "exhaustedAt": None,
        "impressions": 19924,
        "clicks": 997,
    }
    entry.update(extra)
    return entry


def day(number: int, campaigns: list[dict[str, Any]], matches: int = 9) -> dict[str, Any]:
    return {
        "day": number,
        "weekend": number % 7 in (6, 0),
        "requests": 123456,
        "learnedShape": LEARNED,
        "actualShape": ACTUAL,
        "shapeMatches": matches,
        "shapeWithinOne": 20,
        "shapeError": 0.031,
        "campaigns": campaigns,
    }


def result(days: list[dict[str, Any]], summary: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "scenario": "continuous",
        "strategy": "default",
        "seed": 1,
        "simulation": {"requests": 1234567, "wallSeconds": 41.2, "requestsPerSecond": 29965},
        "days": days,
        "summary": summarize(days) if summary is None else summary,
    }


def render(data: dict[str, Any]) -> str:
    console = Console(record=True, width=120)
    render_report(data, console)
    return console.export_text()


def test_header_names_run_and_speed() -> None:
    text = render(result([day(1, [campaign("adv-1-camp-1", 0.014)])]))
    first = text.splitlines()[0]
    assert "continuous" in first and "default" in first and "seed 1" in first
    assert "1,234,567" in text
    assert "41.20 s" in text
    assert "29,965 requests/s" in text


def test_day_block_has_campaign_rows_and_sparklines() -> None:
    text = render(
        result(
            [
                day(
                    6,
                    [
                        campaign("adv-1-camp-1", 0.014),
                        campaign("adv-2-camp-1", 0.2, exhaustedAt=0.5, overspend=0.01),
                    ],
                )
            ]
        )
    )
    assert "Day 6 · weekend · 123,456 requests" in text
    assert "adv-1-camp-1" in text and "adv-2-camp-1" in text
    assert "99.6%" in text  # utilization
    assert "0.014" in text and "0.500" in text  # pacing error, exhaustion time
    assert "19,924" in text and "997" in text
    lines = text.splitlines()
    learned = next(line for line in lines if line.startswith("Learned:"))
    actual = next(line for line in lines if line.startswith("Actual:"))
    # Same column as the seed's display: both sparklines start after a 10-character label.
    assert learned == "Learned:  " + sparkline(LEARNED)
    assert actual == "Actual:   " + sparkline(ACTUAL)
    assert "Matches (9/24)" in text
    assert "within one bar 20/24" in text


def test_many_campaigns_show_only_the_worst_eight() -> None:
    campaigns = [campaign(f"adv-{i}-camp-1", i / 100) for i in range(1, 13)]
    text = render(result([day(2, campaigns)]))
    for i in range(5, 13):
        assert f"adv-{i}-camp-1 " in text
    for i in range(1, 5):
        assert f"adv-{i}-camp-1 " not in text
    assert "4 more campaigns" in text
    assert "worst 8 of 12" in text


def test_summary_table_lists_the_summary_block() -> None:
    days = [
        day(1, [campaign("adv-1-camp-1", 0.3, eligible=True)], matches=5),
        day(2, [campaign("adv-1-camp-1", 0.02, eligible=True)], matches=12),
        day(3, [campaign("adv-1-camp-1", 0.04, eligible=True)], matches=17),
    ]
    text = render(result(days))
    assert "Summary" in text
    assert "Campaign-days" in text
    summary_text = text[text.index("Summary") :]
    assert "Median pacing error" in summary_text and "0.030" in summary_text
    assert "Max pacing error" in summary_text and "0.040" in summary_text
    assert "Final shape matches (/24)" in summary_text and "17" in summary_text


def test_missing_summary_is_computed_and_extra_keys_are_shown() -> None:
    days = [day(2, [campaign("adv-1-camp-1", 0.05, eligible=True)])]
    no_summary = result(days)
    del no_summary["summary"]
    assert "Max pacing error" in render(no_summary)
    extra = render(result(days, {**summarize(days), "oracleGap": 0.123}))
    assert "oracleGap" in extra and "0.123" in extra


def test_markup_in_names_is_printed_verbatim() -> None:
    data = result([day(1, [campaign("adv-[bold]1[/bold]", 0.1)])])
    data["scenario"] = "[red]x[/red]"
    text = render(data)
    assert "[red]x[/red]" in text
    assert "adv-[bold]1[/bold]" in text


def test_empty_result_still_renders() -> None:
    text = render({"scenario": "empty", "days": []})
    assert "empty" in text and "Summary" in text


def test_a_network_day_shows_each_sites_shapes_and_the_worst_site_summarizes() -> None:
    sites = [
        {"siteId": "morning", "requests": 100, "learnedShape": ACTUAL, "actualShape": ACTUAL,
         "shapeMatches": 24, "shapeWithinOne": 24, "shapeError": 0.0},
        {"siteId": "evening", "requests": 50, "learnedShape": LEARNED, "actualShape": ACTUAL,
         "shapeMatches": 5, "shapeWithinOne": 9, "shapeError": 0.4},
    ]  # fmt: skip
    days = [
        {"day": d, "weekend": False, "requests": 150, "sites": sites,
         "campaigns": [campaign("adv-1-camp-1", 0.2, sites=["morning", "evening"])]}
        for d in (1, 2, 3)
    ]  # fmt: skip
    summary = summarize(days)
    assert (summary["finalShapeMatches"], summary["minShapeMatchesFromDay3"]) == (5, 5)
    console = Console(record=True, width=120)
    render_report({"scenario": "net", "strategy": "default", "seed": 1, "days": days}, console)
    text = console.export_text()
    assert "Site morning · 100 requests" in text and "Site evening · 50 requests" in text
    assert text.count("Matches (24/24)") == 3 and text.count("Matches (5/24)") == 3
    assert sparkline(ACTUAL) in text
