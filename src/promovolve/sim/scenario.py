"""Scenario files for the pacing lab and the live simulator (PACING_LAB.md, "Scenario files").

A scenario is plain data: :func:`parse_scenario` turns a JSON object into a frozen
:class:`Scenario` (a pydantic model) or raises :class:`ScenarioError` naming the offending
dotted key in one line. Parsing never touches the file system; :func:`load_scenario` is the
thin shell that reads a file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)

from promovolve.sim.scenario_errors import describe_error, show, unknown_keys
from promovolve.sim.scenario_items import (
    FLAT_SHAPE,
    HOURS_PER_DAY,
    MAX_DAY,
    WEEKDAY_KEY,
    WEEKEND_KEY,
    Burst,
    ChurnEvent,
    Count,
    Day,
    Flag,
    Integer,
    Item,
    Labels,
    Noise,
    NonNegative,
    Positive,
    Probability,
    ScenarioError,
    ScheduledEvent,
    Shape,
    ShapeChange,
    Silence,
    SiteIds,
    SiteSpec,
    Text,
    by_day,
    lone_shape_serves_both,
)

__all__ = [
    "DEFAULT_SITE_ID",
    "FLAT_SHAPE",
    "HOURS_PER_DAY",
    "MAX_DAY",
    "Burst",
    "ChurnEvent",
    "Scenario",
    "ScenarioError",
    "ScheduledEvent",
    "ShapeChange",
    "Silence",
    "SiteSpec",
    "campaign_id",
    "load_scenario",
    "parse_scenario",
]

SECONDS_PER_DAY = 86400
DAY_TOO_LONG = "dayDurationSeconds cannot exceed 86400 (24 hours)"
# The one site of a scenario without a `sites` list.
DEFAULT_SITE_ID = "lab-site"
# The RunScenario layout groups keys under these objects; they are flattened before validation.
GROUPS = ("setup", "pacing", "traffic", "churn")


def _day_length(seconds: int) -> int:
    if seconds > SECONDS_PER_DAY:
        raise ValueError(DAY_TOO_LONG)
    if seconds <= 0:
        raise ValueError(f"must be a positive integer, got {seconds}")
    return seconds


class Scenario(Item):
    """A validated scenario. Budgets and CPMs are in USD; each campaign of advertiser ``a``
    has the daily budget :meth:`advertiser_budget` and bids :meth:`advertiser_cpm`."""

    name: Text = "scenario"
    description: Text = ""
    advertisers: Count = 1
    campaigns_per_advertiser: Count = 1
    creatives_per_campaign: Count = 3
    budget: Positive = 100.0
    budgets: Annotated[tuple[Positive, ...], Field(min_length=1)] | None = None
    cpm: Positive = 5.0
    cpms: Annotated[tuple[Positive, ...], Field(min_length=1)] | None = None
    day_duration_seconds: Integer = SECONDS_PER_DAY
    weekday_shape: Annotated[Shape, Field(alias=WEEKDAY_KEY)] = FLAT_SHAPE
    weekend_shape: Annotated[Shape, Field(alias=WEEKEND_KEY)] = FLAT_SHAPE
    delay_ms: Positive = 50.0
    variable_delay: Flag = False
    max_delay_ms: Positive = 500.0
    quiet_period_probability: Probability = 0.0
    quiet_period_min_ms: NonNegative = 35000.0
    quiet_period_max_ms: NonNegative = 60000.0
    click_rate: Probability = 0.05
    stop_after_days: Day = 1
    # maxRequests may legitimately be in the billions, so it is not capped like counts.
    max_requests: Annotated[Integer, Field(ge=1)] | None = None
    continuous: Flag = False
    report_every: Count = 100
    churn: tuple[ChurnEvent, ...] = ()
    seed: Integer = 1
    noise: Noise = 0.0
    bursts: tuple[Burst, ...] = ()
    events: tuple[ScheduledEvent, ...] = ()
    ctrs: Annotated[tuple[Probability, ...], Field(min_length=1)] | None = None
    categories: Labels = ("news",)
    shape_changes: tuple[ShapeChange, ...] = ()
    # The network lab (PACING_LAB.md, "Networks"); the defaults are one site, as before.
    start_day: Day = 1
    silences: tuple[Silence, ...] = ()
    sites: tuple[SiteSpec, ...] = ()
    advertiser_sites: Annotated[tuple[SiteIds, ...], Field(min_length=1)] | None = None
    configured_shapes: Flag = False

    @model_validator(mode="wrap")
    @classmethod
    def _lone_shape(cls, data: Any, handler: ModelWrapValidatorHandler[Scenario]) -> Scenario:
        return lone_shape_serves_both(data, handler)

    @field_validator("day_duration_seconds")
    @classmethod
    def _day_fits_the_clock(cls, seconds: int) -> int:
        return _day_length(seconds)

    @field_validator("shape_changes")
    @classmethod
    def _changes_by_day(cls, changes: tuple[ShapeChange, ...]) -> tuple[ShapeChange, ...]:
        return by_day(changes, "shapeChanges")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        _check_delays(self, "")
        for i, churn in enumerate(self.churn):
            _check_range(f"churn[{i}].advertiser", churn.advertiser, self.advertisers)
        for i, event in enumerate(self.events):
            _check_range(f"events[{i}].advertiser", event.advertiser, self.advertisers)
            if event.campaign is not None:
                _check_range(f"events[{i}].campaign", event.campaign, self.campaigns_per_advertiser)
        seen: set[str] = set()
        for i, site in enumerate(self.sites):
            if site.id in seen:
                raise ScenarioError(f"sites[{i}].id", f"site {site.id!r} is given twice")
            seen.add(site.id)
            _check_delays(self.model_copy(update=site.overrides()), f"sites[{i}].")
        ids = self.site_ids()
        for i, listed in enumerate(self.advertiser_sites or ()):
            for j, site_id in enumerate(listed):
                if site_id not in ids:
                    raise ScenarioError(
                        f"advertiserSites[{i}][{j}]",
                        f"must be a site id ({', '.join(ids)}), got {site_id!r}",
                    )
        return self

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

    def advertiser_site_ids(self, a: int) -> tuple[str, ...]:
        """The sites where advertiser ``a``'s campaigns run (cycled; default: every site)."""
        _check_advertiser(a, self.advertisers)
        if self.advertiser_sites:
            return self.advertiser_sites[(a - 1) % len(self.advertiser_sites)]
        return self.site_ids()

    def campaign_ids(self) -> list[str]:
        """All campaign ids, advertiser by advertiser: ``adv-{a}-camp-{c}``."""
        return [
            campaign_id(a, c)
            for a in range(1, self.advertisers + 1)
            for c in range(1, self.campaigns_per_advertiser + 1)
        ]

    def site_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sites) if self.sites else (DEFAULT_SITE_ID,)

    def site_traffic(self) -> tuple[tuple[str, Scenario], ...]:
        """Each site's id and traffic: this scenario with the site's own keys in place."""
        if not self.sites:
            return ((DEFAULT_SITE_ID, self),)
        return tuple(
            (site.id, self.model_copy(update={**site.overrides(), "sites": ()}))
            for site in self.sites
        )

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


