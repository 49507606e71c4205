"""The pacing lab: a scenario in virtual time through the real site engines.

No HTTP and no sleeping: the scenario becomes a world plan, the plan a network of site
engines sharing one catalog and one budget ledger (as the server runs them), each site's
arrivals come from its traffic model, merged in time order, each one is served by
`SiteEngine.serve` of its site, and every campaign-day is measured as PACING_LAB.md defines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from random import Random
from typing import Any

import numpy as np

from promovolve.domain.model import CampaignStatus, SlotSpec
from promovolve.domain.money import impression_price_micros, usd_to_micros
from promovolve.engine.gates import ConstantRateGate
from promovolve.engine.policies import PacingPolicy, policy_named
from promovolve.engine.site import ServeRequest
from promovolve.pacing.config import BUCKETS_PER_DAY
from promovolve.pacing.controller import DaySummary
from promovolve.sim.day_report import CampaignDayRun, DayRun, day_report
from promovolve.sim.metrics import revenue_summary, summarize
from promovolve.sim.oracle import choose_oracle_rates
from promovolve.sim.plan import SLOT_HEIGHT, SLOT_ID, SLOT_WIDTH, WorldPlan, build_plan
from promovolve.sim.scenario import Scenario, ScheduledEvent
from promovolve.sim.trace import NoTrace, TraceWriter
from promovolve.sim.traffic import generate_day_arrivals
from promovolve.sim.world import RUN_START, LabWorld, build_world, page_of

SLOT = SlotSpec(SLOT_ID, SLOT_WIDTH, SLOT_HEIGHT)
ProgressCallback = Callable[[int, int], None]


def lab_policy(strategy: str) -> PacingPolicy:
    """The named policy; the oracle's gates get their rates from the lab every day."""
    if strategy == "oracle":
        return PacingPolicy(
            "oracle",
            lambda network, site_id: ConstantRateGate({}),
            policy_named("default").make_tracker,
        )
    return policy_named(strategy)


