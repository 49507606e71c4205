"""A site's pacing configuration (the seed's PacingConfig) and its validation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SECONDS_PER_DAY = 86400
BUCKETS_PER_DAY = 24
DAY_TOO_LONG_MESSAGE = "dayDurationSeconds cannot exceed 86400 (24 hours)"


class PacingConfigError(ValueError):
    """A pacing setting with a bad value; names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


def validate_day_duration(value: object, field: str = "dayDurationSeconds") -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PacingConfigError(field, "must be a whole number of seconds")
    if isinstance(value, float) and not value.is_integer():
        raise PacingConfigError(field, "must be a whole number of seconds")
    seconds = int(value)
    if seconds > SECONDS_PER_DAY:
        raise PacingConfigError(field, DAY_TOO_LONG_MESSAGE)
    if seconds <= 0:
        raise PacingConfigError(field, "dayDurationSeconds must be positive")
    return seconds


def validate_shape_volumes(value: object, field: str) -> tuple[float, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise PacingConfigError(field, f"must be a list of {BUCKETS_PER_DAY} numbers")
    if len(value) != BUCKETS_PER_DAY:
        raise PacingConfigError(
            field, f"must hold exactly {BUCKETS_PER_DAY} hourly volumes, got {len(value)}"
        )
    volumes: list[float] = []
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise PacingConfigError(f"{field}[{index}]", "must be a number")
        if not math.isfinite(item) or item < 0:
            raise PacingConfigError(f"{field}[{index}]", "must be a finite non-negative number")
        volumes.append(float(item))
    if not any(volumes):
        raise PacingConfigError(field, "volumes must not all be zero")
    return tuple(volumes)


def validate_throttle(value: object, field: str = "testThrottleOverride") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PacingConfigError(field, "must be a number between 0 and 1")
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise PacingConfigError(field, "must be between 0 and 1")
    return float(value)


@dataclass(frozen=True, slots=True)
class PacingConfig:
    weekday_shape_volumes: tuple[float, ...] | None = None
    weekend_shape_volumes: tuple[float, ...] | None = None
    day_duration_seconds: int = SECONDS_PER_DAY
    warmup_mode: bool = False
    test_throttle_override: float | None = None

    def __post_init__(self) -> None:
        validate_day_duration(self.day_duration_seconds)
        if self.weekday_shape_volumes is not None:
            validate_shape_volumes(self.weekday_shape_volumes, "weekdayShapeVolumes")
        if self.weekend_shape_volumes is not None:
            validate_shape_volumes(self.weekend_shape_volumes, "weekendShapeVolumes")
        if self.test_throttle_override is not None:
            validate_throttle(self.test_throttle_override)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PacingConfig:
        """Build from the seed's camelCase JSON body; a bad field raises PacingConfigError."""
        weekday = data.get("weekdayShapeVolumes")
        weekend = data.get("weekendShapeVolumes")
        warmup = data.get("warmupMode", False)
        if not isinstance(warmup, bool):
            raise PacingConfigError("warmupMode", "must be true or false")
        override = data.get("testThrottleOverride")
        return cls(
            weekday_shape_volumes=(
                None if weekday is None else validate_shape_volumes(weekday, "weekdayShapeVolumes")
            ),
            weekend_shape_volumes=(
                None if weekend is None else validate_shape_volumes(weekend, "weekendShapeVolumes")
            ),
            day_duration_seconds=validate_day_duration(
                data.get("dayDurationSeconds", SECONDS_PER_DAY)
            ),
            warmup_mode=warmup,
            test_throttle_override=None if override is None else validate_throttle(override),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "dayDurationSeconds": self.day_duration_seconds,
            "weekdayShapeVolumes": (
                None if self.weekday_shape_volumes is None else list(self.weekday_shape_volumes)
            ),
            "weekendShapeVolumes": (
                None if self.weekend_shape_volumes is None else list(self.weekend_shape_volumes)
            ),
            "warmupMode": self.warmup_mode,
            "testThrottleOverride": self.test_throttle_override,
        }
