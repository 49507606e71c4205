"""The value types of a scenario file and the list items it holds (PACING_LAB.md).

Pydantic models with the file's camelCase keys as aliases and snake_case attributes. Scalars
are strict (``true`` is not a number, ``"5"`` is not a count) except that a whole float such
as ``600.0`` is a valid integer, because JSON writers emit those. A validator that needs to
name a key other than its own raises :class:`ScenarioError`; its key is relative to the
model that raised it (the parser prefixes the path).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    Strict,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

HOURS_PER_DAY = 24
MAX_DAY = 10000
# Money and counts far beyond any real campaign are typos (or attempts to exhaust memory).
MAX_MONEY = 1e9
MAX_COUNT = 1_000_000
FLAT_SHAPE: tuple[float, ...] = (1.0,) * HOURS_PER_DAY
WEEKDAY_KEY, WEEKEND_KEY = "weekdayShapeVolumes", "weekendShapeVolumes"
# Characters a trace row would have to quote; ids never hold them.
CSV_UNSAFE = frozenset(',"\r\n')

M = TypeVar("M", bound=BaseModel)
ChurnAction = Literal["pause", "resume"]
EventAction = Literal["setBudget", "pause", "resume"]


class ScenarioError(ValueError):
    """A scenario value with a wrong type or value; ``key`` is the (dotted) key at fault."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"scenario key '{key}': {problem}")
        self.key = key
        self.problem = problem


def _whole_number(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _not_all_zero(volumes: tuple[float, ...]) -> tuple[float, ...]:
    if not any(volumes):
        raise ValueError("volumes must not all be zero")
    return volumes


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


def _plain_id(text: str) -> str:
    if not CSV_UNSAFE.isdisjoint(text):
        raise ValueError("must not hold a comma, a quote or a line break")
    return text


Integer = Annotated[int, BeforeValidator(_whole_number), Strict()]
Count = Annotated[Integer, Field(ge=1, le=MAX_COUNT)]
Day = Annotated[Integer, Field(ge=1, le=MAX_DAY)]
Number = Annotated[float, Strict()]
Positive = Annotated[Number, Field(gt=0, le=MAX_MONEY)]
NonNegative = Annotated[Number, Field(ge=0)]
Probability = Annotated[Number, Field(ge=0, le=1)]
Hour = Annotated[Number, Field(ge=0, lt=HOURS_PER_DAY)]
# σ beyond a few makes the lognormal multiplier meaningless (mean-one but absurd tails).
Noise = Annotated[NonNegative, Field(le=5)]
Flag = Annotated[bool, Strict()]
Text = Annotated[str, Strict()]
Label = Annotated[Text, AfterValidator(_not_blank)]
Id = Annotated[Label, AfterValidator(_plain_id)]
SiteIds = Annotated[tuple[Id, ...], Field(min_length=1)]
Labels = Annotated[tuple[Label, ...], Field(min_length=1)]
Shape = Annotated[
    tuple[NonNegative, ...],
    Field(min_length=HOURS_PER_DAY, max_length=HOURS_PER_DAY),
    AfterValidator(_not_all_zero),
]


class Item(BaseModel):
    """Base of every scenario model: frozen, camelCase keys, finite numbers."""

    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        allow_inf_nan=False,
    )


def lone_shape_serves_both(
    data: Any, handler: ModelWrapValidatorHandler[M], *, required: bool = False
) -> M:
    """A file giving one day type's shape means it for both; ``required``: one must be given.

    The lone shape is validated once, under its own key (so errors name that key), and
    copied to the other day type afterwards.
    """
    if not isinstance(data, dict):
        return handler(data)
    weekday, weekend = data.get(WEEKDAY_KEY), data.get(WEEKEND_KEY)
    by_name = "weekday_shape" in data or "weekend_shape" in data
    if required and weekday is None and weekend is None and not by_name:
        raise ScenarioError(WEEKDAY_KEY, f"a shape change needs {WEEKDAY_KEY} or {WEEKEND_KEY}")
    model = handler(data)
    if (weekday is None) == (weekend is None):
        return model
    lone, other = ("weekday_shape", "weekend_shape")[:: 1 if weekday is not None else -1]
    return model.model_copy(update={other: getattr(model, lone)})


