"""The live simulator's world: a world plan created on the server through the public API.

The plan (:mod:`promovolve.sim.plan`) says what exists: the publisher and its site, the
advertisers, their campaigns and creatives, where each campaign runs. :class:`WorldBuilder`
creates it and approves every creative on the sites its campaign runs on; :func:`apply_action`
makes the campaign changes of churn and events. The serve benchmark builds its worlds here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from promovolve.sim.live.api import Api, ApiError
from promovolve.sim.live.schedule import Action
from promovolve.sim.live.values import json_object, number
from promovolve.sim.plan import PlannedCampaign, PlannedSite, WorldPlan


class NetworkPlanError(ValueError):
    """The plan has several sites; the live simulator drives one."""


def only_site(plan: WorldPlan) -> PlannedSite:
    """The plan's one site (a network scenario is for the lab)."""
    if len(plan.sites) != 1:
        ids = ", ".join(site.id for site in plan.sites)
        raise NetworkPlanError(
            f"the live simulator drives one site; this scenario plans {len(plan.sites)} "
            f"({ids}): run it with `promovolve lab`"
        )
    return plan.sites[0]


@dataclass(slots=True)
class SimCampaign:
    advertiser: int
    index: int
    id: str
    advertiser_id: str
    key: str
    budget: float
    cpm: float
    active: bool = True
    creatives: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"adv-{self.advertiser}-camp-{self.index}"


@dataclass(slots=True)
class SimWorld:
    """Everything the simulator created on the server."""

    publisher_id: str
    publisher_key: str
    site_id: str
    domain: str
    page_url: str = ""
    categories: tuple[str, ...] = ()
    advertisers: dict[str, str] = field(default_factory=dict)  # advertiser id → API key
    campaigns: list[SimCampaign] = field(default_factory=list)
    ctr_by_creative: dict[str, float] = field(default_factory=dict)
    # The shapes the site's pacing config holds (weekday, weekend), as the server answered
    # them; None when the site learns its shape from traffic alone.
    configured_shapes: tuple[list[float] | None, list[float] | None] | None = None

    def active_budget(self) -> float:
        return sum(c.budget for c in self.campaigns if c.active)

    @property
    def creative_count(self) -> int:
        return sum(len(c.creatives) for c in self.campaigns)

    def configured_shape(self, weekend: bool) -> list[float] | None:
        if self.configured_shapes is None:
            return None
        weekday_shape, weekend_shape = self.configured_shapes
        return (weekend_shape or weekday_shape) if weekend else (weekday_shape or weekend_shape)

    def site_path(self, suffix: str = "") -> str:
        return f"/v1/publishers/{self.publisher_id}/sites/{self.site_id}{suffix}"


def _account(answer: object, fallback_id: str, path: str) -> tuple[str, str]:
    """(id, apiKey) from an account creation answer."""
    data = json_object(answer) or {}
    key = data.get("apiKey")
    if not isinstance(key, str) or not key:
        raise ApiError("POST", path, 0, "no-api-key", "the answer holds no apiKey")
    return str(data.get("id") or fallback_id), key


def _shape(value: object) -> list[float] | None:
    if not isinstance(value, list):
        return None
    numbers = [number(v) for v in value]
    return [n for n in numbers if n is not None] if None not in numbers else None


