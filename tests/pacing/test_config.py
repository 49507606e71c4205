"""PacingConfig: the seed's site pacing settings and their validation."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.pacing.config import PacingConfig, PacingConfigError

# The body of the seed's `curl -X PUT .../sites/site-123/pacing` example, verbatim.
SEED_BODY = """{
"dayDurationSeconds": 600,
"weekdayShapeVolumes":
[0.3,0.2,1.0,0.2,0.0,0.3,0.5,2.5,0.1,2.0,1.5,2.0,2.5,3.0,2.5,2.0,1.5,1.2,1.2,1.0,0.4,2.0,5.0,0.4],
"weekendShapeVolumes":
[0.3,0.2,0.1,0.1,0.1,0.2,0.3,0.5,0.8,1.2,1.5,1.8,2.0,2.2,2.3,2.2,2.0,1.8,2.0,2.5,2.8,2.0,1.2,0.5]
}"""

FLAT = [1.0] * 24


def error_for(body: dict[str, object]) -> PacingConfigError:
    with pytest.raises(PacingConfigError) as info:
        PacingConfig.from_json(body)
    return info.value


def test_seed_curl_example_parses():
    config = PacingConfig.from_json(json.loads(SEED_BODY))
    assert config.day_duration_seconds == 600
    assert config.weekday_shape_volumes is not None
    assert config.weekend_shape_volumes is not None
    assert len(config.weekday_shape_volumes) == 24
    assert config.weekday_shape_volumes[22] == 5.0
    assert config.weekday_shape_volumes[4] == 0.0
    assert config.weekend_shape_volumes[20] == 2.8
    assert config.warmup_mode is False
    assert config.test_throttle_override is None


def test_seed_test_throttle_override_parses():
    config = PacingConfig.from_json({"testThrottleOverride": 0.5})
    assert config.test_throttle_override == 0.5
    assert config.day_duration_seconds == 86400
    assert config.weekday_shape_volumes is None


def test_empty_body_gives_defaults():
    config = PacingConfig.from_json({})
    assert config == PacingConfig()
    assert config.day_duration_seconds == 86400
    assert not config.warmup_mode


def test_warmup_mode_parses():
    assert PacingConfig.from_json({"warmupMode": True}).warmup_mode is True


def test_json_round_trip():
    config = PacingConfig.from_json(json.loads(SEED_BODY))
    assert PacingConfig.from_json(config.to_json()) == config
    assert PacingConfig.from_json(json.loads(json.dumps(config.to_json()))) == config
    body = config.to_json()
    assert body["dayDurationSeconds"] == 600
    assert set(body) == {
        "dayDurationSeconds",
        "weekdayShapeVolumes",
        "weekendShapeVolumes",
        "warmupMode",
        "testThrottleOverride",
    }


def test_day_too_long_has_the_seed_message():
    error = error_for({"dayDurationSeconds": 86401})
    assert error.field == "dayDurationSeconds"
    assert str(error) == "dayDurationSeconds cannot exceed 86400 (24 hours)"


@pytest.mark.parametrize("value", [0, -600, 600.5, "600", True, None, math.inf, math.nan, [600]])
def test_bad_day_duration_names_the_field(value: object):
    assert error_for({"dayDurationSeconds": value}).field == "dayDurationSeconds"


def test_whole_float_day_duration_is_accepted():
    assert PacingConfig.from_json({"dayDurationSeconds": 600.0}).day_duration_seconds == 600


@pytest.mark.parametrize("field", ["weekdayShapeVolumes", "weekendShapeVolumes"])
@pytest.mark.parametrize(
    "value",
    [
        [1.0] * 23,
        [1.0] * 25,
        [],
        "1,1,1",
        {"0": 1.0},
        5.0,
        [0.0] * 24,
    ],
)
def test_bad_shape_names_the_field(field: str, value: object):
    assert error_for({field: value}).field == field


@pytest.mark.parametrize("field", ["weekdayShapeVolumes", "weekendShapeVolumes"])
@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, "1.0", None, True])
def test_bad_shape_value_names_the_field_and_index(field: str, bad: object):
    volumes: list[object] = list(FLAT)
    volumes[7] = bad
    assert error_for({field: volumes}).field == f"{field}[7]"


@pytest.mark.parametrize("value", ["yes", 1, 0, None])
def test_bad_warmup_mode_names_the_field(value: object):
    assert error_for({"warmupMode": value}).field == "warmupMode"


@pytest.mark.parametrize("value", [-0.1, 1.5, "0.5", True, math.nan, math.inf])
def test_bad_throttle_override_names_the_field(value: object):
    assert error_for({"testThrottleOverride": value}).field == "testThrottleOverride"


@pytest.mark.parametrize("value", [0, 0.0, 0.25, 1, 1.0])
def test_throttle_override_bounds_are_inclusive(value: float):
    assert PacingConfig.from_json({"testThrottleOverride": value}).test_throttle_override == value


def test_a_bad_field_is_reported_even_when_others_are_fine():
    body = json.loads(SEED_BODY)
    body["weekendShapeVolumes"][3] = -1
    assert error_for(body).field == "weekendShapeVolumes[3]"


def test_constructor_validates_too():
    with pytest.raises(PacingConfigError) as info:
        PacingConfig(day_duration_seconds=90000)
    assert str(info.value) == "dayDurationSeconds cannot exceed 86400 (24 hours)"
    with pytest.raises(PacingConfigError):
        PacingConfig(weekday_shape_volumes=(1.0,) * 3)
    with pytest.raises(PacingConfigError):
        PacingConfig(test_throttle_override=2.0)


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=86400))
def test_any_day_length_up_to_24_hours_is_accepted(seconds: int):
    assert PacingConfig.from_json({"dayDurationSeconds": seconds}).day_duration_seconds == seconds


@settings(deadline=None)
@given(st.integers(min_value=86401, max_value=10**12))
def test_any_day_longer_than_24_hours_is_rejected(seconds: int):
    error = error_for({"dayDurationSeconds": seconds})
    assert str(error) == "dayDurationSeconds cannot exceed 86400 (24 hours)"
