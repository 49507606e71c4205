"""The lab's network, built from a world plan as the server builds its own.

One catalog and one budget ledger shared by one :class:`SiteEngine` per planned site; each
site's publisher approves the creatives of the campaigns planned to run there, so a
campaign competes only on its sites.
"""

from __future__ import annotations

from dataclasses import dataclass

from promovolve.domain.model import ApprovalStatus, Campaign, Creative, PageContext, Site
from promovolve.engine.catalog import Catalog
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.engine.network_pace import InMemoryNetworkPace
from promovolve.engine.policies import PacingPolicy
from promovolve.engine.site import SiteEngine
from promovolve.pacing.config import PacingConfig
from promovolve.sim.plan import PlannedSite, WorldPlan

# Virtual time starts on Monday 1970-01-05 00:00 UTC, so real (86400 s) days fall on the
# weekdays the scenario expects: day d is a weekend day when (d - 1) % 7 is 5 or 6.
RUN_START = 4 * 86400.0


@dataclass(slots=True)
class LabWorld:
    """The shared catalog and ledger and the engines, in the plan's site order."""

    catalog: Catalog
    ledger: InMemoryBudgetLedger
    engines: list[SiteEngine]


def build_catalog(plan: WorldPlan) -> Catalog:
    catalog = Catalog()
    for c in plan.campaigns:
        catalog.put_campaign(
            Campaign(
                c.id,
                c.advertiser_id,
                c.id,
                c.daily_budget_micros,
                c.cpm_micros,
                categories=frozenset(c.categories),
            )
        )
        for cr in c.creatives:
            catalog.put_creative(
                Creative(
                    id=cr.id,
                    campaign_id=c.id,
                    advertiser_id=c.advertiser_id,
                    asset_url=cr.asset_url,
                    landing_url=cr.landing_url,
                    width=cr.width,
                    height=cr.height,
                )
            )
    return catalog


def _pacing_config(site: PlannedSite) -> PacingConfig:
    day = site.traffic.day_duration_seconds
    if site.configured_shapes is None:
        return PacingConfig(day_duration_seconds=day)  # learn the shape from traffic alone
    weekday, weekend = site.configured_shapes
    return PacingConfig(weekday, weekend, day_duration_seconds=day)


def build_engines(
    plan: WorldPlan, catalog: Catalog, ledger: InMemoryBudgetLedger, policy: PacingPolicy
) -> list[SiteEngine]:
    """One engine per site, all reading ``catalog``, spending through ``ledger`` and pacing
    each campaign over all its sites through one network pace, as the server's engines do."""
    network = InMemoryNetworkPace()
    engines: list[SiteEngine] = []
    for planned in plan.sites:
        site = Site(
            id=planned.id,
            publisher_id=plan.publisher_id,
            domain=planned.domain,
            pacing=_pacing_config(planned),
        )
        engine = SiteEngine(site, catalog, ledger, policy, origin=RUN_START, network=network)
        for campaign in plan.campaigns_on(planned.id):
            for creative in campaign.creatives:
                engine.set_approval(creative.id, ApprovalStatus.APPROVED)
        engines.append(engine)
    return engines


def build_world(plan: WorldPlan, policy: PacingPolicy) -> LabWorld:
    catalog = build_catalog(plan)
    ledger = InMemoryBudgetLedger()
    return LabWorld(catalog, ledger, build_engines(plan, catalog, ledger, policy))


def page_of(site: PlannedSite) -> PageContext:
    return PageContext(site.page_url, frozenset(site.categories))
