"""The server's hot state: every account and catalog object, and one engine per site.

Touched only from the event loop's thread, so each engine is used by one caller at a time
without locks. The registries keep everything, archived objects and deactivated accounts
included (their history stays readable); the catalog and a site's `serving` flag say what
may serve.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from promovolve.api.keys import KeyRing
from promovolve.api.metrics import Metrics
from promovolve.domain.model import Advertiser, Campaign, Creative, HouseAd, Publisher, Site
from promovolve.engine.catalog import Catalog
from promovolve.engine.lifetime_spend import LifetimeSpend
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.engine.network_pace import InMemoryNetworkPace
from promovolve.engine.policies import policy_named
from promovolve.engine.site import SiteEngine
from promovolve.network.batched_ledger import BatchedRedisLedger

logger = logging.getLogger("promovolve.api.state")


@dataclass(slots=True)
class SiteState:
    engine: SiteEngine
    clock_origin: float
    # False while the site is archived or its publisher is deactivated.
    serving: bool = True

    @property
    def site(self) -> Site:
        return self.engine.site


@dataclass(slots=True)
class ServerState:
    keyring: KeyRing
    metrics: Metrics
    catalog: Catalog = field(default_factory=Catalog)
    ledger: InMemoryBudgetLedger | BatchedRedisLedger = field(default_factory=InMemoryBudgetLedger)
    # Every engine paces each campaign over all the sites it runs on (docs/pacing.md).
    network: InMemoryNetworkPace = field(default_factory=InMemoryNetworkPace)
    # Each campaign's spend before its latest day, for lifetime budgets (all engines).
    lifetime_spend: LifetimeSpend = field(default_factory=LifetimeSpend)
    publishers: dict[str, Publisher] = field(default_factory=dict)
    advertisers: dict[str, Advertiser] = field(default_factory=dict)
    sites: dict[str, SiteState] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    creatives: dict[str, Creative] = field(default_factory=dict)
    blocklists: dict[str, frozenset[str]] = field(default_factory=dict)
    campaign_last_site: dict[str, str] = field(default_factory=dict)
    # Publisher pins: site → page URL ("" for the whole site) → category ids.
    pins: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # Publishers' house ads, archived ones too.
    house_ads: dict[str, HouseAd] = field(default_factory=dict)
    _by_campaign: dict[str, dict[str, Creative]] = field(default_factory=dict, init=False)

    def creatives_of(self, campaign_id: str) -> list[Creative]:
        return list(self._by_campaign.get(campaign_id, {}).values())

    def put_campaign(self, campaign: Campaign) -> None:
        """Record a campaign and put it in (or take it out of) what may serve."""
        self.campaigns[campaign.id] = campaign
        advertiser = self.advertisers.get(campaign.advertiser_id)
        if campaign.archived or advertiser is None or not advertiser.active:
            self.catalog.remove_campaign(campaign.id)
            return
        self.catalog.put_campaign(campaign)
        for creative in self.creatives_of(campaign.id):
            self._publish_creative(creative)

    def put_creative(self, creative: Creative) -> None:
        """Record a creative; it may serve once its campaign may."""
        self.creatives[creative.id] = creative
        self._by_campaign.setdefault(creative.campaign_id, {})[creative.id] = creative
        if creative.campaign_id in self.catalog.campaigns:
            self._publish_creative(creative)

    def _publish_creative(self, creative: Creative) -> None:
        if creative.archived:
            self.catalog.remove_creative(creative.campaign_id, creative.id)
        else:
            self.catalog.put_creative(creative)

    def put_advertiser(self, advertiser: Advertiser) -> None:
        self.advertisers[advertiser.id] = advertiser
        for campaign in list(self.campaigns.values()):
            if campaign.advertiser_id == advertiser.id:
                self.put_campaign(campaign)

    def put_publisher(self, publisher: Publisher) -> None:
        self.publishers[publisher.id] = publisher
        for state in self.sites.values():
            if state.site.publisher_id == publisher.id:
                self._set_serving(state)

    def put_house_ad(self, ad: HouseAd) -> None:
        self.house_ads[ad.id] = ad
        state = self.sites.get(ad.site_id)
        if state is not None:
            state.engine.set_house_ads(self.house_ads_of(ad.site_id))

    def house_ads_of(self, site_id: str) -> list[HouseAd]:
        return [ad for ad in self.house_ads.values() if ad.site_id == site_id]

    def add_site(self, site: Site, origin: float, now: float, started: bool = True) -> SiteState:
        state = SiteState(self.new_engine(site, origin, now), origin)
        state.engine.set_house_ads(self.house_ads_of(site.id))
        if started:
            state.engine.start(now)
        self.sites[site.id] = state
        self._set_serving(state)
        self.metrics.sites.set(len(self.sites))
        return state

    def update_site(
        self, state: SiteState, site: Site, now: float, origin: float | None = None
    ) -> None:
        state.engine.update_site(site, now, origin)
        self._set_serving(state)

    def _set_serving(self, state: SiteState) -> None:
        state.serving = self._may_serve(state.site)
        if not state.serving:
            # A site that serves no more expects no traffic for the network's campaigns.
            self.network.clear_site(state.site.id)

    def _may_serve(self, site: Site) -> bool:
        publisher = self.publishers.get(site.publisher_id)
        return not site.archived and publisher is not None and publisher.active

    def new_engine(self, site: Site, origin: float, now: float) -> SiteEngine:
        try:
            engine = self._engine(site, origin)
        except (ArithmeticError, ValueError) as exc:
            # A stored config the engine cannot use (written before it was checked) must not
            # keep the server from starting: run the site on learned shapes only.
            logger.error("site %s: ignoring configured traffic shapes: %s", site.id, exc)
            site = replace(
                site,
                pacing=replace(site.pacing, weekday_shape_volumes=None, weekend_shape_volumes=None),
            )
            engine = self._engine(site, origin)
        # Applying the settings once sets up the test-throttle gate when there is one.
        engine.update_site(site, now)
        engine.set_blocklist(self.blocklists.get(site.publisher_id, frozenset()))
        return engine

    def _engine(self, site: Site, origin: float) -> SiteEngine:
        policy = policy_named("default")
        return SiteEngine(
            site,
            self.catalog,
            self.ledger,
            policy,
            origin,
            network=self.network,
            lifetime_spend=self.lifetime_spend,
        )

    def tick(self, now: float) -> list[str]:
        """Every serving site without a request: day rollover, and its forecasts to the
        network brought up to date (a quiet site expects less as its day goes by). Answers
        the sites whose day began."""
        return [site_id for site_id, s in self.sites.items() if s.serving and s.engine.tick(now)]

    def set_blocklist(self, publisher_id: str, domains: frozenset[str]) -> None:
        self.blocklists[publisher_id] = domains
        for state in self.sites.values():
            if state.site.publisher_id == publisher_id:
                state.engine.set_blocklist(domains)
