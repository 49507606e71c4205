"""A site's candidate pools: which campaigns may fill a slot of a page context and size.

Eligibility (active, matching the page, fitting the slot, not blocked, approved here) is
worked out once per page context and slot size and kept as a `CandidatePool` until the
catalog or the site's approvals, blocklist or bid weight change. A creative that would have
competed but was never reviewed here enters the publisher's pending queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from promovolve.domain.auction import page_floor_micros
from promovolve.domain.eligibility import creative_can_run, matches_context
from promovolve.domain.flight_budget import todays_budget_micros
from promovolve.domain.model import ApprovalStatus, Campaign, Creative, PageContext, Site
from promovolve.domain.money import MICROS_PER_USD, impression_price_micros
from promovolve.domain.thompson import CreativeStatsTable, bid_multiplier
from promovolve.engine.candidates import Candidate, CandidatePool
from promovolve.engine.catalog import Catalog
from promovolve.engine.lifetime_spend import LifetimeSpend

CANDIDATE_POOLS_KEPT = 2_048


class SiteCandidates:
    def __init__(
        self,
        catalog: Catalog,
        stats: CreativeStatsTable,
        bid_weight: float,
        lifetime_spend: LifetimeSpend | None = None,
    ) -> None:
        self.catalog = catalog
        self.lifetime_spend = lifetime_spend if lifetime_spend is not None else LifetimeSpend()
        # The site's day (index, start, length in seconds): a lifetime budget's share of it.
        self.day: tuple[int, float, float] = (0, 0.0, 86_400.0)
        self.stats = stats
        self.bid_weight = bid_weight
        self.floor_cpm = 0
        self.category_floors: dict[str, int] = {}
        self.approvals: dict[str, ApprovalStatus] = {}
        self.blocklist: frozenset[str] = frozenset()
        self.newly_pending: list[str] = []
        self._pools: dict[tuple[object, ...], CandidatePool] = {}
        self._version: tuple[int, int, int] = (-1, -1, -1)
        self._local_version = 0

    def __len__(self) -> int:
        """Candidate pools kept."""
        return len(self._pools)

    def changed(self) -> None:
        """Something the pools depend on changed: build them afresh."""
        self._local_version += 1

    def set_bid_weight(self, bid_weight: float) -> None:
        if bid_weight != self.bid_weight:
            self.bid_weight = bid_weight
            self.changed()

    def set_floors(self, site: Site) -> None:
        floors = dict(site.category_floors)
        if (site.floor_cpm_micros, floors) != (self.floor_cpm, self.category_floors):
            self.floor_cpm, self.category_floors = site.floor_cpm_micros, floors
            self.changed()

    def set_day(self, day: int, start: float, seconds: float) -> None:
        """A new day: lifetime budgets get a new share, so pools are built afresh."""
        if (day, start, seconds) != self.day:
            self.day = (day, start, seconds)
            self.changed()

    def _todays_budget(self, campaign: Campaign) -> tuple[int | None, int | None]:
        """A lifetime budget's share of today, and the spend before today it comes from."""
        if campaign.lifetime_budget_micros is None:
            return None, None
        day, start, seconds = self.day
        before = self.lifetime_spend.before(campaign.id, day)
        return todays_budget_micros(campaign, before, start, seconds), before

    def set_approval(self, creative_id: str, status: ApprovalStatus | None) -> None:
        if status is None:
            self.approvals.pop(creative_id, None)
        else:
            self.approvals[creative_id] = status
        self.changed()

    def set_blocklist(self, domains: Iterable[str]) -> None:
        self.blocklist = frozenset(d.lower() for d in domains)
        self.changed()

    def drain_pending(self) -> list[str]:
        """Creatives that entered this site's pending queue since the last call."""
        pending, self.newly_pending = self.newly_pending, []
        return pending

    def pending_count(self) -> int:
        return sum(1 for s in self.approvals.values() if s is ApprovalStatus.PENDING)

    def pool(self, page: PageContext, width: int, height: int) -> CandidatePool:
        version = (self.catalog.version, self._local_version, self.lifetime_spend.version)
        if version != self._version:
            self._pools.clear()
            self._version = version
        key = (page.categories, page.keywords, page.sensitive, width, height)
        pool = self._pools.get(key)
        if pool is None:
            if len(self._pools) >= CANDIDATE_POOLS_KEPT:
                # Page contexts are open-ended (any categories and keywords): start afresh.
                self._pools.clear()
            floor = page_floor_micros(self.floor_cpm, self.category_floors, page.categories)
            candidates, below_floor = self._build(page, width, height, floor)
            pool = CandidatePool(candidates, self.stats, floor, below_floor)
            self._pools[key] = pool
        return pool

    def _build(
        self, page: PageContext, width: int, height: int, floor: int
    ) -> tuple[list[Candidate], int]:
        """The candidates, and how many campaigns that would have competed bid under the floor."""
        candidates: list[Candidate] = []
        below_floor = 0
        for campaign in self.catalog.campaigns.values():
            if not campaign.is_active or not matches_context(campaign, page):
                continue
            approved: list[Creative] = []
            for creative in self.catalog.creatives_of(campaign.id):
                if not creative_can_run(creative, width, height, self.blocklist):
                    continue
                status = self.approvals.get(creative.id)
                if status is None:
                    # First time it would have competed here: into the publisher's queue.
                    self.approvals[creative.id] = ApprovalStatus.PENDING
                    self.newly_pending.append(creative.id)
                elif status is ApprovalStatus.APPROVED:
                    approved.append(creative)
            price = impression_price_micros(campaign.cpm_micros)
            if approved and campaign.cpm_micros < floor:
                below_floor += 1
            elif approved and price > 0:
                multiplier = bid_multiplier(campaign.cpm_micros / MICROS_PER_USD, self.bid_weight)
                rows = tuple((c, self.stats.row(c.id)) for c in approved)
                budget, before = self._todays_budget(campaign)
                candidates.append(
                    Candidate(campaign, price, multiplier, rows, len(candidates), budget, before)
                )
        return candidates, below_floor