def by_day(changes: tuple[ShapeChange, ...], key: str) -> tuple[ShapeChange, ...]:
    """Shape changes in day order; a day given twice is an error naming the second."""
    seen: set[int] = set()
    for i, change in enumerate(changes):
        if change.day in seen:
            raise ScenarioError(f"{key}[{i}].day", f"day {change.day} is given twice")
        seen.add(change.day)
    return tuple(sorted(changes, key=lambda c: c.day))


class ChurnEvent(Item):
    """Pause or resume every campaign of an advertiser at the start of ``day``."""

    day: Day
    action: ChurnAction
    advertiser: Annotated[Integer, Field(ge=1)]


class Burst(Item):
    """Multiply the arrival rate from ``hour`` of ``day`` for ``minutes`` (day-clock units)."""

    day: Day
    hour: Hour
    # A burst belongs to one day's clock, so it cannot outlast 24 hours.
    minutes: Annotated[Number, Field(gt=0, le=1440)]
    multiplier: Annotated[Number, Field(gt=0, le=1e6)]


class Silence(Item):
    """No requests from ``hour`` of ``day`` for ``hours`` (day-clock units; ends with the day)."""

    day: Day
    hour: Hour
    hours: Annotated[Number, Field(gt=0, le=HOURS_PER_DAY)]


class ScheduledEvent(Item):
    """A change applied at ``hour`` of ``day``.

    ``campaign`` is the 1-based campaign index within the advertiser (None: all of them);
    ``budget`` (USD) is set only for ``setBudget``.
    """

    day: Day
    hour: Hour
    action: EventAction
    advertiser: Annotated[Integer, Field(ge=1)]
    campaign: Annotated[Integer, Field(ge=1)] | None = None
    budget: Positive | None = None

    @model_validator(mode="after")
    def _budget_only_to_set(self) -> ScheduledEvent:
        if self.action == "setBudget" and self.budget is None:
            raise ScenarioError("budget", "is required for action setBudget")
        if self.action != "setBudget" and self.budget is not None:
            raise ScenarioError("budget", "is only allowed with action setBudget")
        return self


class ShapeChange(Item):
    """Project extension: from ``day`` on, traffic follows these shapes."""

    day: Day
    # The defaults only stand in until the lone shape given is copied over them.
    weekday_shape: Annotated[Shape, Field(alias=WEEKDAY_KEY)] = FLAT_SHAPE
    weekend_shape: Annotated[Shape, Field(alias=WEEKEND_KEY)] = FLAT_SHAPE

    @model_validator(mode="wrap")
    @classmethod
    def _one_shape_at_least(
        cls, data: Any, handler: ModelWrapValidatorHandler[ShapeChange]
    ) -> ShapeChange:
        return lone_shape_serves_both(data, handler, required=True)


class SiteSpec(Item):
    """One site of a network scenario; a key left out takes the scenario's top-level value."""

    id: Id
    weekday_shape: Annotated[Shape | None, Field(alias=WEEKDAY_KEY)] = None
    weekend_shape: Annotated[Shape | None, Field(alias=WEEKEND_KEY)] = None
    delay_ms: Positive | None = None
    variable_delay: Flag | None = None
    max_delay_ms: Positive | None = None
    quiet_period_probability: Probability | None = None
    quiet_period_min_ms: NonNegative | None = None
    quiet_period_max_ms: NonNegative | None = None
    noise: Noise | None = None
    bursts: tuple[Burst, ...] | None = None
    categories: Labels | None = None
    shape_changes: tuple[ShapeChange, ...] | None = None
    start_day: Day | None = None
    silences: tuple[Silence, ...] | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _lone_shape(cls, data: Any, handler: ModelWrapValidatorHandler[SiteSpec]) -> SiteSpec:
        return lone_shape_serves_both(data, handler)

    @field_validator("shape_changes")
    @classmethod
    def _changes_by_day(
        cls, changes: tuple[ShapeChange, ...] | None
    ) -> tuple[ShapeChange, ...] | None:
        return None if changes is None else by_day(changes, "shapeChanges")

    def overrides(self) -> dict[str, object]:
        """The traffic keys this site sets, by attribute name."""
        given = ((name, getattr(self, name)) for name in type(self).model_fields if name != "id")
        return {name: value for name, value in given if value is not None}
