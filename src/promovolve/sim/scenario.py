"""Scenario files for the pacing lab and the live simulator (PACING_LAB.md, "Scenario files").

A scenario is plain data: :func:`parse_scenario` turns a JSON object into a frozen
:class:`Scenario` or raises :class:`ScenarioError` naming the offending key. Parsing never
touches the file system; :func:`load_scenario` is the thin shell that reads a file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

HOURS_PER_DAY = 24
SECONDS_PER_DAY = 86400
MAX_DAY = 10000
# Money and counts far beyond any real campaign are typos (or attempts to exhaust memory).
MAX_MONEY = 1e9
MAX_COUNT = 1_000_000
DAY_TOO_LONG = "dayDurationSeconds cannot exceed 86400 (24 hours)"

FLAT_SHAPE: tuple[float, ...] = (1.0,) * HOURS_PER_DAY

ChurnAction = Literal["pause", "resume"]
EventAction = Literal["setBudget", "pause", "resume"]

# The RunScenario layout groups keys under these objects; they are flattened before validation.
GROUPS = ("setup", "pacing", "traffic", "churn")


class ScenarioError(ValueError):
    """A scenario value with a wrong type or value; ``key`` is the (dotted) key at fault."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"scenario key '{key}': {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ChurnEvent:
    """Pause or resume every campaign of an advertiser at the start of ``day``."""

    day: int
    action: ChurnAction
    advertiser: int


@dataclass(frozen=True, slots=True)
class Burst:
    """Multiply the arrival rate from ``hour`` of ``day`` for ``minutes`` (day-clock units)."""

    day: int
    hour: float
    minutes: float
    multiplier: float


@dataclass(frozen=True, slots=True)
class ScheduledEvent:
    """A change applied at ``hour`` of ``day``.

    ``campaign`` is the 1-based campaign index within the advertiser (None: all of them);
    ``budget`` (USD) is set only for ``setBudget``.
    """

    day: int
    hour: float
    action: EventAction
    advertiser: int
    campaign: int | None = None
    budget: float | None = None


@dataclass(frozen=True, slots=True)
class ShapeChange:
    """Project extension: from ``day`` on, traffic follows these shapes."""

    day: int
    weekday_shape: tuple[float, ...]
    weekend_shape: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario. Budgets and CPMs are in USD; each campaign of advertiser ``a``
    has the daily budget :meth:`advertiser_budget` and bids :meth:`advertiser_cpm`."""

    name: str = "scenario"
    description: str = ""
    advertisers: int = 1
    campaigns_per_advertiser: int = 1
    creatives_per_campaign: int = 3
    budget: float = 100.0
    budgets: tuple[float, ...] | None = None
    cpm: float = 5.0
    cpms: tuple[float, ...] | None = None
    day_duration_seconds: int = SECONDS_PER_DAY
    weekday_shape: tuple[float, ...] = FLAT_SHAPE
    weekend_shape: tuple[float, ...] = FLAT_SHAPE
    delay_ms: float = 50.0
    variable_delay: bool = False
    max_delay_ms: float = 500.0
    quiet_period_probability: float = 0.0
    quiet_period_min_ms: float = 35000.0
    quiet_period_max_ms: float = 60000.0
    click_rate: float = 0.05
    stop_after_days: int = 1
    max_requests: int | None = None
    continuous: bool = False
    report_every: int = 100
    churn: tuple[ChurnEvent, ...] = ()
    seed: int = 1
    noise: float = 0.0
    bursts: tuple[Burst, ...] = ()
    events: tuple[ScheduledEvent, ...] = ()
    ctrs: tuple[float, ...] | None = None
    categories: tuple[str, ...] = ("news",)
    shape_changes: tuple[ShapeChange, ...] = ()

    def advertiser_budget(self, a: int) -> float:
        """Daily budget (USD) of each campaign of advertiser ``a`` (1-based)."""
        _check_advertiser(a, self.advertisers)
        if self.budgets:
            return self.budgets[(a - 1) % len(self.budgets)]
        return self.budget

    def advertiser_cpm(self, a: int) -> float:
        """CPM bid (USD) of each campaign of advertiser ``a`` (1-based)."""
        _check_advertiser(a, self.advertisers)
        if self.cpms:
            return self.cpms[(a - 1) % len(self.cpms)]
        return self.cpm

    def campaign_ids(self) -> list[str]:
        """All campaign ids, advertiser by advertiser: ``adv-{a}-camp-{c}``."""
        return [
            campaign_id(a, c)
            for a in range(1, self.advertisers + 1)
            for c in range(1, self.campaigns_per_advertiser + 1)
        ]

    def is_weekend(self, day: int) -> bool:
        """Runs start on a Monday, so days 6 and 7 of each week are the weekend."""
        return (day - 1) % 7 in (5, 6)

    def shape_for_day(self, day: int) -> tuple[float, ...]:
        """The configured 24 hourly volumes for ``day``, honouring ``shape_changes``."""
        weekday, weekend = self.weekday_shape, self.weekend_shape
        for change in self.shape_changes:  # sorted by day at parse time
            if change.day <= day:
                weekday, weekend = change.weekday_shape, change.weekend_shape
        return weekend if self.is_weekend(day) else weekday

    def creative_ctr(self, index: int) -> float:
        """Click rate of creative ``index`` (0-based, numbered in campaign order)."""
        if self.ctrs:
            return self.ctrs[index % len(self.ctrs)]
        return self.click_rate


def campaign_id(advertiser: int, campaign: int) -> str:
    return f"adv-{advertiser}-camp-{campaign}"


def _check_advertiser(a: int, advertisers: int) -> None:
    if not 1 <= a <= advertisers:
        raise ValueError(f"advertiser must be within 1..{advertisers}, got {a}")


# ---------------------------------------------------------------------------------------
# Parsing


def _show(value: object) -> str:
    """A short rendering of a bad value for error messages (JSON-like, truncated)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(key: str, value: object, what: str) -> float:
    # bool is an int subclass in Python, but `true` is never a valid number in a scenario.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(key, f"must be {what}, got {_show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ScenarioError(key, f"must be {what}, got {_show(value)}")
    return number


def _positive(key: str, value: object, limit: float = MAX_MONEY) -> float:
    number = _number(key, value, "a positive number")
    if number <= 0:
        raise ScenarioError(key, f"must be a positive number, got {_show(value)}")
    if number > limit:
        raise ScenarioError(key, f"must not exceed {limit:g}, got {_show(value)}")
    return number


def _non_negative(key: str, value: object) -> float:
    number = _number(key, value, "a non-negative number")
    if number < 0:
        raise ScenarioError(key, f"must be a non-negative number, got {_show(value)}")
    return number


def _probability(key: str, value: object) -> float:
    number = _number(key, value, "a probability between 0 and 1")
    if not 0.0 <= number <= 1.0:
        raise ScenarioError(key, f"must be a probability between 0 and 1, got {_show(value)}")
    return number


def _integer(key: str, value: object) -> int:
    # JSON writers sometimes emit 600.0 for 600; a whole float is accepted, 600.5 is not.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ScenarioError(key, f"must be an integer, got {_show(value)}")


def _int_in(key: str, value: object, low: int, high: int) -> int:
    number = _integer(key, value)
    if not low <= number <= high:
        raise ScenarioError(key, f"must be an integer within {low}..{high}, got {_show(value)}")
    return number


def _count(key: str, value: object) -> int:
    number = _integer(key, value)
    if number <= 0:
        raise ScenarioError(key, f"must be a positive integer, got {_show(value)}")
    if number > MAX_COUNT:
        raise ScenarioError(key, f"must not exceed {MAX_COUNT}, got {_show(value)}")
    return number


def _bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(key, f"must be true or false, got {_show(value)}")
    return value


def _string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ScenarioError(key, f"must be a string, got {_show(value)}")
    return value


def _hour(key: str, value: object) -> float:
    number = _number(key, value, "an hour in [0, 24)")
    if not 0.0 <= number < HOURS_PER_DAY:
        raise ScenarioError(key, f"must be an hour in [0, 24), got {_show(value)}")
    return number


def _list(key: str, value: object, *, allow_empty: bool = False) -> list[object]:
    if not isinstance(value, list):
        raise ScenarioError(key, f"must be a list, got {_show(value)}")
    if not value and not allow_empty:
        raise ScenarioError(key, "must not be empty")
    return value


T = TypeVar("T")


def _items(key: str, value: object, check: Callable[[str, object], T]) -> tuple[T, ...]:
    """A non-empty list of scalars; element errors are reported as ``key[i]``."""
    return tuple(check(f"{key}[{i}]", item) for i, item in enumerate(_list(key, value)))


def _shape(key: str, value: object) -> tuple[float, ...]:
    if not isinstance(value, list) or len(value) != HOURS_PER_DAY:
        got = f"{len(value)} items" if isinstance(value, list) else _show(value)
        raise ScenarioError(key, f"must be a list of exactly 24 hourly volumes, got {got}")
    volumes = tuple(_non_negative(f"{key}[{i}]", item) for i, item in enumerate(value))
    if not any(volumes):
        raise ScenarioError(key, "volumes must not all be zero")
    return volumes


class _Fields:
    """An item object of a list (churn, bursts, events, shapeChanges) being validated."""

    def __init__(
        self, path: str, value: object, known: frozenset[str], warnings: list[str]
    ) -> None:
        if not isinstance(value, dict):
            raise ScenarioError(path, f"must be an object, got {_show(value)}")
        self.path = path
        self.data: dict[str, object] = value
        for key in value:
            if key not in known:
                warnings.append(f"unknown scenario key '{path}.{key}' ignored")

    def key(self, name: str) -> str:
        return f"{self.path}.{name}"

    def required(self, name: str) -> object:
        if name not in self.data or self.data[name] is None:
            raise ScenarioError(self.key(name), "is required")
        return self.data[name]

    def optional(self, name: str) -> object:
        return self.data.get(name)


def _day(item: _Fields) -> int:
    return _int_in(item.key("day"), item.required("day"), 1, MAX_DAY)


def _churn_event(item: _Fields, advertisers: int) -> ChurnEvent:
    action = item.required("action")
    if action not in ("pause", "resume"):
        raise ScenarioError(item.key("action"), f"must be pause or resume, got {_show(action)}")
    return ChurnEvent(
        day=_day(item),
        action="pause" if action == "pause" else "resume",
        advertiser=_int_in(item.key("advertiser"), item.required("advertiser"), 1, advertisers),
    )


def _burst(item: _Fields) -> Burst:
    return Burst(
        day=_day(item),
        hour=_hour(item.key("hour"), item.required("hour")),
        # A burst belongs to one day's clock, so it cannot outlast 24 hours.
        minutes=_positive(item.key("minutes"), item.required("minutes"), 1440.0),
        multiplier=_positive(item.key("multiplier"), item.required("multiplier"), 1e6),
    )


def _event(item: _Fields, advertisers: int, campaigns: int) -> ScheduledEvent:
    action = item.required("action")
    if action not in ("setBudget", "pause", "resume"):
        raise ScenarioError(
            item.key("action"), f"must be setBudget, pause or resume, got {_show(action)}"
        )
    raw_campaign = item.optional("campaign")
    campaign = (
        None if raw_campaign is None else _int_in(item.key("campaign"), raw_campaign, 1, campaigns)
    )
    raw_budget = item.optional("budget")
    budget: float | None = None
    if action == "setBudget":
        if raw_budget is None:
            raise ScenarioError(item.key("budget"), "is required for action setBudget")
        budget = _positive(item.key("budget"), raw_budget)
    elif raw_budget is not None:
        raise ScenarioError(item.key("budget"), "is only allowed with action setBudget")
    return ScheduledEvent(
        day=_day(item),
        hour=_hour(item.key("hour"), item.required("hour")),
        action="setBudget" if action == "setBudget" else "pause" if action == "pause" else "resume",
        advertiser=_int_in(item.key("advertiser"), item.required("advertiser"), 1, advertisers),
        campaign=campaign,
        budget=budget,
    )


def _shape_pair(
    weekday_key: str, weekday: object, weekend_key: str, weekend: object
) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """Both shapes, or None when neither is given; a lone shape serves both day types."""
    day = None if weekday is None else _shape(weekday_key, weekday)
    end = None if weekend is None else _shape(weekend_key, weekend)
    if day is None and end is None:
        return None
    return (day or end or FLAT_SHAPE, end or day or FLAT_SHAPE)


def _shape_change(item: _Fields) -> ShapeChange:
    shapes = _shape_pair(
        item.key("weekdayShapeVolumes"),
        item.optional("weekdayShapeVolumes"),
        item.key("weekendShapeVolumes"),
        item.optional("weekendShapeVolumes"),
    )
    if shapes is None:
        raise ScenarioError(
            item.key("weekdayShapeVolumes"),
            "a shape change needs weekdayShapeVolumes or weekendShapeVolumes",
        )
    return ShapeChange(day=_day(item), weekday_shape=shapes[0], weekend_shape=shapes[1])


_CHURN_KEYS = frozenset({"day", "action", "advertiser"})
_BURST_KEYS = frozenset({"day", "hour", "minutes", "multiplier"})
_EVENT_KEYS = frozenset({"day", "hour", "action", "advertiser", "campaign", "budget"})
_SHAPE_CHANGE_KEYS = frozenset({"day", "weekdayShapeVolumes", "weekendShapeVolumes"})

KNOWN_KEYS = frozenset(
    {
        "name",
        "description",
        "advertisers",
        "campaignsPerAdvertiser",
        "creativesPerCampaign",
        "budget",
        "budgets",
        "cpm",
        "cpms",
        "dayDurationSeconds",
        "weekdayShapeVolumes",
        "weekendShapeVolumes",
        "delayMs",
        "variableDelay",
        "maxDelayMs",
        "quietPeriodProbability",
        "quietPeriodMinMs",
        "quietPeriodMaxMs",
        "clickRate",
        "stopAfterDays",
        "maxRequests",
        "continuous",
        "reportEvery",
        "churn",
        "seed",
        "noise",
        "bursts",
        "events",
        "ctrs",
        "categories",
        "shapeChanges",
    }
)


def _flatten(data: Mapping[str, object]) -> dict[str, object]:
    """Merge the RunScenario groups into one flat mapping; a key given twice is an error."""
    flat: dict[str, object] = {}
    origin: dict[str, str] = {}

    def put(key: str, value: object, where: str) -> None:
        if key in flat:
            raise ScenarioError(key, f"given twice ({origin[key]} and {where})")
        flat[key] = value
        origin[key] = where

    for key, value in data.items():
        if key == "churn" and isinstance(value, list):
            put(key, value, "top level")  # the list itself, not a group
        elif key in GROUPS:
            if not isinstance(value, dict):
                raise ScenarioError(key, f"must be an object (a group of keys), got {_show(value)}")
            for inner_key, inner_value in value.items():
                put(str(inner_key), inner_value, f"group '{key}'")
        else:
            put(key, value, "top level")
    return flat


def _item_list(
    key: str, value: object, known: frozenset[str], warnings: list[str]
) -> list[_Fields]:
    items = _list(key, value, allow_empty=True)
    return [_Fields(f"{key}[{i}]", item, known, warnings) for i, item in enumerate(items)]


def parse_scenario(data: Mapping[str, object], default_name: str) -> tuple[Scenario, list[str]]:
    """Validate a scenario object (flat or grouped layout); returns it and its warnings."""
    flat = _flatten(data)
    warnings = [f"unknown scenario key '{key}' ignored" for key in flat if key not in KNOWN_KEYS]
    # A null value means "not given": JSON writers often emit optional keys as null.
    given = {k: v for k, v in flat.items() if k in KNOWN_KEYS and v is not None}
    defaults = Scenario()

    def get(key: str, check: Callable[[str, object], T], default: T) -> T:
        return check(key, given[key]) if key in given else default

    advertisers = get("advertisers", _count, defaults.advertisers)
    campaigns = get("campaignsPerAdvertiser", _count, defaults.campaigns_per_advertiser)

    day_duration = defaults.day_duration_seconds
    if "dayDurationSeconds" in given:
        day_duration = _integer("dayDurationSeconds", given["dayDurationSeconds"])
        if day_duration > SECONDS_PER_DAY:
            raise ScenarioError("dayDurationSeconds", DAY_TOO_LONG)
        if day_duration <= 0:
            raise ScenarioError(
                "dayDurationSeconds", f"must be a positive integer, got {day_duration}"
            )

    shapes = _shape_pair(
        "weekdayShapeVolumes",
        given.get("weekdayShapeVolumes"),
        "weekendShapeVolumes",
        given.get("weekendShapeVolumes"),
    ) or (FLAT_SHAPE, FLAT_SHAPE)

    delay_ms = get("delayMs", _positive, defaults.delay_ms)
    variable_delay = get("variableDelay", _bool, defaults.variable_delay)
    max_delay_ms = get("maxDelayMs", _positive, defaults.max_delay_ms)
    if variable_delay and max_delay_ms < delay_ms:
        raise ScenarioError(
            "maxDelayMs",
            f"must be at least delayMs ({delay_ms:g}) when variableDelay is true, "
            f"got {max_delay_ms:g}",
        )

    quiet_min = get("quietPeriodMinMs", _non_negative, defaults.quiet_period_min_ms)
    quiet_max = get("quietPeriodMaxMs", _non_negative, defaults.quiet_period_max_ms)
    if quiet_min > quiet_max:
        raise ScenarioError(
            "quietPeriodMinMs",
            f"must not exceed quietPeriodMaxMs ({quiet_max:g}), got {quiet_min:g}",
        )

    churn = tuple(
        _churn_event(item, advertisers)
        for item in _item_list("churn", given.get("churn", []), _CHURN_KEYS, warnings)
    )
    bursts = tuple(
        _burst(item)
        for item in _item_list("bursts", given.get("bursts", []), _BURST_KEYS, warnings)
    )
    events = tuple(
        _event(item, advertisers, campaigns)
        for item in _item_list("events", given.get("events", []), _EVENT_KEYS, warnings)
    )
    changes = [
        _shape_change(item)
        for item in _item_list(
            "shapeChanges", given.get("shapeChanges", []), _SHAPE_CHANGE_KEYS, warnings
        )
    ]
    seen_days: set[int] = set()
    for i, change in enumerate(changes):
        if change.day in seen_days:
            raise ScenarioError(f"shapeChanges[{i}].day", f"day {change.day} is given twice")
        seen_days.add(change.day)

    scenario = Scenario(
        name=get("name", _string, default_name),
        description=get("description", _string, defaults.description),
        advertisers=advertisers,
        campaigns_per_advertiser=campaigns,
        creatives_per_campaign=get("creativesPerCampaign", _count, defaults.creatives_per_campaign),
        budget=get("budget", _positive, defaults.budget),
        budgets=get("budgets", lambda k, v: _items(k, v, _positive), None),
        cpm=get("cpm", _positive, defaults.cpm),
        cpms=get("cpms", lambda k, v: _items(k, v, _positive), None),
        day_duration_seconds=day_duration,
        weekday_shape=shapes[0],
        weekend_shape=shapes[1],
        delay_ms=delay_ms,
        variable_delay=variable_delay,
        max_delay_ms=max_delay_ms,
        quiet_period_probability=get(
            "quietPeriodProbability", _probability, defaults.quiet_period_probability
        ),
        quiet_period_min_ms=quiet_min,
        quiet_period_max_ms=quiet_max,
        click_rate=get("clickRate", _probability, defaults.click_rate),
        stop_after_days=get(
            "stopAfterDays", lambda k, v: _int_in(k, v, 1, MAX_DAY), defaults.stop_after_days
        ),
        max_requests=get("maxRequests", _count_or_big, None),
        continuous=get("continuous", _bool, defaults.continuous),
        report_every=get("reportEvery", _count, defaults.report_every),
        churn=churn,
        seed=get("seed", _integer, defaults.seed),
        noise=get("noise", _noise, defaults.noise),
        bursts=bursts,
        events=events,
        ctrs=get("ctrs", lambda k, v: _items(k, v, _probability), None),
        categories=get("categories", _categories, defaults.categories),
        shape_changes=tuple(sorted(changes, key=lambda c: c.day)),
    )
    return scenario, warnings


def _count_or_big(key: str, value: object) -> int:
    # maxRequests may legitimately be in the billions, so it is not capped like counts.
    number = _integer(key, value)
    if number <= 0:
        raise ScenarioError(key, f"must be a positive integer, got {_show(value)}")
    return number


def _noise(key: str, value: object) -> float:
    number = _non_negative(key, value)
    # σ beyond a few makes the lognormal multiplier meaningless (mean-one but absurd tails).
    if number > 5.0:
        raise ScenarioError(key, f"must not exceed 5, got {_show(value)}")
    return number


def _non_empty_string(key: str, value: object) -> str:
    text = _string(key, value)
    if not text.strip():
        raise ScenarioError(key, "must not be blank")
    return text


def _categories(key: str, value: object) -> tuple[str, ...]:
    return _items(key, value, _non_empty_string)


def load_scenario(path: Path) -> tuple[Scenario, list[str]]:
    """Read and parse a scenario JSON file; its name defaults to the file stem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError("(file)", f"cannot read {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ScenarioError("(file)", f"{path} is not UTF-8 text: {error}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(
            "(file)",
            f"invalid JSON in {path} at line {error.lineno} column {error.colno}: {error.msg}",
        ) from error
    if not isinstance(data, dict):
        raise ScenarioError(
            "(file)", f"{path} must hold a JSON object at the top level, got {type(data).__name__}"
        )
    return parse_scenario(data, path.stem)