class WorldBuilder:
    """Creates a plan's world on the server; ``world`` holds what exists so far (also when
    a step fails or the run is interrupted half-way)."""

    def __init__(self, api: Api, admin_key: str, plan: WorldPlan) -> None:
        self.api = api
        self.admin_key = admin_key
        self.plan = plan
        self.site = only_site(plan)
        self.world: SimWorld | None = None

    async def build(self, pacing: Mapping[str, object] | None = None) -> SimWorld:
        """Publisher, site and its pacing config, advertisers, campaigns, creatives; approve
        each creative on its campaign's sites. ``pacing`` adds to the site's pacing body."""
        world = await self._site()
        await self._pacing(world, pacing or {})
        for number_, advertiser_id in enumerate(self.plan.advertiser_ids, start=1):
            created = await self.api.post(
                "/v1/advertisers",
                self.admin_key,
                {"id": advertiser_id, "name": f"Simulated advertiser {number_}"},
            )
            _, world.advertisers[advertiser_id] = _account(
                created, advertiser_id, "/v1/advertisers"
            )
        for planned in self.plan.campaigns:
            world.campaigns.append(await self._campaign(world, planned))
        for planned, campaign in zip(self.plan.campaigns, world.campaigns, strict=True):
            if self.site.id not in planned.site_ids:
                continue
            for creative_id in campaign.creatives:
                await self.api.post(
                    world.site_path(f"/approvals/{creative_id}/approve"), world.publisher_key
                )
        return world

    async def _site(self) -> SimWorld:
        name, plan, site = self.plan.scenario.name, self.plan, self.site
        created = await self.api.post(
            "/v1/publishers",
            self.admin_key,
            {"id": plan.publisher_id, "name": f"Simulator publisher ({name})"},
        )
        publisher_id, publisher_key = _account(created, plan.publisher_id, "/v1/publishers")
        answer = await self.api.post(
            f"/v1/publishers/{publisher_id}/sites",
            publisher_key,
            {"id": site.id, "domain": site.domain, "name": f"Simulated site ({name})"},
        )
        site_id = str((json_object(answer) or {}).get("id") or site.id)
        self.world = SimWorld(
            publisher_id, publisher_key, site_id, site.domain, site.page_url, site.categories
        )
        return self.world

    async def _pacing(self, world: SimWorld, extra: Mapping[str, object]) -> None:
        body: dict[str, object] = {
            "dayDurationSeconds": self.site.traffic.day_duration_seconds,
            "warmupMode": False,
        }
        if self.site.configured_shapes is not None:
            weekday, weekend = self.site.configured_shapes
            body["weekdayShapeVolumes"] = list(weekday)
            body["weekendShapeVolumes"] = list(weekend)
        body.update(extra)
        path = world.site_path("/pacing")
        await self.api.put(path, world.publisher_key, body)
        # What the site holds now, as the server says (not what was sent).
        config = json_object(await self.api.get(path, world.publisher_key)) or {}
        weekday_held = _shape(config.get("weekdayShapeVolumes"))
        weekend_held = _shape(config.get("weekendShapeVolumes"))
        if weekday_held is not None or weekend_held is not None:
            world.configured_shapes = (weekday_held, weekend_held)

    async def _campaign(self, world: SimWorld, planned: PlannedCampaign) -> SimCampaign:
        key = world.advertisers[planned.advertiser_id]
        base = f"/v1/advertisers/{planned.advertiser_id}/campaigns"
        body = {
            "id": planned.id,
            "name": f"{planned.label} ({self.plan.scenario.name})",
            "dailyBudget": planned.daily_budget_usd,
            "cpm": planned.cpm_usd,
            "categories": list(planned.categories),
            "keywords": [],
            "status": "active",
        }
        answer = json_object(await self.api.post(base, key, body)) or {}
        campaign = SimCampaign(
            planned.advertiser,
            planned.index,
            str(answer.get("id") or planned.id),
            planned.advertiser_id,
            key,
            planned.daily_budget_usd,
            planned.cpm_usd,
        )
        for creative in planned.creatives:
            creative_body = {
                "id": creative.id,
                "assetUrl": creative.asset_url,
                "landingUrl": creative.landing_url,
                "width": creative.width,
                "height": creative.height,
            }
            path = f"{base}/{campaign.id}/creatives"
            answer = json_object(await self.api.post(path, key, creative_body)) or {}
            creative_id = str(answer.get("id") or creative.id)
            campaign.creatives.append(creative_id)
            world.ctr_by_creative[creative_id] = creative.ctr
        return campaign


async def apply_action(
    api: Api, world: SimWorld, action: Action, note_error: Callable[[str], None]
) -> Sequence[tuple[SimCampaign, str]]:
    """PATCH the campaigns a churn entry or event names; (campaign, what changed) of each
    change the server took (a refused one is noted, and the run goes on)."""
    changed: list[tuple[SimCampaign, str]] = []
    for campaign in world.campaigns:
        if campaign.advertiser != action.advertiser:
            continue
        if action.campaign is not None and campaign.index != action.campaign:
            continue
        body: dict[str, object]
        if action.action == "setBudget" and action.budget is not None:
            body = {"dailyBudget": action.budget}
        elif action.action in ("pause", "resume"):
            body = {"status": "paused" if action.action == "pause" else "active"}
        else:
            continue
        path = f"/v1/advertisers/{campaign.advertiser_id}/campaigns/{campaign.id}"
        try:
            await api.patch(path, campaign.key, body)
        except ApiError as error:
            note_error(str(error))
            continue
        if action.action == "setBudget" and action.budget is not None:
            campaign.budget = action.budget
            changed.append((campaign, f"budget ${action.budget:.2f}"))
        else:
            campaign.active = action.action == "resume"
            changed.append((campaign, action.action))
    return changed