def merge_arrivals(per_site: list[list[float]]) -> tuple[list[float], list[int]]:
    """All sites' arrivals in time order, with the index of the site of each."""
    if len(per_site) == 1:
        return per_site[0], [0] * len(per_site[0])
    times = np.concatenate([np.asarray(a, dtype=np.float64) for a in per_site])
    sites = np.concatenate([np.full(len(a), i, dtype=np.int64) for i, a in enumerate(per_site)])
    order = np.argsort(times, kind="stable")
    return times[order].tolist(), sites[order].tolist()


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
        self.plan: WorldPlan = build_plan(scenario)
        self.world: LabWorld = build_world(self.plan, lab_policy(strategy))
        self.ctrs = {cr.id: cr.ctr for c in self.plan.campaigns for cr in c.creatives}
        self.engine_rng = Random(f"{self.seed}:engine")
        self.click_rng = Random(f"{self.seed}:clicks")
        self.total_requests = 0
        self._request_counter = 0

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        days: list[dict[str, Any]] = []
        limit = self.scenario.max_requests
        with TraceWriter(self.trace_path) if self.trace_path else NoTrace() as trace:
            for day in range(1, self.days + 1):
                times, sites = merge_arrivals(self._arrivals(day))
                if limit is not None:
                    left = max(0, limit - self.total_requests)
                    times, sites = times[:left], sites[:left]
                self._apply_churn(self.world, day)
                if self.strategy == "oracle":
                    rates = choose_oracle_rates(self, day, times, sites)
                    for engine in self.world.engines:
                        engine.gate = ConstantRateGate(rates)
                run = self.run_day(self.world, day, times, sites, trace, measure=True)
                cpms = {cid: c.cpm_micros for cid, c in self.world.catalog.campaigns.items()}
                learned = [_learned(e.controller.history) for e in self.world.engines]
                days.append(day_report(self.plan, day, run, cpms, learned))
                if limit is not None and self.total_requests >= limit:
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
            "summary": {**summarize(days), **revenue_summary(days)},
        }

    def _arrivals(self, day: int) -> list[list[float]]:
        if not self.plan.is_network:  # the stream a one-site scenario has always used
            site = self.plan.sites[0]
            return [generate_day_arrivals(site.traffic, day, Random(f"{self.seed}:arrivals:{day}"))]
        return [
            generate_day_arrivals(s.traffic, day, Random(f"{self.seed}:arrivals:{s.id}:{day}"))
            for s in self.plan.sites
        ]

    def _day_start(self, day: int) -> float:
        return RUN_START + (day - 1) * self.scenario.day_duration_seconds

    def run_day(
        self,
        world: LabWorld,
        day: int,
        times: list[float],
        sites: list[int],
        trace: TraceWriter | NoTrace,
        measure: bool,
    ) -> DayRun:
        """Serve one day's arrivals; `measure` is False for the oracle's private replays."""
        duration = self.scenario.day_duration_seconds
        start = self._day_start(day)
        engines = world.engines
        for engine in engines:
            engine.tick(start)
        catalog = world.catalog
        ledger = world.ledger
        budgets_at_start = {cid: c.daily_budget_micros for cid, c in catalog.campaigns.items()}
        active_at_start = {cid: c.is_active for cid, c in catalog.campaigns.items()}
        tracked = {cid: CampaignDayRun() for cid in catalog.campaigns}
        events = sorted((e for e in self.scenario.events if e.day == day), key=lambda e: e.hour)
        for event in events:
            for cid in self._event_campaigns(event):
                tracked[cid].touched = True
        event_times = [start + e.hour * duration / BUCKETS_PER_DAY for e in events]
        next_event = 0
        checkpoint_step = duration / BUCKETS_PER_DAY
        next_checkpoint = start + checkpoint_step
        checkpoint_index = 1
        site_counts = [0] * len(engines)
        request_checkpoints: list[list[int]] = []
        serves = [e.serve for e in engines]
        pages = [page_of(s) for s in self.plan.sites]
        site_ids = [s.id for s in self.plan.sites]
        engine_rng = self.engine_rng
        click_rng = self.click_rng
        ctrs = self.ctrs
        slots = (SLOT,)
        writing = measure and not isinstance(trace, NoTrace)
        count = 0
        counter = self._request_counter
        for offset, site in zip(times, sites, strict=True):
            now = start + offset
            while now >= next_checkpoint and checkpoint_index < BUCKETS_PER_DAY:
                self._checkpoint(world, tracked, request_checkpoints, site_counts)
                for engine in engines:  # a quiet site's forecast shrinks with its clock
                    engine.tick(next_checkpoint)
                checkpoint_index += 1
                next_checkpoint = start + checkpoint_index * checkpoint_step
            while next_event < len(events) and now >= event_times[next_event]:
                self._apply_event(world, events[next_event])
                next_event += 1
            counter += 1
            count += 1
            site_counts[site] += 1
            result = serves[site](ServeRequest(str(counter), pages[site], slots), now, engine_rng)
            decision = result.slots[0]
            creative = decision.creative
            if creative is not None and decision.campaign is not None:
                cid = decision.campaign.id
                engine = engines[site]
                engine.record_impression(creative.id)
                if click_rng.random() < ctrs[creative.id]:
                    engine.record_click(creative.id)
                    tracked[cid].clicks += 1
                state = tracked[cid]
                if state.exhausted_at is None:
                    campaign = catalog.campaigns[cid]
                    left = campaign.daily_budget_micros - ledger.spent(cid, result.day_index)
                    if left < impression_price_micros(campaign.cpm_micros):
                        state.exhausted_at = offset / duration
                if writing:
                    trace.write(
                        now - RUN_START,
                        day,
                        decision.outcome,
                        cid,
                        decision.price_micros,
                        site_ids[site],
                    )
            elif writing:
                trace.write(now - RUN_START, day, decision.outcome, None, None, site_ids[site])
            if measure and self.on_progress is not None and count % 20000 == 0:
                self.on_progress(self.total_requests + count, day)
        while next_event < len(events):
            self._apply_event(world, events[next_event])
            next_event += 1
        while checkpoint_index <= BUCKETS_PER_DAY:
            self._checkpoint(world, tracked, request_checkpoints, site_counts)
            checkpoint_index += 1
        if measure:
            self._request_counter = counter
            self.total_requests += count
            if self.on_progress is not None:
                self.on_progress(self.total_requests, day)
        run = DayRun(
            requests=count,
            site_checkpoints=request_checkpoints,
            campaigns=tracked,
            budgets={cid: c.daily_budget_micros for cid, c in catalog.campaigns.items()},
            active_all_day={
                cid: active_at_start.get(cid, False)
                and c.is_active
                and budgets_at_start.get(cid) == c.daily_budget_micros
                and not tracked[cid].touched
                for cid, c in catalog.campaigns.items()
            },
        )
        for engine in engines:
            for cid, served in engine.campaign_days.items():
                tracked[cid].spend += served.spend
                tracked[cid].impressions += served.impressions_served
            # Close the day so the shape learned from it is visible (the rollover).
            engine.tick(start + duration)
        return run

    @staticmethod
    def _checkpoint(
        world: LabWorld,
        tracked: dict[str, CampaignDayRun],
        request_checkpoints: list[list[int]],
        site_counts: list[int],
    ) -> None:
        request_checkpoints.append(list(site_counts))
        engines = world.engines
        for cid, state in tracked.items():
            spend = 0
            for engine in engines:
                served = engine.campaign_days.get(cid)
                if served is not None:
                    spend += served.spend
            state.spend_checkpoints.append(spend)

    def _event_campaigns(self, event: ScheduledEvent) -> list[str]:
        return [c.id for c in self.plan.campaigns_of(event.advertiser, event.campaign)]

    def _apply_churn(self, world: LabWorld, day: int) -> None:
        for churn in self.scenario.churn:
            if churn.day == day:
                status = CampaignStatus.PAUSED if churn.action == "pause" else CampaignStatus.ACTIVE
                for campaign in self.plan.campaigns_of(churn.advertiser):
                    _update(world, campaign.id, status=status)

    def _apply_event(self, world: LabWorld, event: ScheduledEvent) -> None:
        for cid in self._event_campaigns(event):
            if event.action == "setBudget" and event.budget is not None:
                _update(world, cid, budget=usd_to_micros(event.budget))
            elif event.action == "pause":
                _update(world, cid, status=CampaignStatus.PAUSED)
            elif event.action == "resume":
                _update(world, cid, status=CampaignStatus.ACTIVE)


def _learned(history: Sequence[DaySummary]) -> list[float] | None:
    """The shape learned by the last rollover, if there was one."""
    return list(history[-1].shape) if history else None


def _update(
    world: LabWorld, cid: str, status: CampaignStatus | None = None, budget: int | None = None
) -> None:
    campaign = world.catalog.campaigns[cid]
    world.catalog.put_campaign(
        replace(
            campaign,
            status=campaign.status if status is None else status,
            daily_budget_micros=campaign.daily_budget_micros if budget is None else budget,
        )
    )


def run_lab(
    scenario: Scenario,
    strategy: str = "default",
    seed: int | None = None,
    days: int | None = None,
    trace_path: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    return Lab(scenario, strategy, seed, days, trace_path, on_progress).run()
