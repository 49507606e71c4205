"""Request and response bodies (camelCase JSON); money crosses the API as decimal dollars."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

from promovolve.api.responses import PacingOut
from promovolve.context import taxonomy
from promovolve.context.matching import unknown_ids
from promovolve.domain.model import Campaign, CampaignStatus, DeliveryMode
from promovolve.domain.money import MoneyError, usd_to_micros

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
ID_RE = re.compile(ID_PATTERN)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

MAX_DAILY_BUDGET_USD = 10_000_000
MAX_CPM_USD = 10_000
MIN_CPM_MICROS = 1_000  # $0.001 CPM: the smallest bid whose impression price is a whole micro
MAX_CREATIVE_SIDE = 4096
MAX_TERMS = 100
MAX_URL = 2048
MAX_PAGE_TEXT = 8000
MAX_PAGE_TITLE = 500
MAX_PAGE_DESCRIPTION = 2000
# C0 controls and DEL: never meaningful in a name, id, term or URL, and PostgreSQL cannot
# store NUL in text at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s")  # what str.isspace() matches, found without a Python loop


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


NoControl = AfterValidator(_no_control)


def _money(lo_micros: int, hi_usd: int, what: str) -> Any:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{what} must be a decimal number of dollars")
        try:
            micros = usd_to_micros(value)
        except MoneyError as exc:
            raise ValueError(f"{what} {exc}") from exc
        if micros < lo_micros:
            raise ValueError(f"{what} must be at least {lo_micros / 1_000_000:g} dollars")
        if micros > hi_usd * 1_000_000:
            raise ValueError(f"{what} must not exceed {hi_usd} dollars")
        return micros

    return BeforeValidator(parse)


def _dollars_schema(lo_micros: int, hi_usd: int) -> WithJsonSchema:
    """What the API accepts for an amount: decimal dollars as a JSON number or a string."""
    lo = lo_micros / 1_000_000
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": lo, "maximum": hi_usd},
                {"type": "string", "pattern": r"^[0-9]{1,8}(\.[0-9]{1,6})?$"},
            ],
            "description": f"Decimal dollars ({lo:g} to {hi_usd}, at most 6 decimal places), "
            "as a number or a string",
            "examples": [12.5, "12.50"],
        },
        mode="validation",
    )


BudgetMicros = Annotated[
    int,
    _money(1, MAX_DAILY_BUDGET_USD, "dailyBudget"),
    _dollars_schema(1, MAX_DAILY_BUDGET_USD),
]
CpmMicros = Annotated[
    int, _money(MIN_CPM_MICROS, MAX_CPM_USD, "cpm"), _dollars_schema(MIN_CPM_MICROS, MAX_CPM_USD)
]
FloorMicros = Annotated[int, _money(0, MAX_CPM_USD, "floorCpm"), _dollars_schema(0, MAX_CPM_USD)]


def normalize_domain(value: str) -> str:
    domain = value.strip().lower().rstrip(".")
    if len(domain) > 253 or "." not in domain:
        raise ValueError("must be a domain name like example.com")
    if not all(_LABEL.match(label) for label in domain.split(".")):
        raise ValueError("must be a domain name like example.com")
    return domain


def _url(schemes: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        if len(value) > MAX_URL:
            raise ValueError(f"must be at most {MAX_URL} characters")
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError as exc:
            raise ValueError("is not a valid URL") from exc
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        if parts.scheme not in schemes:
            raise ValueError(f"must be an {' or '.join(schemes)} URL")
        if not host:
            raise ValueError("must name a host")
        if _WHITESPACE.search(value):
            raise ValueError("must not contain whitespace")
        return value

    return AfterValidator(check)


def _terms(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        term = v.strip().lower()
        if term and term not in out:
            out.append(term)
    return out


Id = Annotated[str, Field(pattern=ID_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=200), NoControl]
OptionalName = Annotated[str, Field(max_length=200), NoControl]
Domain = Annotated[str, Field(max_length=253), AfterValidator(normalize_domain)]
HttpsUrl = Annotated[str, _url(("https",))]
WebUrl = Annotated[str, _url(("http", "https"))]
Terms = Annotated[
    list[Annotated[str, Field(max_length=64), NoControl]],
    Field(max_length=MAX_TERMS),
    AfterValidator(_terms),
]


def _known_ids(values: list[str]) -> list[str]:
    unknown = unknown_ids(taxonomy.load(), values)
    if unknown:
        raise ValueError(f"unknown category id {unknown[0]!r} (not in the Content Taxonomy)")
    return values


# A campaign's categories: taxonomy ids or names (any case), or free-form terms.
CategoryTerms = Annotated[Terms, AfterValidator(_known_ids)]
Side = Annotated[int, Field(ge=1, le=MAX_CREATIVE_SIDE, strict=True)]
PageTitle = Annotated[str, Field(max_length=MAX_PAGE_TITLE)]
PageDescription = Annotated[str, Field(max_length=MAX_PAGE_DESCRIPTION)]
PageText = Annotated[str, Field(max_length=MAX_PAGE_TEXT)]
Status = Literal["active", "paused"]
Delivery = Literal["even", "asap"]
CategoryId = Annotated[
    str, Field(min_length=1, max_length=64), NoControl, AfterValidator(lambda v: v.strip().lower())
]
CategoryFloors = Annotated[dict[CategoryId, FloorMicros], Field(max_length=MAX_TERMS)]


class Body(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class AccountCreate(Body):
    id: Id | None = None
    name: Name


class SiteCreate(Body):
    id: Id | None = None
    domain: Domain
    name: OptionalName = ""
    bid_weight: Annotated[float, Field(ge=0.0, le=4.0, allow_inf_nan=False)] = 0.5


class SitePatch(Body):
    domain: Domain | None = None
    name: OptionalName | None = None
    bid_weight: Annotated[float, Field(ge=0.0, le=4.0, allow_inf_nan=False)] | None = None
    # The lowest CPM a bid may have on the site, and per page category (0: none).
    floor_cpm: FloorMicros | None = None
    category_floors: CategoryFloors | None = None


class BlocklistBody(Body):
    domains: Annotated[list[Domain], Field(max_length=10_000)]


def _iso_time_only(value: object) -> object:
    # pydantic would also take a number of seconds; the API documents an ISO-8601 string.
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 date-time string with a time zone")
    return value


FlightTime = Annotated[AwareDatetime, BeforeValidator(_iso_time_only)]


class CampaignCreate(Body):
    id: Id | None = None
    name: Name
    daily_budget: BudgetMicros
    cpm: CpmMicros
    categories: CategoryTerms = []
    keywords: Terms = []
    excluded_categories: CategoryTerms = []
    excluded_keywords: Terms = []
    status: Status = "active"
    delivery_mode: Delivery = "even"
    # The flight (UTC); a time without a zone is refused.
    flight_start: FlightTime | None = None
    flight_end: FlightTime | None = None

    def draft(self, advertiser_id: str) -> Campaign:
        """The campaign this body asks for (its id filled in by the service when absent)."""
        return Campaign(
            id=self.id or "",
            advertiser_id=advertiser_id,
            name=self.name,
            daily_budget_micros=self.daily_budget,
            cpm_micros=self.cpm,
            categories=frozenset(self.categories),
            keywords=frozenset(self.keywords),
            status=CampaignStatus(self.status),
            excluded_categories=frozenset(self.excluded_categories),
            excluded_keywords=frozenset(self.excluded_keywords),
            delivery=DeliveryMode(self.delivery_mode),
            flight_start=_epoch(self.flight_start),
            flight_end=_epoch(self.flight_end),
        )


class CampaignPatch(Body):
    name: Name | None = None
    daily_budget: BudgetMicros | None = None
    cpm: CpmMicros | None = None
    categories: CategoryTerms | None = None
    keywords: Terms | None = None
    excluded_categories: CategoryTerms | None = None
    excluded_keywords: Terms | None = None
    status: Status | None = None
    delivery_mode: Delivery | None = None
    flight_start: FlightTime | None = None
    flight_end: FlightTime | None = None

    def changes(self) -> dict[str, Any]:
        """`CampaignService.update`'s arguments: None for every field left out (unchanged)."""
        return {
            "name": self.name,
            "daily_budget_micros": self.daily_budget,
            "cpm_micros": self.cpm,
            "categories": _term_set(self.categories),
            "keywords": _term_set(self.keywords),
            "status": CampaignStatus(self.status) if self.status is not None else None,
            "excluded_categories": _term_set(self.excluded_categories),
            "excluded_keywords": _term_set(self.excluded_keywords),
            "delivery": DeliveryMode(self.delivery_mode) if self.delivery_mode else None,
            "flight_start": _epoch(self.flight_start),
            "flight_end": _epoch(self.flight_end),
        }


