"""What the live simulator prints: the end-of-day line and the summary."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console

from promovolve.sim.live import SimCampaign, SimCounters, SimResult, SimWorld
from promovolve.sim.live.display import day_line, print_summary
from promovolve.sim.scenario import parse_scenario


def a_world() -> SimWorld:
    world = SimWorld("r", "pub", "key", "site", "r.example")
    world.campaigns.append(SimCampaign(1, 1, "c", "a", "k", budget=2.5, cpm=5.0))
    return world


def test_day_line_falls_back_to_the_answers_when_the_server_day_has_ended() -> None:
    """The day's closing stats can arrive after the server rolled over (its "today" is then
    the next day, with no spend yet); the line then shows the spend the answers carried."""
    counters, world = SimCounters(), a_world()
    # The simulator's day 2 is the server's day 41 (its day 1 was the server's 40).
    on_time = day_line(2, counters, world, 1.25, 41, {"totalSpend": 1.25}, {"dayIndex": 41})
    assert "the day's spend $1.2500 of $2.50 (50.0%)" in on_time
    late = day_line(2, counters, world, 1.25, 41, {"totalSpend": 0.0}, {"dayIndex": 42})
    assert "the day's spend $1.2500" in late and "answers" in late
    unknown = day_line(2, counters, world, 1.25, 41, {"totalSpend": 0.0}, None)
    assert "the day's spend $1.2500" in unknown


def test_day_line_counts_budget_exhausted_answers() -> None:
    counters = SimCounters(requests=10, outcomes=Counter(selected=6, budgetExhausted=4))
    line = day_line(1, counters, a_world(), 0.03, None, None)
    assert line.startswith("Day 1 ended: 10 requests so far, 6 selected, 4 budget exhausted;")


def summary(result: SimResult) -> str:
    scenario, _ = parse_scenario({"name": "tiny"}, "tiny")
    out = io.StringIO()
    print_summary(Console(file=out, width=200, color_system=None), scenario, result)
    return out.getvalue()


def test_the_summary_names_all_four_outcomes() -> None:
    counters = SimCounters(
        dispatched=10, requests=10, outcomes=Counter(selected=7, pacingSkipped=3)
    )
    stats = {"selected": 7, "pacingSkipped": 3, "budgetExhausted": 0, "noCandidates": 0}
    text = summary(SimResult(a_world(), counters, 0, 1, 5.0, False, None, test_stats=stats))
    assert "selected 7, pacingSkipped 3, budgetExhausted 0, noCandidates 0" in text
    assert "Server site stats │ selected 7, pacingSkipped 3, budgetExhausted 0" in text
    assert "interrupted" not in text


def test_an_interrupted_run_still_prints_its_summary() -> None:
    text = summary(SimResult(a_world(), SimCounters(), 0, 1, 0.5, True, None))
    assert "Simulation summary" in text and "interrupted (Ctrl-C)" in text
    before_the_site = summary(SimResult(None, SimCounters(), 0, 1, 0.1, True, None))
    assert before_the_site.strip() == "interrupted before any traffic"


def test_a_configured_shape_is_in_the_summary() -> None:
    world = a_world()
    world.configured_shapes = ([1.0] * 24, None)
    shapes = {"learnedShape": {"active": [1.0] * 24, "weekdayDaysLearned": 4}}
    text = summary(SimResult(world, SimCounters(), 0, 1, 1.0, False, None, site_stats=shapes))
    assert "Config:   ████████████████████████" in text
    assert "(the configured shape, refined by traffic)" in text
