"""The live simulator's world: what it creates on the server through the public API.

A publisher with one site, the scenario's advertisers, campaigns and creatives, every
creative approved on the site; and later, the campaign changes of churn and events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from promovolve.sim.live.api import Api, ApiError
from promovolve.sim.live.schedule import Action
from promovolve.sim.live.values import json_object, number
from promovolve.sim.scenario import Scenario

SLOT_ID = "slot-1"
SLOT_WIDTH, SLOT_HEIGHT = 300, 250
CDN_HOST = "cdn.promovolve-sim.example"


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

    run_id: str
    publisher_id: str
    publisher_key: str
    site_id: str
    domain: str
    advertisers: dict[int, tuple[str, str]] = field(default_factory=dict)  # a → (id, key)
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
    """Creates a scenario's world on the server; ``world`` holds what exists so far (also
    when a step fails or the run is interrupted half-way)."""

    def __init__(self, api: Api, admin_key: str, scenario: Scenario, run_id: str) -> None:
        self.api = api
        self.admin_key = admin_key
        self.scenario = scenario
        self.run_id = run_id
        self.world: SimWorld | None = None

    def _id(self, suffix: str) -> str:
        return f"sim-{self.run_id}-{suffix}"

    async def build(self, configure_shape: bool = False) -> SimWorld:
        """Publisher, site, pacing config, advertisers, campaigns, creatives; approve all.

        The site gets the scenario's day length; its shapes only with ``configure_shape``
        (otherwise it learns them from traffic, as in the lab).
        """
        world = await self._site()
        await self._pacing(world, configure_shape)
        creative_index = 0
        for a in range(1, self.scenario.advertisers + 1):
            creative_index = await self._advertiser(world, a, creative_index)
        for campaign in world.campaigns:
            for creative_id in campaign.creatives:
                await self.api.post(
                    world.site_path(f"/approvals/{creative_id}/approve"), world.publisher_key
                )
        return world

    async def _site(self) -> SimWorld:
        name = self.scenario.name
        created = await self.api.post(
            "/v1/publishers",
            self.admin_key,
            {"id": self._id("pub"), "name": f"Simulator publisher ({name})"},
        )
        publisher_id, publisher_key = _account(created, self._id("pub"), "/v1/publishers")
        domain = f"sim-{self.run_id}.example"
        site = await self.api.post(
            f"/v1/publishers/{publisher_id}/sites",
            publisher_key,
            {"id": self._id("site"), "domain": domain, "name": f"Simulated site ({name})"},
        )
        site_id = str((json_object(site) or {}).get("id") or self._id("site"))
        self.world = SimWorld(self.run_id, publisher_id, publisher_key, site_id, domain)
        return self.world

    async def _pacing(self, world: SimWorld, configure_shape: bool) -> None:
        s = self.scenario
        body: dict[str, object] = {
            "dayDurationSeconds": s.day_duration_seconds,
            "warmupMode": False,
        }
        if configure_shape:
            body["weekdayShapeVolumes"] = list(s.weekday_shape)
            body["weekendShapeVolumes"] = list(s.weekend_shape)
        path = world.site_path("/pacing")
        await self.api.put(path, world.publisher_key, body)
        # What the site holds now, as the server says (not what was sent).
        config = json_object(await self.api.get(path, world.publisher_key)) or {}
        weekday = _shape(config.get("weekdayShapeVolumes"))
        weekend = _shape(config.get("weekendShapeVolumes"))
        world.configured_shapes = (
            None if weekday is None and weekend is None else (weekday, weekend)
        )

    async def _advertiser(self, world: SimWorld, a: int, creative_index: int) -> int:
        s = self.scenario
        created = await self.api.post(
            "/v1/advertisers",
            self.admin_key,
            {"id": self._id(f"adv-{a}"), "name": f"Simulated advertiser {a}"},
        )
        advertiser_id, advertiser_key = _account(created, self._id(f"adv-{a}"), "/v1/advertisers")
        world.advertisers[a] = (advertiser_id, advertiser_key)
        for c in range(1, s.campaigns_per_advertiser + 1):
            label = f"adv-{a}-camp-{c}"
            base = f"/v1/advertisers/{advertiser_id}/campaigns"
            body = {
                "id": self._id(label),
                "name": f"{label} ({s.name})",
                "dailyBudget": s.advertiser_budget(a),
                "cpm": s.advertiser_cpm(a),
                "categories": list(s.categories),
                "keywords": [],
                "status": "active",
            }
            answer = json_object(await self.api.post(base, advertiser_key, body)) or {}
            campaign = SimCampaign(
                a,
                c,
                str(answer.get("id") or self._id(label)),
                advertiser_id,
                advertiser_key,
                s.advertiser_budget(a),
                s.advertiser_cpm(a),
            )
            world.campaigns.append(campaign)
            for k in range(1, s.creatives_per_campaign + 1):
                creative_body = {
                    "id": self._id(f"{label}-cr-{k}"),
                    "assetUrl": f"https://{CDN_HOST}/{self.run_id}/{label}/creative-{k}.png",
                    "landingUrl": f"https://advertiser-{a}.example/landing/{c}/{k}",
                    "width": SLOT_WIDTH,
                    "height": SLOT_HEIGHT,
                }
                path = f"{base}/{campaign.id}/creatives"
                answer = json_object(await self.api.post(path, advertiser_key, creative_body)) or {}
                creative_id = str(answer.get("id") or creative_body["id"])
                campaign.creatives.append(creative_id)
                world.ctr_by_creative[creative_id] = s.creative_ctr(creative_index)
                creative_index += 1
        return creative_index


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