def _check_range(key: str, value: int, high: int) -> None:
    if value > high:
        raise ScenarioError(key, f"must be an integer within 1..{high}, got {value}")


def _check_delays(s: Scenario, prefix: str) -> None:
    if s.variable_delay and s.max_delay_ms < s.delay_ms:
        raise ScenarioError(
            f"{prefix}maxDelayMs",
            f"must be at least delayMs ({s.delay_ms:g}) when variableDelay is true, "
            f"got {s.max_delay_ms:g}",
        )
    if s.quiet_period_min_ms > s.quiet_period_max_ms:
        raise ScenarioError(
            f"{prefix}quietPeriodMinMs",
            f"must not exceed quietPeriodMaxMs ({s.quiet_period_max_ms:g}), "
            f"got {s.quiet_period_min_ms:g}",
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
                raise ScenarioError(key, f"must be an object (a group of keys), got {show(value)}")
            for inner_key, inner_value in value.items():
                put(str(inner_key), inner_value, f"group '{key}'")
        else:
            put(key, value, "top level")
    return flat


def parse_scenario(data: Mapping[str, object], default_name: str) -> tuple[Scenario, list[str]]:
    """Validate a scenario object (flat or grouped layout); returns it and its warnings."""
    # A null value means "not given": JSON writers often emit optional keys as null.
    given = {k: v for k, v in _flatten(data).items() if v is not None}
    given.setdefault("name", default_name)
    warnings = unknown_keys(Scenario, given)
    try:
        scenario = Scenario.model_validate(given, by_alias=True, by_name=False)
    except ValidationError as error:
        raise describe_error(error) from None
    return scenario, warnings


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
