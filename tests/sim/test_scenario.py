"""Scenario parsing: both layouts, defaults, helpers and one error per bad key."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.sim.scenario import (
    FLAT_SHAPE,
    Burst,
    ChurnEvent,
    Scenario,
    ScenarioError,
    ScheduledEvent,
    load_scenario,
    parse_scenario,
)

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
WEEKDAY = [0.3, 0.2, 1.0, 0.2, 0.0, 0.3, 0.5, 2.5, 0.1, 2.0, 1.5, 2.0]
WEEKDAY += [2.5, 3.0, 2.5, 2.0, 1.5, 1.2, 1.2, 1.0, 0.4, 2.0, 5.0, 0.4]
WEEKEND = [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 1.5, 1.8]
WEEKEND += [2.0, 2.2, 2.3, 2.2, 2.0, 1.8, 2.0, 2.5, 2.8, 2.0, 1.2, 0.5]


def parse(data: dict[str, Any]) -> Scenario:
    scenario, warnings = parse_scenario(data, "test")
    assert warnings == []
    return scenario


def error_for(data: dict[str, Any]) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "test")
    return info.value


def test_defaults_follow_the_contract_table() -> None:
    s = parse({})
    assert s.name == "test"
    assert s.description == ""
    assert (s.advertisers, s.campaigns_per_advertiser, s.creatives_per_campaign) == (1, 1, 3)
    assert (s.budget, s.budgets, s.cpm, s.cpms) == (100.0, None, 5.0, None)
    assert s.day_duration_seconds == 86400
    assert s.weekday_shape == s.weekend_shape == (1.0,) * 24
    assert (s.delay_ms, s.variable_delay, s.max_delay_ms) == (50.0, False, 500.0)
    assert (s.quiet_period_probability, s.quiet_period_min_ms, s.quiet_period_max_ms) == (
        0.0,
        35000.0,
        60000.0,
    )
    assert s.click_rate == 0.05
    assert (s.stop_after_days, s.max_requests, s.continuous, s.report_every) == (
        1,
        None,
        False,
        100,
    )
    assert (s.churn, s.bursts, s.events, s.shape_changes) == ((), (), (), ())
    assert (s.seed, s.noise, s.ctrs, s.categories) == (1, 0.0, None, ("news",))
    assert parse({}) == Scenario(name="test")


FULL_FLAT: dict[str, Any] = {
    "name": "full",
    "description": "every key",
    "advertisers": 3,
    "campaignsPerAdvertiser": 2,
    "creativesPerCampaign": 4,
    "budget": 50,
    "budgets": [10, 20.5],
    "cpm": 2.5,
    "cpms": [1, 2, 3],
    "dayDurationSeconds": 600,
    "weekdayShapeVolumes": WEEKDAY,
    "weekendShapeVolumes": WEEKEND,
    "delayMs": 10,
    "variableDelay": True,
    "maxDelayMs": 40,
    "quietPeriodProbability": 0.01,
    "quietPeriodMinMs": 1000,
    "quietPeriodMaxMs": 2000,
    "clickRate": 0.1,
    "stopAfterDays": 9,
    "maxRequests": 5000,
    "continuous": True,
    "reportEvery": 50,
    "churn": [{"day": 2, "action": "pause", "advertiser": 3}],
    "seed": 42,
    "noise": 0.2,
    "bursts": [{"day": 2, "hour": 13.5, "minutes": 30, "multiplier": 4}],
    "events": [
        {"day": 3, "hour": 12, "action": "setBudget", "advertiser": 1, "campaign": 2, "budget": 5},
        {"day": 4, "hour": 0, "action": "pause", "advertiser": 2},
    ],
    "ctrs": [0.01, 0.02],
    "categories": ["news", "sports"],
    "shapeChanges": [{"day": 4, "weekdayShapeVolumes": WEEKEND}],
}


def test_flat_layout_reads_every_key() -> None:
    s = parse(FULL_FLAT)
    assert s.name == "full" and s.description == "every key"
    assert (s.advertisers, s.campaigns_per_advertiser, s.creatives_per_campaign) == (3, 2, 4)
    assert s.budgets == (10.0, 20.5) and s.cpms == (1.0, 2.0, 3.0)
    assert s.day_duration_seconds == 600
    assert s.weekday_shape == tuple(WEEKDAY) and s.weekend_shape == tuple(WEEKEND)
    assert (s.delay_ms, s.variable_delay, s.max_delay_ms) == (10.0, True, 40.0)
    assert (s.quiet_period_probability, s.quiet_period_min_ms, s.quiet_period_max_ms) == (
        0.01,
        1000.0,
        2000.0,
    )
    assert (s.click_rate, s.stop_after_days, s.max_requests) == (0.1, 9, 5000)
    assert (s.continuous, s.report_every, s.seed, s.noise) == (True, 50, 42, 0.2)
    assert s.churn == (ChurnEvent(day=2, action="pause", advertiser=3),)
    assert s.bursts == (Burst(day=2, hour=13.5, minutes=30.0, multiplier=4.0),)
    assert s.events == (
        ScheduledEvent(day=3, hour=12.0, action="setBudget", advertiser=1, campaign=2, budget=5.0),
        ScheduledEvent(day=4, hour=0.0, action="pause", advertiser=2),
    )
    assert s.ctrs == (0.01, 0.02) and s.categories == ("news", "sports")


def test_grouped_layout_means_the_same_as_flat() -> None:
    groups = {
        "setup": ("name", "description", "advertisers", "campaignsPerAdvertiser"),
        "pacing": ("dayDurationSeconds", "weekdayShapeVolumes", "weekendShapeVolumes"),
        "traffic": ("delayMs", "variableDelay", "maxDelayMs", "quietPeriodProbability"),
    }
    grouped: dict[str, Any] = {}
    rest = dict(FULL_FLAT)
    for group, keys in groups.items():
        grouped[group] = {key: rest.pop(key) for key in keys}
    grouped["churn"] = {"churn": rest.pop("churn")}
    grouped.update(rest)
    assert parse(grouped) == parse(FULL_FLAT)


def test_churn_may_be_the_list_itself_beside_groups() -> None:
    s = parse(
        {
            "setup": {"advertisers": 2},
            "churn": [{"day": 3, "action": "resume", "advertiser": 2}],
        }
    )
    assert s.churn == (ChurnEvent(day=3, action="resume", advertiser=2),)


def test_a_key_given_twice_is_an_error() -> None:
    e = error_for({"budget": 5, "setup": {"budget": 6}})
    assert e.key == "budget" and "twice" in e.problem


def test_a_group_must_be_an_object() -> None:
    assert error_for({"setup": [1]}).key == "setup"


def test_unknown_keys_warn_once_each_naming_them() -> None:
    data = {
        "advertisers": 2,
        "colour": "blue",
        "traffic": {"delayMs": 5, "speed": 3},
        "churn": [{"day": 2, "action": "pause", "advertiser": 1, "why": "x"}],
    }
    scenario, warnings = parse_scenario(data, "t")
    assert scenario.delay_ms == 5.0
    assert len(warnings) == 3
    assert any("'colour'" in w for w in warnings)
    assert any("'speed'" in w for w in warnings)
    assert any("'churn[0].why'" in w for w in warnings)


def test_error_message_names_key_and_problem() -> None:
    e = error_for({"budget": -3})
    assert (e.key, e.problem) == ("budget", "must be a positive number, got -3")
    assert str(e) == "scenario key 'budget': must be a positive number, got -3"
    assert isinstance(e, ValueError)


def test_day_duration_above_a_day_uses_the_seed_message() -> None:
    e = error_for({"dayDurationSeconds": 86401})
    assert e.key == "dayDurationSeconds"
    assert e.problem == "dayDurationSeconds cannot exceed 86400 (24 hours)"
    assert parse({"dayDurationSeconds": 86400}).day_duration_seconds == 86400
    assert parse({"dayDurationSeconds": 600.0}).day_duration_seconds == 600


@pytest.mark.parametrize("value", [0, -5, 600.5, "600", True, None])
def test_day_duration_must_be_a_positive_integer(value: object) -> None:
    if value is None:  # null means "not given"
        assert parse({"dayDurationSeconds": value}).day_duration_seconds == 86400
        return
    assert error_for({"dayDurationSeconds": value}).key == "dayDurationSeconds"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"advertisers": 0}, "advertisers"),
        ({"advertisers": 1.5}, "advertisers"),
        ({"advertisers": True}, "advertisers"),
        ({"campaignsPerAdvertiser": -1}, "campaignsPerAdvertiser"),
        ({"creativesPerCampaign": "3"}, "creativesPerCampaign"),
        ({"budget": 0}, "budget"),
        ({"budget": 2e9}, "budget"),
        ({"budget": True}, "budget"),
        ({"budget": math.inf}, "budget"),
        ({"budget": math.nan}, "budget"),
        ({"budgets": []}, "budgets"),
        ({"budgets": 5}, "budgets"),
        ({"budgets": [5, -1]}, "budgets[1]"),
        ({"cpm": -1}, "cpm"),
        ({"cpms": [1, False]}, "cpms[1]"),
        ({"weekdayShapeVolumes": [1.0] * 23}, "weekdayShapeVolumes"),
        ({"weekdayShapeVolumes": [0.0] * 24}, "weekdayShapeVolumes"),
        ({"weekendShapeVolumes": [1.0] * 23 + [-1.0]}, "weekendShapeVolumes[23]"),
        ({"weekendShapeVolumes": [1.0] * 23 + [math.inf]}, "weekendShapeVolumes[23]"),
        ({"weekdayShapeVolumes": "flat"}, "weekdayShapeVolumes"),
        ({"delayMs": 0}, "delayMs"),
        ({"variableDelay": 1}, "variableDelay"),
        ({"variableDelay": True, "delayMs": 100, "maxDelayMs": 50}, "maxDelayMs"),
        ({"quietPeriodProbability": 1.5}, "quietPeriodProbability"),
        ({"quietPeriodMinMs": -1}, "quietPeriodMinMs"),
        ({"quietPeriodMinMs": 10, "quietPeriodMaxMs": 5}, "quietPeriodMinMs"),
        ({"clickRate": -0.1}, "clickRate"),
        ({"stopAfterDays": 0}, "stopAfterDays"),
        ({"maxRequests": 0}, "maxRequests"),
        ({"continuous": "yes"}, "continuous"),
        ({"reportEvery": 0}, "reportEvery"),
        ({"seed": 1.5}, "seed"),
        ({"noise": -0.1}, "noise"),
        ({"ctrs": [0.1, 2]}, "ctrs[1]"),
        ({"categories": ["news", ""]}, "categories[1]"),
        ({"categories": "news"}, "categories"),
        ({"name": 5}, "name"),
        ({"churn": "none"}, "churn"),
        ({"churn": [5]}, "churn[0]"),
        ({"churn": [{"action": "pause", "advertiser": 1}]}, "churn[0].day"),
        ({"churn": [{"day": 0, "action": "pause", "advertiser": 1}]}, "churn[0].day"),
        ({"churn": [{"day": 10001, "action": "pause", "advertiser": 1}]}, "churn[0].day"),
        ({"churn": [{"day": 2, "action": "stop", "advertiser": 1}]}, "churn[0].action"),
        ({"churn": [{"day": 2, "action": "pause", "advertiser": 2}]}, "churn[0].advertiser"),
        ({"bursts": [{"day": 2, "hour": 24, "minutes": 5, "multiplier": 2}]}, "bursts[0].hour"),
        ({"bursts": [{"day": 2, "hour": 1, "minutes": 0, "multiplier": 2}]}, "bursts[0].minutes"),
        (
            {"bursts": [{"day": 2, "hour": 1, "minutes": 5, "multiplier": 0}]},
            "bursts[0].multiplier",
        ),
        (
            {"events": [{"day": 2, "hour": 1, "action": "setBudget", "advertiser": 1}]},
            "events[0].budget",
        ),
        (
            {
                "events": [
                    {"day": 2, "hour": 1, "action": "setBudget", "advertiser": 1, "budget": 0}
                ]
            },
            "events[0].budget",
        ),
        (
            {"events": [{"day": 2, "hour": 1, "action": "pause", "advertiser": 1, "budget": 5}]},
            "events[0].budget",
        ),
        (
            {"events": [{"day": 2, "hour": -1, "action": "pause", "advertiser": 1}]},
            "events[0].hour",
        ),
        (
            {"events": [{"day": 2, "hour": 1, "action": "stop", "advertiser": 1}]},
            "events[0].action",
        ),
        (
            {"events": [{"day": 2, "hour": 1, "action": "pause", "advertiser": 1, "campaign": 2}]},
            "events[0].campaign",
        ),
        ({"shapeChanges": [{"day": 4}]}, "shapeChanges[0].weekdayShapeVolumes"),
        (
            {"shapeChanges": [{"day": 4, "weekendShapeVolumes": [1] * 3}]},
            "shapeChanges[0].weekendShapeVolumes",
        ),
        (
            {
                "shapeChanges": [
                    {"day": 4, "weekdayShapeVolumes": WEEKDAY},
                    {"day": 4, "weekdayShapeVolumes": WEEKEND},
                ]
            },
            "shapeChanges[1].day",
        ),
    ],
)
def test_bad_values_name_their_key(data: dict[str, Any], key: str) -> None:
    assert error_for(data).key == key


def test_max_delay_below_delay_is_fine_when_the_delay_is_fixed() -> None:
    assert parse({"delayMs": 1000, "maxDelayMs": 500}).delay_ms == 1000.0


def test_one_shape_serves_both_day_types() -> None:
    s = parse({"weekendShapeVolumes": WEEKEND})
    assert s.weekday_shape == s.weekend_shape == tuple(WEEKEND)
    s = parse({"weekdayShapeVolumes": WEEKDAY})
    assert s.weekday_shape == s.weekend_shape == tuple(WEEKDAY)


def test_weekends_are_days_6_and_7_of_each_week() -> None:
    s = Scenario()
    assert [d for d in range(1, 16) if s.is_weekend(d)] == [6, 7, 13, 14]


def test_shape_for_day_picks_day_type_and_honours_shape_changes() -> None:
    late = [1.0] * 12 + [3.0] * 12
    s = parse(
        {
            "weekdayShapeVolumes": WEEKDAY,
            "weekendShapeVolumes": WEEKEND,
            "shapeChanges": [
                {"day": 9, "weekdayShapeVolumes": WEEKDAY, "weekendShapeVolumes": WEEKDAY},
                {"day": 4, "weekdayShapeVolumes": late},
            ],
        }
    )
    assert [c.day for c in s.shape_changes] == [4, 9]  # kept in day order
    assert s.shape_for_day(1) == tuple(WEEKDAY)
    assert s.shape_for_day(3) == tuple(WEEKDAY)
    assert s.shape_for_day(4) == tuple(late)
    assert s.shape_for_day(6) == tuple(late)  # a lone shape serves both day types
    assert s.shape_for_day(9) == tuple(WEEKDAY)
    assert s.shape_for_day(13) == tuple(WEEKDAY)
    assert parse({}).shape_for_day(6) == FLAT_SHAPE


def test_budgets_and_cpms_are_cycled_per_advertiser() -> None:
    s = parse({"advertisers": 5, "budget": 7, "budgets": [100, 5], "cpms": [1, 2, 3]})
    assert [s.advertiser_budget(a) for a in range(1, 6)] == [100.0, 5.0, 100.0, 5.0, 100.0]
    assert [s.advertiser_cpm(a) for a in range(1, 6)] == [1.0, 2.0, 3.0, 1.0, 2.0]
    plain = parse({"advertisers": 2, "budget": 7, "cpm": 4})
    assert plain.advertiser_budget(2) == 7.0 and plain.advertiser_cpm(1) == 4.0
    with pytest.raises(ValueError):
        s.advertiser_budget(0)
    with pytest.raises(ValueError):
        s.advertiser_cpm(6)


def test_campaign_ids_run_advertiser_by_advertiser() -> None:
    s = parse({"advertisers": 2, "campaignsPerAdvertiser": 3})
    assert s.campaign_ids() == [
        "adv-1-camp-1",
        "adv-1-camp-2",
        "adv-1-camp-3",
        "adv-2-camp-1",
        "adv-2-camp-2",
        "adv-2-camp-3",
    ]


def test_creative_ctrs_cycle_else_click_rate() -> None:
    s = parse({"ctrs": [0.1, 0.2, 0.3], "clickRate": 0.07})
    assert [s.creative_ctr(i) for i in range(5)] == [0.1, 0.2, 0.3, 0.1, 0.2]
    assert parse({"clickRate": 0.07}).creative_ctr(11) == 0.07


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["budget", "cpm", "delayMs", "advertisers", "clickRate", "noise"]),
        st.one_of(
            st.integers(-10, 10**10),
            st.floats(allow_nan=True, allow_infinity=True),
            st.booleans(),
            st.text(alphabet="5a.", max_size=3),
            st.none(),
        ),
    )
)
def test_parser_either_accepts_or_raises_scenario_error(data: dict[str, Any]) -> None:
    # Whatever the values, parsing never fails with anything but a ScenarioError.
    try:
        scenario, _ = parse_scenario(data, "h")
    except ScenarioError as error:
        assert error.key in data
        return
    assert scenario.budget > 0 and math.isfinite(scenario.budget)
    assert scenario.delay_ms > 0 and scenario.advertisers >= 1
    assert 0 <= scenario.click_rate <= 1


def test_load_scenario_names_by_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "my-run.json"
    path.write_text(json.dumps({"advertisers": 2}), encoding="utf-8")
    scenario, warnings = load_scenario(path)
    assert (scenario.name, scenario.advertisers, warnings) == ("my-run", 2, [])


def test_load_scenario_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as missing:
        load_scenario(tmp_path / "absent.json")
    assert missing.value.key == "(file)" and "absent.json" in missing.value.problem

    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "budget": 5,\n  oops\n}', encoding="utf-8")
    with pytest.raises(ScenarioError) as invalid:
        load_scenario(broken)
    assert invalid.value.key == "(file)"
    assert "line 3 column 3" in invalid.value.problem

    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ScenarioError) as top:
        load_scenario(listed)
    assert top.value.key == "(file)" and "object" in top.value.problem


def test_load_scenario_reports_value_errors_by_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"pacing": {"dayDurationSeconds": 90000}}), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.key == "dayDurationSeconds"


def test_every_bundled_scenario_parses_without_warnings() -> None:
    paths = sorted(SCENARIO_DIR.glob("*.json"))
    assert len(paths) >= 12
    for path in paths:
        scenario, warnings = load_scenario(path)
        assert warnings == [], path.name
        assert scenario.name
