"""A live run judged like the lab: the lab's trace of every answered request and the lab's
JSON report (PACING_LAB.md, "Output"), built from what the simulator sent and the server
answered, so the same pacing metrics judge a run through one process or many.

The trace's ``t`` is seconds since the start of the simulator's day 1 (the server's day
start of the new site), when the answer arrived (a busy server decides late, not early). Its
day is the server's: for a selected slot the day its signed impression URL names (the day
whose budget paid), else the one the server's clock is on at ``t`` (``t // T + 1``); a
simulator behind its schedule may still send day 1's last arrivals on day 2, and they count
there. Offsets into day d are ``t - (d-1)·T``, as in the lab. A request that got no answer
(a transport error, a 4xx or a 5xx) has no row. Spend is what the answered selections
carried. The learned shape of day d is the one the server (the first ``--url``) reported
for d's day type after d ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promovolve.domain.money import impression_price_micros, usd_to_micros
from promovolve.pacing.config import BUCKETS_PER_DAY
from promovolve.sim.day_report import CampaignDayRun, DayRun, day_report
from promovolve.sim.metrics import revenue_summary, summarize
from promovolve.sim.plan import WorldPlan
from promovolve.sim.trace import TraceRow, TraceWriter


@dataclass(slots=True)
class LiveMeasure:
    plan: WorldPlan
    trace_path: Path | None = None
    keep_rows: bool = False  # for the JSON report
    origin: float = 0.0  # wall clock (epoch seconds) of t = 0
    server_day0: int | None = None  # the server's day index of day 1
    rows: list[TraceRow] = field(default_factory=list)
    learned: dict[int, list[float]] = field(default_factory=dict)
    _writer: TraceWriter | None = None

    def start(self, origin: float, server_day0: int | None) -> None:
        self.origin, self.server_day0 = origin, server_day0
        if self.trace_path is not None and self._writer is None:
            self._writer = TraceWriter(self.trace_path)
            self._writer.open()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def record(
        self,
        at: float,
        outcome: str,
        campaign: str | None,
        price: int | None,
        server_day: int | None = None,
    ) -> None:
        """One slot of an answer that arrived at ``at`` (epoch seconds); ``server_day`` is
        the server's day index that paid for a selected one."""
        t = at - self.origin
        if server_day is not None and self.server_day0 is not None:
            day = max(1, server_day - self.server_day0 + 1)
        else:
            day = max(0, int(t // self.plan.scenario.day_duration_seconds)) + 1
        site = self.plan.sites[0].id
        if self._writer is not None:
            self._writer.write(t, day, outcome, campaign, price, site)
        if self.keep_rows:
            self.rows.append(TraceRow(t, day, outcome, campaign, price, site))

    def note_learned(self, day: int, site_stats: Mapping[str, Any] | None) -> None:
        """The server's stats fetched after ``day`` ended: its learned shape for that day's
        type includes the day."""
        weekend = self.plan.scenario.is_weekend(day)
        shapes = (site_stats or {}).get("learnedShape")
        shape = (
            shapes.get("weekend" if weekend else "weekday") if isinstance(shapes, Mapping) else None
        )
        if isinstance(shape, list) and len(shape) == BUCKETS_PER_DAY:
            self.learned.setdefault(day, [float(v) for v in shape])

    def report(self, wall_seconds: float, urls: Sequence[str]) -> dict[str, Any]:
        """The lab's JSON document for the run so far."""
        scenario = self.plan.scenario
        last = max((r.day for r in self.rows), default=0)
        days = [self._day(day) for day in range(1, last + 1)]
        requests = len(self.rows)  # the simulator's pages have one slot each
        return {
            "scenario": scenario.name,
            "strategy": "live",
            "seed": scenario.seed,
            "simulation": {
                "requests": requests,
                "wallSeconds": round(wall_seconds, 3),
                "requestsPerSecond": round(requests / wall_seconds) if wall_seconds > 0 else 0,
                "urls": list(urls),
            },
            "days": days,
            "summary": {**summarize(days), **revenue_summary(days)},
        }

    def _day(self, day: int) -> dict[str, Any]:
        plan = self.plan
        length = plan.scenario.day_duration_seconds
        start = (day - 1) * length
        rows = sorted((r for r in self.rows if r.day == day), key=lambda r: r.t)
        bounds = [start + h * length / BUCKETS_PER_DAY for h in range(1, BUCKETS_PER_DAY)]
        budgets, active_all_day, touched = _campaign_days(plan, day)
        cpms = {c.id: c.cpm_micros for c in plan.campaigns}
        tracked = {c.id: CampaignDayRun(touched=touched[c.id]) for c in plan.campaigns}
        counts: list[list[int]] = []
        next_bound = 0
        for n, row in enumerate(rows):
            while next_bound < len(bounds) and row.t >= bounds[next_bound]:
                _checkpoint(counts, tracked, n)
                next_bound += 1
            if row.outcome != "selected" or row.campaign_id not in tracked:
                continue
            state = tracked[row.campaign_id]
            state.spend += row.price_micros or 0
            state.impressions += 1
            price = impression_price_micros(cpms[row.campaign_id])
            if state.exhausted_at is None and budgets[row.campaign_id] - state.spend < price:
                state.exhausted_at = (row.t - start) / length
        while len(counts) < BUCKETS_PER_DAY:
            _checkpoint(counts, tracked, len(rows))
        run = DayRun(len(rows), counts, tracked, budgets, active_all_day)
        return day_report(plan, day, run, cpms, [self.learned.get(day)])


def _checkpoint(counts: list[list[int]], tracked: dict[str, CampaignDayRun], n: int) -> None:
    counts.append([n])
    for state in tracked.values():
        state.spend_checkpoints.append(state.spend)


def _campaign_days(
    plan: WorldPlan, day: int
) -> tuple[dict[str, int], dict[str, bool], dict[str, bool]]:
    """Each campaign's budget on ``day``, whether it ran all of it unchanged, and whether an
    event touched it, replaying the scenario's churn and events as the lab applies them."""
    scenario = plan.scenario
    active = {c.id: True for c in plan.campaigns}
    budgets = {c.id: c.daily_budget_micros for c in plan.campaigns}
    for d in range(1, day + 1):
        for churn in scenario.churn:
            if churn.day == d:
                for c in plan.campaigns_of(churn.advertiser):
                    active[c.id] = churn.action == "resume"
        at_start = dict(active), dict(budgets)
        touched = dict.fromkeys(active, False)
        for event in sorted((e for e in scenario.events if e.day == d), key=lambda e: e.hour):
            for c in plan.campaigns_of(event.advertiser, event.campaign):
                touched[c.id] = True
                if event.action == "setBudget" and event.budget is not None:
                    budgets[c.id] = usd_to_micros(event.budget)
                elif event.action in ("pause", "resume"):
                    active[c.id] = event.action == "resume"
    all_day = {
        cid: at_start[0][cid]
        and active[cid]
        and at_start[1][cid] == budgets[cid]
        and not touched[cid]
        for cid in active
    }
    return budgets, all_day, touched
