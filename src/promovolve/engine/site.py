"""The site engine: the one owner of a site's serve-time state and the serve decision.

Serve path, per slot: record the request → warmup? → candidates (active, approved,
matching, fitting, not blocked, bidding at least the floor) → budget left? → pacing gate →
Thompson sampling → second price → reserve the price paid in the budget ledger → answer.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from random import Random

from promovolve.domain.auction import price_paid_micros
from promovolve.domain.ledger import BudgetLedger
from promovolve.domain.model import ApprovalStatus, Campaign, HouseAd, Site, SlotSpec
from promovolve.domain.thompson import CreativeStatsTable
from promovolve.engine import kernels, site_snapshot
from promovolve.engine.candidates import CandidatePool, PoolFunding
from promovolve.engine.catalog import Catalog
from promovolve.engine.decisions import (
    BUDGET_EXHAUSTED,
    NO_CANDIDATES,
    OUTCOME_NAMES,
    PACING_SKIPPED,
    SELECTED,
    WARMUP,
    CampaignDay,
    ServeRequest,
    ServeResult,
    SiteCounters,
    SlotDecision,
    reservation_id,
)
from promovolve.engine.gates import PacingGate, StrategyGate
from promovolve.engine.house import HouseAds, count_house_event
from promovolve.engine.lifetime_spend import LifetimeSpend
from promovolve.engine.network_pace import InMemoryNetworkPace, NetworkPace
from promovolve.engine.policies import PacingPolicy, policy_named
from promovolve.engine.sampling import ThompsonSampler, Win
from promovolve.engine.site_candidates import SiteCandidates
from promovolve.engine.site_clock import pacing_controller
from promovolve.pacing.config import PacingConfig
from promovolve.pacing.controller import PacingController
from promovolve.pacing.strategy import FixedThrottlePacing

logger = logging.getLogger(__name__)

RECENT_REQUESTS_KEPT = 10_000
NOBODY_OUT: tuple[int, ...] = ()

__all__ = [
    "OUTCOME_NAMES",
    "WARMUP",
    "CampaignDay",
    "ServeRequest",
    "ServeResult",
    "SiteCounters",
    "SiteEngine",
    "SlotDecision",
    "reservation_id",
]


class SiteEngine:
    def __init__(
        self,
        site: Site,
        catalog: Catalog,
        ledger: BudgetLedger,
        policy: PacingPolicy | None = None,
        origin: float = 0.0,
        network: NetworkPace | None = None,
        lifetime_spend: LifetimeSpend | None = None,
    ) -> None:
        """`network` is the pace every site engine of the process shares (the default gate
        paces a campaign over all its sites); without one the site is a network of one.
        `lifetime_spend` is the campaigns' spend over their lives, shared the same way."""
        self.site = site
        self.catalog = catalog
        self.ledger = ledger
        self.policy = policy if policy is not None else policy_named("default")
        self.creative_stats = CreativeStatsTable()
        self.lifetime_spend = lifetime_spend if lifetime_spend is not None else LifetimeSpend()
        self.candidates = SiteCandidates(
            catalog, self.creative_stats, site.bid_weight, self.lifetime_spend
        )
        self.candidates.set_floors(site)
        self.lifetime = SiteCounters()
        self.today = SiteCounters()
        self.campaign_days: dict[str, CampaignDay] = {}
        # Answers by request id, so a retried request is neither served nor counted twice.
        self._recent: OrderedDict[str, ServeResult] = OrderedDict()
        self.origin = origin
        self.network = network if network is not None else InMemoryNetworkPace()
        self.gate: PacingGate = self.policy.make_gate(self.network, site.id)
        self.sampler = ThompsonSampler()
        self.paid_prices = self.network.paid_prices  # the campaign's, over all its sites
        self.house = HouseAds()
        self._override_gate: PacingGate | None = self._override_for(site.pacing)
        self.controller = self._new_controller(site.pacing)
        self._fund = kernels.entry_of(kernels.fund)

    def _new_controller(self, config: PacingConfig) -> PacingController:
        tracker = self.policy.make_tracker()
        tracker.configure(config.weekday_shape_volumes, config.weekend_shape_volumes)
        return pacing_controller(tracker, config.day_duration_seconds, self.origin)

    @property
    def _gate_in_use(self) -> PacingGate:
        """The site's testThrottleOverride, when set, replaces the policy's gate (the serve
        path inlines this)."""
        return self.gate if self._override_gate is None else self._override_gate

    @staticmethod
    def _override_for(config: PacingConfig) -> PacingGate | None:
        override = config.test_throttle_override
        return None if override is None else StrategyGate(FixedThrottlePacing(override))

    def update_site(self, site: Site, now: float, origin: float | None = None) -> None:
        """Apply new site settings; a new day length restarts the day clock at `origin`
        (where the change was made, the same on every process), by default `now`."""
        old = self.site.pacing
        self.site = site
        new = site.pacing
        self._override_gate = self._override_for(new)
        if new.day_duration_seconds != old.day_duration_seconds:
            started = self.controller.day_index is not None
            learned = self.controller.tracker.snapshot()
            self.restart_clock(now if origin is None else origin)
            # The learned shapes carry over; today's counts were on the old clock.
            self.controller.tracker.adopt_learned(learned)
            if started:  # its new first day's counts begin at the next request
                self.start(now)
        if (new.weekday_shape_volumes, new.weekend_shape_volumes) != (
            old.weekday_shape_volumes,
            old.weekend_shape_volumes,
        ):
            self.controller.tracker.configure(new.weekday_shape_volumes, new.weekend_shape_volumes)
        self.candidates.set_bid_weight(site.bid_weight)
        self.candidates.set_floors(site)

    @property
    def approvals(self) -> dict[str, ApprovalStatus]:
        return self.candidates.approvals

    @property
    def blocklist(self) -> frozenset[str]:
        return self.candidates.blocklist

    def set_approval(self, creative_id: str, status: ApprovalStatus | None) -> None:
        self.candidates.set_approval(creative_id, status)

    def set_blocklist(self, domains: Iterable[str]) -> None:
        self.candidates.set_blocklist(domains)

    def set_house_ads(self, ads: Iterable[HouseAd]) -> None:
        self.house.load(ads)

    def drain_pending(self) -> list[str]:
        """Creatives that entered this site's pending queue since the last call."""
        return self.candidates.drain_pending()

    def start(self, now: float) -> None:
        """Enter the day containing `now` if no day has begun yet (a new or restored site)."""
        if self.controller.day_index is None:
            self.controller.begin_day(now, observed_from_now=True)
            self._start_day()

    def tick(self, now: float) -> bool:
        """Without a request: roll over to the day containing `now` and bring what the gate
        publishes to the network up to date (a quiet site's traffic still to come shrinks
        with the clock); True if a day began."""
        controller = self.controller
        if controller.day_index is None:
            return False
        began = controller.has_new_day_started(now)
        if began:
            controller.begin_day(now)
            self._start_day()
        self._gate_in_use.refresh(now, controller)
        return began

    def serve(self, request: ServeRequest, now: float, rng: Random) -> ServeResult:
        """Decide every slot of one page view; a repeated request id gets its first answer."""
        previous = self._recent.get(request.request_id)
        if previous is not None:
            return previous
        result = self._decide(request, now, rng)
        recent = self._recent
        recent[request.request_id] = result
        if len(recent) > RECENT_REQUESTS_KEPT:
            recent.popitem(last=False)
        return result

    def _decide(self, request: ServeRequest, now: float, rng: Random) -> ServeResult:
        controller = self.controller
        if controller.observe_request(now):
            self._start_day()
        day = controller.day_index if controller.day_index is not None else 0
        start = controller.day_start if controller.day_start is not None else now
        self.candidates.set_day(day, start, controller.clock.day_duration_seconds)
        if self.site.pacing.warmup_mode:
            decisions = tuple(SlotDecision(slot.id, WARMUP) for slot in request.slots)
            self._count(WARMUP, len(decisions))
            return ServeResult(request.request_id, day, decisions)
        used: set[str] = set()
        house_used: set[str] = set()  # (a subscripted `set[str]()` costs ten times as much)
        decisions_list: list[SlotDecision] = []
        lifetime, today, house = self.lifetime.outcomes, self.today.outcomes, self.house
        for slot in request.slots:
            decision = self._serve_slot(request, slot, day, used, now, rng)
            lifetime[decision.outcome] += 1
            today[decision.outcome] += 1
            if house:
                decision = house.fill(decision, slot, house_used, rng, (self.lifetime, self.today))
            decisions_list.append(decision)
        return ServeResult(request.request_id, day, tuple(decisions_list))

    def _serve_slot(
        self,
        request: ServeRequest,
        slot: SlotSpec,
        day: int,
        used: set[str],
        now: float,
        rng: Random,
    ) -> SlotDecision:
        pool = self.candidates.pool(request.page, slot.width, slot.height)
        below_floor = pool.below_floor
        if below_floor:
            self.lifetime.below_floor += below_floor
            self.today.below_floor += below_floor
        out = self._out_of_play(pool, used, now) if used or pool.flighted else NOBODY_OUT
        size = pool.size
        if size == len(out):
            return SlotDecision(slot.id, NO_CANDIDATES)
        funding = self._funding(pool, day, out)
        if not funding.count:
            return SlotDecision(slot.id, BUDGET_EXHAUSTED)
        gate = self.gate if self._override_gate is None else self._override_gate
        admitted, count = gate.admit(now, self.controller, pool, funding, rng)
        if pool.asap_count:
            # asap campaigns compete whenever funded, whatever the gate said.
            admitted = admitted | (funding.funded & pool.asap)
            count = int(admitted.sum())
        if count == 0:
            return SlotDecision(slot.id, PACING_SKIPPED)
        reservation = reservation_id(request.request_id, slot.id)
        among = None if count == size else admitted.copy()
        while count:
            win = self.sampler.auction(among, rng, pool)
            selected = self._reserve(slot, win, pool.floor, day, reservation, gate, used)
            if selected is not None:
                return selected
            # Refused (spent elsewhere meanwhile): the next best campaign may still fit.
            if among is None:
                among = admitted.copy()
            among[win.candidate.position] = False
            count -= 1
        return SlotDecision(slot.id, BUDGET_EXHAUSTED)

    @staticmethod
    def _out_of_play(pool: CandidatePool, used: set[str], now: float) -> list[int]:
        """Positions that do not compete: campaigns already used on the page and, like
        them, campaigns outside their flight."""
        position_of = pool.position_of
        out = [position_of[cid] for cid in used if cid in position_of]
        if pool.flighted:
            candidates = pool.candidates
            grounded = [p for p in pool.flighted if not candidates[p].campaign.in_flight(now)]
            out += [p for p in grounded if p not in out]
        return out

    def _funding(self, pool: CandidatePool, day: int, out: Sequence[int]) -> PoolFunding:
        """What each candidate has left today, whether it can pay and what it is expected to
        pay, in the pool's scratch buffers; a candidate out of play is not funded."""
        spent = self.ledger.spent_many(pool.campaign_ids, day)
        remaining, funded, paid = pool.remaining, pool.funded, self.paid_prices
        count, remaining_total = self._fund(
            pool.budgets,
            spent,
            pool.prices,
            pool.rows_in(paid),
            paid.averages,
            remaining,
            funded,
            pool.expected,
        )
        for position in out:
            if funded[position]:
                funded[position] = False
                count -= 1
                remaining_total -= int(remaining[position])
        return PoolFunding(remaining, funded, count, remaining_total, pool.expected)

    def _reserve(
        self,
        slot: SlotSpec,
        win: Win,
        floor: int,
        day: int,
        reservation: str,
        gate: PacingGate,
        used: set[str],
    ) -> SlotDecision | None:
        """Reserve the price the winner pays: the selection, or None if the ledger refused it."""
        winner = win.candidate
        campaign, budget, before = winner.campaign, winner.budget, winner.spent_before
        price = price_paid_micros(
            campaign.cpm_micros, floor, win.runner_up, win.ctr, self.site.bid_weight
        )
        if not self.ledger.reserve(campaign.id, day, reservation, price, budget, before):
            return None
        gate.on_served(campaign.id)
        self.lifetime_spend.add(campaign.id, day, price)
        self.paid_prices.record(campaign.id, price)
        self._on_selected(campaign, price)
        used.add(campaign.id)
        return SlotDecision(slot.id, SELECTED, campaign, win.creative, price)

    def release(self, request_id: str, decision: SlotDecision, day: int) -> bool:
        """Undo a selection whose answer could not be recorded: its spend returns to the budget."""
        campaign = decision.campaign
        if campaign is None or not self.ledger.release(
            campaign.id, day, reservation_id(request_id, decision.slot_id)
        ):
            return False
        self._recent.pop(request_id, None)
        self.lifetime_spend.add(campaign.id, day, -decision.price_micros)
        self.lifetime.outcomes[SELECTED] -= 1
        if day == self.controller.day_index:
            self.today.outcomes[SELECTED] -= 1
            campaign_day = self.campaign_days.get(campaign.id)
            if campaign_day is not None:
                campaign_day.impressions_served -= 1
                campaign_day.spend -= decision.price_micros
        return True

    def refuse(self, request_id: str, decision: SlotDecision, day: int) -> None:
        """A selection the shared ledger refused after the engine decided it (another
        process spent the budget first): undone, and counted as budgetExhausted."""
        if self.release(request_id, decision, day):
            self.lifetime.outcomes[BUDGET_EXHAUSTED] += 1
            if day == self.controller.day_index:
                self.today.outcomes[BUDGET_EXHAUSTED] += 1

    def _on_selected(self, campaign: Campaign, price: int) -> None:
        day = self.campaign_days.get(campaign.id)
        if day is None:
            day = self.campaign_days[campaign.id] = CampaignDay()
        day.impressions_served += 1
        day.spend += price

    def _count(self, outcome: str, n: int) -> None:
        self.lifetime.outcomes[outcome] += n
        self.today.outcomes[outcome] += n

    def _start_day(self) -> None:
        self.gate.start_day(self.controller)
        if self._override_gate is not None:
            self._override_gate.start_day(self.controller)
        self.today = SiteCounters()
        self.campaign_days = {}

    def record_impression(self, creative_id: str) -> None:
        self.creative_stats.record_impression(creative_id)
        self.lifetime.impressions += 1
        self.today.impressions += 1

    def record_click(self, creative_id: str) -> None:
        self.creative_stats.record_click(creative_id)
        self.lifetime.clicks += 1
        self.today.clicks += 1

    def record_house(self, click: bool) -> None:
        """A house ad's viewable impression or click: counted apart, never in Thompson
        statistics (house ads do not compete)."""
        count_house_event(click, (self.lifetime, self.today))

    def stats(self, now: float) -> dict[str, object]:
        """The seed's site-stats fields (lifetime counters; spend is today's)."""
        return site_snapshot.seed_stats_of(self, now)

    def snapshot(self) -> dict[str, object]:
        return site_snapshot.snapshot_of(self)

    def restore(self, data: Mapping[str, object]) -> None:
        site_snapshot.restore_into(self, data)

    def restart_clock(self, origin: float) -> None:
        """Days count from `origin` now (a restored site keeps the clock it had)."""
        self.origin = origin
        self.controller = self._new_controller(self.site.pacing)
