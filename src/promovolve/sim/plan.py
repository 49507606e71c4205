"""One world plan: everything a scenario puts into the ad network, decided once.

:func:`build_plan` turns a :class:`Scenario` into plain frozen data: the publisher, its sites
(each with its own traffic), the advertisers, their campaigns (daily budget and CPM in
micros, targeting categories, the sites they run on) and creatives (ids, size, URLs, click
rates), and the churn and scheduled events. The pacing lab builds its catalog and site
engines from it; the live simulator and the serve benchmark create the same world over
HTTP. The plan imports no engine and no HTTP code, so every consumer can use it.

Ids are the scenario's labels (``adv-1-camp-2``, ``adv-1-camp-2-cr-1``) behind an optional
``prefix``, so several runs can share one server without colliding.
"""

from __future__ import annotations

from dataclasses import dataclass

from promovolve.domain.money import MICROS_PER_USD, usd_to_micros
from promovolve.sim.scenario import (
    DEFAULT_SITE_ID,
    ChurnEvent,
    Scenario,
    ScheduledEvent,
    campaign_id,
)

SLOT_ID = "slot-1"
SLOT_WIDTH, SLOT_HEIGHT = 300, 250
PUBLISHER_ID = "lab-publisher"
DOMAIN = "lab.example"


@dataclass(frozen=True, slots=True)
class PlannedSite:
    """One site: its id, domain, page categories and the traffic it receives.

    ``traffic`` is the scenario as this site sees it (its own shape, delay, noise, bursts,
    quiet periods, start day and silences in place of the top-level ones). ``configured_shapes``
    are the volumes to put into the site's pacing config, or None to let it learn them.
    """

    index: int
    id: str
    domain: str
    page_url: str
    categories: tuple[str, ...]
    traffic: Scenario
    configured_shapes: tuple[tuple[float, ...], tuple[float, ...]] | None


@dataclass(frozen=True, slots=True)
class PlannedCreative:
    id: str
    campaign_id: str
    advertiser_id: str
    asset_url: str
    landing_url: str
    width: int
    height: int
    ctr: float  # the click probability the traffic gives its impressions


@dataclass(frozen=True, slots=True)
class PlannedCampaign:
    """Campaign ``index`` of advertiser ``advertiser`` (both 1-based); money in micros."""

    id: str
    label: str  # the scenario's name for it, ``adv-{a}-camp-{c}``, without the prefix
    advertiser: int
    index: int
    advertiser_id: str
    daily_budget_micros: int
    cpm_micros: int
    categories: tuple[str, ...]
    site_ids: tuple[str, ...]  # the sites whose publisher approves its creatives
    creatives: tuple[PlannedCreative, ...]

    @property
    def daily_budget_usd(self) -> float:
        return self.daily_budget_micros / MICROS_PER_USD

    @property
    def cpm_usd(self) -> float:
        return self.cpm_micros / MICROS_PER_USD


@dataclass(frozen=True, slots=True)
class WorldPlan:
    scenario: Scenario
    publisher_id: str
    sites: tuple[PlannedSite, ...]
    advertiser_ids: tuple[str, ...]  # advertiser a is advertiser_ids[a - 1]
    campaigns: tuple[PlannedCampaign, ...]
    churn: tuple[ChurnEvent, ...]
    events: tuple[ScheduledEvent, ...]

    @property
    def is_network(self) -> bool:
        """True when the scenario lists its sites (its output reports them one by one)."""
        return bool(self.scenario.sites)

    def campaigns_of(self, advertiser: int, campaign: int | None = None) -> list[PlannedCampaign]:
        """The campaigns a churn entry or event acts on (``campaign`` None: all of them)."""
        return [
            c
            for c in self.campaigns
            if c.advertiser == advertiser and (campaign is None or c.index == campaign)
        ]

    def campaigns_on(self, site_id: str) -> list[PlannedCampaign]:
        return [c for c in self.campaigns if site_id in c.site_ids]


def _sites(scenario: Scenario, prefix: str) -> tuple[PlannedSite, ...]:
    sites: list[PlannedSite] = []
    for index, (site_id, traffic) in enumerate(scenario.site_traffic()):
        # The one site of a plain scenario keeps the lab's historical domain.
        domain = DOMAIN if site_id == DEFAULT_SITE_ID else f"{site_id}.{DOMAIN}"
        shapes = (traffic.weekday_shape, traffic.weekend_shape)
        sites.append(
            PlannedSite(
                index=index,
                id=f"{prefix}{site_id}",
                domain=domain,
                page_url=f"https://{domain}/article",
                categories=traffic.categories,
                traffic=traffic,
                configured_shapes=shapes if scenario.configured_shapes else None,
            )
        )
    return tuple(sites)


def build_plan(scenario: Scenario, prefix: str = "") -> WorldPlan:
    """The world ``scenario`` describes; every id starts with ``prefix``."""
    campaigns: list[PlannedCampaign] = []
    creative_index = 0  # click rates cycle over creatives in campaign order
    for a in range(1, scenario.advertisers + 1):
        advertiser_id = f"{prefix}adv-{a}"
        budget = usd_to_micros(scenario.advertiser_budget(a))
        cpm = usd_to_micros(scenario.advertiser_cpm(a))
        site_ids = tuple(f"{prefix}{s}" for s in scenario.advertiser_site_ids(a))
        for c in range(1, scenario.campaigns_per_advertiser + 1):
            label = campaign_id(a, c)
            cid = f"{prefix}{label}"
            creatives: list[PlannedCreative] = []
            for k in range(1, scenario.creatives_per_campaign + 1):
                creatives.append(
                    PlannedCreative(
                        id=f"{cid}-cr-{k}",
                        campaign_id=cid,
                        advertiser_id=advertiser_id,
                        asset_url=f"https://cdn.{DOMAIN}/{cid}/{k}.png",
                        landing_url=f"https://adv-{a}.{DOMAIN}/landing",
                        width=SLOT_WIDTH,
                        height=SLOT_HEIGHT,
                        ctr=scenario.creative_ctr(creative_index),
                    )
                )
                creative_index += 1
            campaigns.append(
                PlannedCampaign(
                    id=cid,
                    label=label,
                    advertiser=a,
                    index=c,
                    advertiser_id=advertiser_id,
                    daily_budget_micros=budget,
                    cpm_micros=cpm,
                    categories=scenario.categories,
                    site_ids=site_ids,
                    creatives=tuple(creatives),
                )
            )
    return WorldPlan(
        scenario=scenario,
        publisher_id=f"{prefix}{PUBLISHER_ID}",
        sites=_sites(scenario, prefix),
        advertiser_ids=tuple(f"{prefix}adv-{a}" for a in range(1, scenario.advertisers + 1)),
        campaigns=tuple(campaigns),
        churn=scenario.churn,
        events=scenario.events,
    )