def _epoch(when: datetime | None) -> float | None:
    return None if when is None else when.timestamp()


def _term_set(values: list[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values is not None else None


class CreativeCreate(Body):
    id: Id | None = None
    asset_url: HttpsUrl
    landing_url: WebUrl
    width: Side
    height: Side
    status: Status = "active"


class CreativePatch(Body):
    status: Status


class ServeSlot(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    id: Annotated[str, Field(min_length=1, max_length=64), NoControl]
    width: Side
    height: Side


class ServeBody(BaseModel):
    """`POST /v1/serve`; unknown fields are ignored so ad tags may send more."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )
    site_id: Annotated[str, Field(min_length=1, max_length=64), NoControl]
    url: WebUrl
    slots: Annotated[list[ServeSlot], Field(min_length=1, max_length=16)]
    # Factories, not `[]`: pydantic deep-copies a mutable default for every request.
    categories: Terms = Field(default_factory=list)
    keywords: Terms = Field(default_factory=list)
    # What the page says about itself, for the classifier (headings and a text excerpt).
    title: PageTitle = ""
    description: PageDescription = ""
    text: PageText = ""


class PinBody(Body):
    # Absent: the pin is the whole site's.
    url: WebUrl | None = None
    categories: Annotated[
        list[Annotated[str, Field(max_length=200)]], Field(min_length=1, max_length=20)
    ]


class ClassifyBody(Body):
    # The caller's reference only: the answer is always the classifier's own, fresh reading.
    url: WebUrl | None = None
    title: PageTitle = ""
    description: PageDescription = ""
    text: PageText


class Out(BaseModel):
    """Response bodies (documentation; handlers build the dicts directly)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class AccountOut(Out):
    id: str
    name: str
    active: bool
    api_key: str | None = None


class SiteOut(Out):
    id: str
    publisher_id: str
    domain: str
    name: str
    bid_weight: float
    floor_cpm: float
    category_floors: dict[str, float]
    pacing: PacingOut
    archived: bool


class CampaignOut(Out):
    id: str
    advertiser_id: str
    name: str
    daily_budget: float
    cpm: float
    categories: list[str]
    keywords: list[str]
    excluded_categories: list[str]
    excluded_keywords: list[str]
    status: str
    delivery_mode: str
    flight_start: str | None
    flight_end: str | None
    archived: bool


class CreativeOut(Out):
    id: str
    campaign_id: str
    advertiser_id: str
    asset_url: str
    landing_url: str
    width: int
    height: int
    status: str
    archived: bool


class ApprovalOut(Out):
    creative_id: str
    campaign_id: str
    advertiser_id: str
    status: str
    landing_url: str
    landing_domain: str
    asset_url: str
    width: int
    height: int
    cpm: float | None


class BlocklistOut(Out):
    publisher_id: str
    domains: list[str]


class ClassifiedCategoryOut(Out):
    id: str
    name: str
    tier1: str
    score: float


class ClassifyOut(Out):
    categories: list[ClassifiedCategoryOut]
    keywords: list[str]


class PinOut(Out):
    url: str | None
    categories: list[str]


class ErrorOut(BaseModel):
    error: str
    message: str
    field: str | None = None
