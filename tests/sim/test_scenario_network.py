"""Network scenario keys: sites, advertiserSites, configuredShapes, startDay, silences."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.sim.scenario import Scenario, ScenarioError, Silence, parse_scenario
from promovolve.sim.traffic import generate_day_arrivals

EVENING = [0.1] * 18 + [1.0, 2.0, 3.0, 2.0, 1.0, 0.1]


def parse(data: dict[str, Any]) -> Scenario:
    scenario, warnings = parse_scenario(data, "net")
    assert warnings == []
    return scenario


def test_a_site_takes_the_top_level_value_of_every_key_it_leaves_out() -> None:
    s = parse(
        {
            "delayMs": 20,
            "noise": 0.1,
            "categories": ["news"],
            "sites": [
                {"id": "a"},
                {"id": "b", "delayMs": 70, "weekendShapeVolumes": EVENING, "startDay": 3},
            ],
        }
    )
    (a_id, a), (b_id, b) = s.site_traffic()
    assert (a_id, b_id) == ("a", "b")
    assert (a.delay_ms, a.noise, a.weekday_shape, a.start_day) == (20.0, 0.1, (1.0,) * 24, 1)
    assert (b.delay_ms, b.noise, b.start_day) == (70.0, 0.1, 3)
    # A site's lone shape serves both of its day types, as at the top level.
    assert b.weekday_shape == b.weekend_shape == tuple(EVENING)
    assert a.sites == () and b.sites == ()
    assert s.site_ids() == ("a", "b") and s.advertiser_site_ids(1) == ("a", "b")
    assert not s.configured_shapes


def test_a_plain_scenario_is_its_own_one_site() -> None:
    s = parse({"delayMs": 20})
    assert s.site_traffic() == (("lab-site", s),)
    assert s.advertiser_site_ids(1) == ("lab-site",)


def test_advertiser_sites_are_cycled() -> None:
    s = parse(
        {
            "advertisers": 3,
            "sites": [{"id": "a"}, {"id": "b"}],
            "advertiserSites": [["b"], ["a", "b"]],
        }
    )
    assert [s.advertiser_site_ids(a) for a in (1, 2, 3)] == [("b",), ("a", "b"), ("b",)]


def test_grouped_layout_may_carry_the_network_keys() -> None:
    s = parse({"setup": {"sites": [{"id": "x"}], "configuredShapes": True}})
    assert s.site_ids() == ("x",) and s.configured_shapes


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"sites": "a"}, "sites"),
        ({"sites": [{"delayMs": 5}]}, "sites[0].id"),
        ({"sites": [{"id": ""}]}, "sites[0].id"),
        ({"sites": [{"id": "a,b"}]}, "sites[0].id"),
        ({"sites": [{"id": "a"}, {"id": "a"}]}, "sites[1].id"),
        ({"sites": [{"id": "a", "delayMs": 0}]}, "sites[0].delayMs"),
        ({"sites": [{"id": "a", "weekdayShapeVolumes": [1] * 5}]}, "sites[0].weekdayShapeVolumes"),
        ({"sites": [{"id": "a", "startDay": 0}]}, "sites[0].startDay"),
        (
            {
                "sites": [
                    {"id": "a", "bursts": [{"day": 1, "hour": 25, "minutes": 5, "multiplier": 2}]}
                ]
            },
            "sites[0].bursts[0].hour",
        ),
        (
            {"sites": [{"id": "a", "variableDelay": True, "delayMs": 100, "maxDelayMs": 50}]},
            "sites[0].maxDelayMs",
        ),
        (
            {
                "quietPeriodMinMs": 5,
                "quietPeriodMaxMs": 10,
                "sites": [{"id": "a", "quietPeriodMinMs": 20}],
            },
            "sites[0].quietPeriodMinMs",
        ),
        ({"sites": [{"id": "a"}], "advertiserSites": [["a"], ["z"]]}, "advertiserSites[1][0]"),
        ({"advertiserSites": [[]]}, "advertiserSites[0]"),
        ({"advertiserSites": []}, "advertiserSites"),
        ({"configuredShapes": 1}, "configuredShapes"),
        ({"silences": [{"day": 1, "hour": 3, "hours": 0}]}, "silences[0].hours"),
        ({"silences": [{"day": 1, "hours": 2}]}, "silences[0].hour"),
    ],
)
def test_bad_network_values_name_their_dotted_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "net")
    assert info.value.key == key
    assert str(info.value).startswith(f"scenario key '{key}': ")
    assert "\n" not in str(info.value)


def test_unknown_keys_inside_sites_warn_with_their_path() -> None:
    data = {
        "sites": [
            {"id": "a", "colour": "red", "silences": [{"day": 1, "hour": 1, "hours": 1, "why": 1}]}
        ]
    }
    _, warnings = parse_scenario(data, "net")
    assert warnings == [
        "unknown scenario key 'sites[0].colour' ignored",
        "unknown scenario key 'sites[0].silences[0].why' ignored",
    ]


def test_no_arrivals_before_the_start_day() -> None:
    s = Scenario(day_duration_seconds=600, delay_ms=20, start_day=3)
    assert generate_day_arrivals(s, 1, random.Random(1)) == []
    assert generate_day_arrivals(s, 2, random.Random(1)) == []
    assert len(generate_day_arrivals(s, 3, random.Random(1))) > 1000


@settings(deadline=None, max_examples=40)
@given(
    hour=st.floats(0, 23.9),
    hours=st.floats(0.1, 24),
    quiet=st.booleans(),
)
def test_no_arrival_falls_in_a_silence(hour: float, hours: float, quiet: bool) -> None:
    length = 2400
    s = Scenario(
        day_duration_seconds=length,
        delay_ms=50,
        silences=(Silence(day=1, hour=hour, hours=hours),),
        quiet_period_probability=0.01 if quiet else 0.0,
        quiet_period_min_ms=500,
        quiet_period_max_ms=1000,
    )
    start = hour * length / 24
    end = min(length, start + hours * length / 24)
    arrivals = generate_day_arrivals(s, 1, random.Random(5))
    assert not [t for t in arrivals if start <= t < end]
    assert all(0 <= t < length for t in arrivals)
    # Outside the silence the site still has its traffic.
    if end - start < length - 100:
        assert arrivals


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 30)
    | st.floats(-1, 30)
    | st.text("ab,", max_size=3),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "delayMs", "day", "hour", "hours", "x"]), children)
    ),
    max_leaves=8,
)


@settings(deadline=None, max_examples=200)
@given(
    st.dictionaries(
        st.sampled_from(["sites", "advertiserSites", "silences", "startDay", "configuredShapes"]),
        json_values,
    )
)
def test_network_keys_either_parse_or_raise_a_scenario_error(data: dict[str, Any]) -> None:
    try:
        scenario, _ = parse_scenario(data, "h")
    except ScenarioError as error:
        assert error.key.split(".")[0].split("[")[0] in data
        assert "\n" not in str(error)
        return
    ids = scenario.site_ids()
    assert len(set(ids)) == len(ids) >= 1
    assert set(scenario.advertiser_site_ids(1)) <= set(ids)
