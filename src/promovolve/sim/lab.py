"""The pacing lab: a scenario in virtual time through the real site engine.

No HTTP and no sleeping: arrivals come from the scenario's traffic model, each one is
served by `SiteEngine.serve`, and every campaign-day is measured as PACING_LAB.md defines.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from random import Random
from typing import Any

from promovolve.domain.model import (
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    Creative,
    PageContext,
    Site,
    SlotSpec,
)
from promovolve.domain.money import MICROS_PER_USD, impression_price_micros, usd_to_micros
from promovolve.engine.catalog import Catalog
from promovolve.engine.gates import ConstantRateGate
from promovolve.engine.memory import InMemoryBudgetLedger
from promovolve.engine.policies import PacingPolicy, policy_named
from promovolve.engine.site import ServeRequest, SiteEngine
from promovolve.pacing.config import BUCKETS_PER_DAY, PacingConfig
from promovolve.sim.metrics import campaign_day_metrics, shape_metrics, summarize
from promovolve.sim.scenario import Scenario, ScheduledEvent, campaign_id
from promovolve.sim.trace import TraceWriter
from promovolve.sim.traffic import generate_day_arrivals

# Virtual time starts on Monday 1970-01-05 00:00 UTC, so real (86400 s) days fall on the
# weekdays the scenario expects: day d is a weekend day when (d - 1) % 7 is 5 or 6.
RUN_START = 4 * 86400.0
SITE_ID = "lab-site"
SLOT = SlotSpec("slot-1", 300, 250)
# A campaign-day is `eligible` for the pacing targets when its day type (weekday or
# weekend) was seen on an earlier day of the same traffic pattern, the campaign ran the
# whole day with no pause or budget change, and the day's requests could carry this many
# times the impressions that all full-day campaigns' budgets need at their prices.
CAPACITY_FACTOR = 1.5
ORACLE_ITERATIONS = 10
ProgressCallback = Callable[[int, int], None]


@dataclass(slots=True)
class _CampaignDay:
    spend_checkpoints: list[int] = field(default_factory=list)
    exhausted_at: float | None = None
    clicks: int = 0
    touched: bool = False  # an event or churn changed it during the day


@dataclass(slots=True)
class DayRun:
    """What one simulated day produced, before it is turned into metrics."""

    requests: int
    request_checkpoints: list[int]
    campaigns: dict[str, _CampaignDay]
    spend: dict[str, int]
    impressions: dict[str, int]
    budgets: dict[str, int]
    active_all_day: dict[str, bool]


def build_catalog(scenario: Scenario) -> Catalog:
    catalog = Catalog()
    categories = frozenset(scenario.categories)
    index = 0
    for a in range(1, scenario.advertisers + 1):
        budget = usd_to_micros(scenario.advertiser_budget(a))
        cpm = usd_to_micros(scenario.advertiser_cpm(a))
        for c in range(1, scenario.campaigns_per_advertiser + 1):
            cid = campaign_id(a, c)
            catalog.put_campaign(Campaign(cid, f"adv-{a}", cid, budget, cpm, categories=categories))
            for k in range(1, scenario.creatives_per_campaign + 1):
                catalog.put_creative(
                    Creative(
                        id=f"{cid}-cr-{k}",
                        campaign_id=cid,
                        advertiser_id=f"adv-{a}",
                        asset_url=f"https://cdn.lab.example/{cid}/{k}.png",
                        landing_url=f"https://adv-{a}.lab.example/landing",
                        width=SLOT.width,
                        height=SLOT.height,
                    )
                )
                index += 1
    return catalog


def build_engine(scenario: Scenario, policy: PacingPolicy) -> SiteEngine:
    catalog = build_catalog(scenario)
    site = Site(
        id=SITE_ID,
        publisher_id="lab-publisher",
        domain="lab.example",
        pacing=PacingConfig(day_duration_seconds=scenario.day_duration_seconds),
    )
    engine = SiteEngine(site, catalog, InMemoryBudgetLedger(), policy, origin=RUN_START)
    for creatives in catalog.creatives_by_campaign.values():
        for creative_id in creatives:
            engine.set_approval(creative_id, ApprovalStatus.APPROVED)
    return engine


def creative_ctrs(scenario: Scenario, catalog: Catalog) -> dict[str, float]:
    ctrs: dict[str, float] = {}
    index = 0
    for creatives in catalog.creatives_by_campaign.values():
        for creative_id in creatives:
            ctrs[creative_id] = scenario.creative_ctr(index)
            index += 1
    return ctrs


class Lab:
    """Runs one scenario with one strategy; `run()` returns the PACING_LAB JSON document."""

    def __init__(
        self,
        scenario: Scenario,
        strategy: str = "default",
        seed: int | None = None,
        days: int | None = None,
        trace_path: Path | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.scenario = scenario
        self.strategy = strategy
        self.seed = scenario.seed if seed is None else seed
        self.days = scenario.stop_after_days if days is None else days
        if self.days < 1:
            raise ValueError("days must be at least 1")
        self.trace_path = trace_path
        self.on_progress = on_progress
        base = policy_named("default" if strategy == "oracle" else strategy)
        self.policy = base
        if strategy == "oracle":
            self.policy = PacingPolicy(
                "oracle",
                lambda network, site_id: ConstantRateGate({}),
                policy_named("default").make_tracker,
            )
        self.engine = build_engine(scenario, self.policy)
        self.ctrs = creative_ctrs(scenario, self.engine.catalog)
        self.engine_rng = Random(f"{self.seed}:engine")
        self.click_rng = Random(f"{self.seed}:clicks")
        self.page = PageContext("https://lab.example/article", frozenset(scenario.categories))
        self.total_requests = 0
        self._request_counter = 0

    # -- the run ---------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        days: list[dict[str, Any]] = []
        with TraceWriter(self.trace_path) if self.trace_path else _NoTrace() as trace:
            for day in range(1, self.days + 1):
                arrivals = generate_day_arrivals(
                    self.scenario, day, Random(f"{self.seed}:arrivals:{day}")
                )
                if self.scenario.max_requests is not None:
                    left = self.scenario.max_requests - self.total_requests
                    arrivals = arrivals[: max(0, left)]
                self._apply_churn(self.engine, day)
                if self.strategy == "oracle":
                    self._choose_oracle_rates(day, arrivals)
                run = self._run_day(self.engine, day, arrivals, trace, measure=True)
                days.append(self._day_report(day, run))
                if (
                    self.scenario.max_requests is not None
                    and self.total_requests >= self.scenario.max_requests
                ):
                    break
        wall = time.perf_counter() - started
        return {
            "scenario": self.scenario.name,
            "strategy": self.strategy,
            "seed": self.seed,
            "simulation": {
                "requests": self.total_requests,
                "wallSeconds": round(wall, 3),
                "requestsPerSecond": round(self.total_requests / wall) if wall > 0 else 0,
            },
            "days": days,
            "summary": summarize(days),
        }

    def _day_start(self, day: int) -> float:
        return RUN_START + (day - 1) * self.scenario.day_duration_seconds

    def _run_day(
        self,
        engine: SiteEngine,
        day: int,
        arrivals: list[float],
        trace: TraceWriter | _NoTrace,
        measure: bool,
    ) -> DayRun:
        """Serve one day's arrivals; `measure` is False for the oracle's private replays."""
        duration = self.scenario.day_duration_seconds
        start = self._day_start(day)
        engine.tick(start)
        catalog = engine.catalog
        budgets_at_start = {cid: c.daily_budget_micros for cid, c in catalog.campaigns.items()}
        active_at_start = {cid: c.is_active for cid, c in catalog.campaigns.items()}
        tracked = {cid: _CampaignDay() for cid in catalog.campaigns}
        for event in self.scenario.events:
            if event.day == day:
                for cid in self._event_campaigns(event):
                    tracked[cid].touched = True
        events = sorted((e for e in self.scenario.events if e.day == day), key=lambda e: e.hour)
        event_times = [start + e.hour * duration / BUCKETS_PER_DAY for e in events]
        next_event = 0
        checkpoint_step = duration / BUCKETS_PER_DAY
        next_checkpoint = start + checkpoint_step
        checkpoint_index = 1
        request_checkpoints: list[int] = []
        serve = engine.serve
        engine_rng = self.engine_rng
        click_rng = self.click_rng
        ctrs = self.ctrs
        page = self.page
        slots = (SLOT,)
        writing = measure and not isinstance(trace, _NoTrace)
        run_offset = RUN_START
        count = 0
        counter = self._request_counter
        for offset in arrivals:
            now = start + offset
            while now >= next_checkpoint and checkpoint_index < BUCKETS_PER_DAY:
                self._checkpoint(engine, tracked, request_checkpoints, count)
                checkpoint_index += 1
                next_checkpoint = start + checkpoint_index * checkpoint_step
            while next_event < len(events) and now >= event_times[next_event]:
                self._apply_event(engine, events[next_event])
                next_event += 1
            counter += 1
            count += 1
            result = serve(ServeRequest(str(counter), page, slots), now, engine_rng)
            decision = result.slots[0]
            creative = decision.creative
            if creative is not None and decision.campaign is not None:
                cid = decision.campaign.id
                engine.record_impression(creative.id)
                if click_rng.random() < ctrs[creative.id]:
                    engine.record_click(creative.id)
                    tracked[cid].clicks += 1
                state = tracked[cid]
                if state.exhausted_at is None:
                    campaign = catalog.campaigns[cid]
                    left = campaign.daily_budget_micros - engine.campaign_days[cid].spend
                    if left < impression_price_micros(campaign.cpm_micros):
                        state.exhausted_at = offset / duration
                if writing:
                    trace.write(now - run_offset, day, decision.outcome, cid, decision.price_micros)
            elif writing:
                trace.write(now - run_offset, day, decision.outcome, None, None)
            if measure and self.on_progress is not None and count % 20000 == 0:
                self.on_progress(self.total_requests + count, day)
        while next_event < len(events):
            self._apply_event(engine, events[next_event])
            next_event += 1
        while checkpoint_index <= BUCKETS_PER_DAY:
            self._checkpoint(engine, tracked, request_checkpoints, count)
            checkpoint_index += 1
        if measure:
            self._request_counter = counter
            self.total_requests += count
            if self.on_progress is not None:
                self.on_progress(self.total_requests, day)
        spend = {cid: d.spend for cid, d in engine.campaign_days.items()}
        impressions = {cid: d.impressions_served for cid, d in engine.campaign_days.items()}
        budgets = {cid: c.daily_budget_micros for cid, c in catalog.campaigns.items()}
        active_all_day = {
            cid: active_at_start.get(cid, False)
            and c.is_active
            and budgets_at_start.get(cid) == c.daily_budget_micros
            and not tracked[cid].touched
            for cid, c in catalog.campaigns.items()
        }
        # Close the day so the shape learned from it is visible (the rollover).
        engine.tick(start + duration)
        return DayRun(
            count, request_checkpoints, tracked, spend, impressions, budgets, active_all_day
        )

    @staticmethod
    def _checkpoint(
        engine: SiteEngine,
        tracked: dict[str, _CampaignDay],
        request_checkpoints: list[int],
        count: int,
    ) -> None:
        request_checkpoints.append(count)
        days = engine.campaign_days
        for cid, state in tracked.items():
            served = days.get(cid)
            state.spend_checkpoints.append(0 if served is None else served.spend)

    # -- churn and events ------------------------------------------------------------
    def _campaigns_of(self, advertiser: int) -> list[str]:
        return [
            campaign_id(advertiser, c) for c in range(1, self.scenario.campaigns_per_advertiser + 1)
        ]

    def _event_campaigns(self, event: ScheduledEvent) -> list[str]:
        if event.campaign is not None:
            return [campaign_id(event.advertiser, event.campaign)]
        return self._campaigns_of(event.advertiser)

    def _apply_churn(self, engine: SiteEngine, day: int) -> None:
        for churn in self.scenario.churn:
            if churn.day == day:
                status = CampaignStatus.PAUSED if churn.action == "pause" else CampaignStatus.ACTIVE
                for cid in self._campaigns_of(churn.advertiser):
                    self._update(engine, cid, status=status)

    def _apply_event(self, engine: SiteEngine, event: ScheduledEvent) -> None:
        for cid in self._event_campaigns(event):
            if event.action == "setBudget" and event.budget is not None:
                self._update(engine, cid, budget=usd_to_micros(event.budget))
            elif event.action == "pause":
                self._update(engine, cid, status=CampaignStatus.PAUSED)
            elif event.action == "resume":
                self._update(engine, cid, status=CampaignStatus.ACTIVE)

    @staticmethod
    def _update(
        engine: SiteEngine,
        cid: str,
        status: CampaignStatus | None = None,
        budget: int | None = None,
    ) -> None:
        campaign = engine.catalog.campaigns[cid]
        engine.catalog.put_campaign(
            replace(
                campaign,
                status=campaign.status if status is None else status,
                daily_budget_micros=(campaign.daily_budget_micros if budget is None else budget),
            )
        )

    # -- the oracle --------------------------------------------------------------------
    def _choose_oracle_rates(self, day: int, arrivals: list[float]) -> None:
        """Bisect each campaign's constant pass rate over private replays of the day."""
        engine = self.engine
        n = max(1, len(arrivals))
        lows: dict[str, float] = {}
        highs: dict[str, float] = {}
        rates: dict[str, float] = {}
        for cid, campaign in engine.catalog.campaigns.items():
            price = max(1, impression_price_micros(campaign.cpm_micros))
            rates[cid] = min(1.0, campaign.daily_budget_micros / price / n)
            lows[cid], highs[cid] = 0.0, 1.0
        saved_rngs = (self.engine_rng.getstate(), self.click_rng.getstate())
        for _ in range(ORACLE_ITERATIONS):
            replay = copy.deepcopy(engine)
            replay.gate = ConstantRateGate(dict(rates))
            run = self._run_day(replay, day, arrivals, _NoTrace(), measure=False)
            self.engine_rng.setstate(saved_rngs[0])
            self.click_rng.setstate(saved_rngs[1])
            for cid, rate in rates.items():
                state = run.campaigns[cid]
                if state.exhausted_at is not None and state.exhausted_at < 0.995:
                    highs[cid] = rate
                else:
                    lows[cid] = rate
                rates[cid] = (lows[cid] + highs[cid]) / 2
        engine.gate = ConstantRateGate(rates)

    # -- reporting ---------------------------------------------------------------------
    def _day_report(self, day: int, run: DayRun) -> dict[str, Any]:
        scenario = self.scenario
        history = self.engine.controller.history
        learned = list(history[-1].shape) if history else [1.0] * BUCKETS_PER_DAY
        actual = list(scenario.shape_for_day(day))
        shape = shape_metrics(learned, actual)
        needed = 0.0
        for cid, budget in run.budgets.items():
            campaign = self.engine.catalog.campaigns[cid]
            if run.active_all_day[cid]:
                needed += budget / max(1, impression_price_micros(campaign.cpm_micros))
        carries = run.requests >= CAPACITY_FACTOR * needed
        # "From day 2 on" per day type and traffic pattern: the first weekend day, and the
        # day a declared shape change takes effect, have nothing learned either.
        weekend = scenario.is_weekend(day)
        pattern_start = max((c.day for c in scenario.shape_changes if c.day <= day), default=1)
        seen_before = any(scenario.is_weekend(d) == weekend for d in range(pattern_start, day))
        campaigns: list[dict[str, Any]] = []
        for cid, state in run.campaigns.items():
            budget = run.budgets[cid]
            m = campaign_day_metrics(
                budget, state.spend_checkpoints, run.request_checkpoints, state.exhausted_at
            )
            campaigns.append(
                {
                    "campaignId": cid,
                    "budget": budget / MICROS_PER_USD,
                    "spend": run.spend.get(cid, 0) / MICROS_PER_USD,
                    "utilization": round(m.utilization, 6),
                    "overspend": round(m.overspend, 6),
                    "pacingError": round(m.pacing_error, 6),
                    "rmsPacingError": round(m.rms_pacing_error, 6),
                    "exhaustedAt": None if m.exhausted_at is None else round(m.exhausted_at, 6),
                    "impressions": run.impressions.get(cid, 0),
                    "clicks": state.clicks,
                    "eligible": seen_before and carries and run.active_all_day[cid],
                }
            )
        return {
            "day": day,
            "weekend": weekend,
            "requests": run.requests,
            "learnedShape": [round(v, 6) for v in learned],
            "actualShape": actual,
            "shapeMatches": shape.matches,
            "shapeWithinOne": shape.within_one,
            "shapeError": round(shape.error, 6),
            "campaigns": campaigns,
        }


class _NoTrace:
    """Stands in for a TraceWriter when no trace was asked for."""

    def __enter__(self) -> _NoTrace:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(
        self, t: float, day: int, outcome: str, campaign_id: str | None, price: int | None
    ) -> None:
        return None


def run_lab(
    scenario: Scenario,
    strategy: str = "default",
    seed: int | None = None,
    days: int | None = None,
    trace_path: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    return Lab(scenario, strategy, seed, days, trace_path, on_progress).run()
