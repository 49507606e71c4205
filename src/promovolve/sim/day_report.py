"""One simulated day of the lab turned into its JSON entry (PACING_LAB.md, "Metrics").

A campaign's pacing error is measured against the traffic of the sites it runs on. A
scenario without a `sites` list reports its one site's shape fields on the day itself, as
it always has; a network reports them per site under `sites`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from promovolve.domain.money import MICROS_PER_USD, impression_price_micros
from promovolve.pacing.config import BUCKETS_PER_DAY
from promovolve.sim.metrics import campaign_day_metrics, revenue_per_mille, shape_metrics
from promovolve.sim.plan import PlannedSite, WorldPlan

# A campaign-day is `eligible` for the pacing targets when its day type (weekday or
# weekend) was seen on an earlier day of the same traffic pattern on each of its sites,
# the campaign ran the whole day with no pause or budget change, and the requests of its
# sites could carry this many times the impressions that the budgets of the full-day
# campaigns competing there need at their prices (each such campaign's need counted in
# proportion to the share of its requests that were on those sites). A day on which one of
# its sites has a silence (an outage) is not counted either: no online pacer can know the
# traffic is lost, not late, and spending what the others still can after it moves its curve
# off the day's by about the lost share times the time it happened (docs/pacing.md).
CAPACITY_FACTOR = 1.5


@dataclass(slots=True)
class CampaignDayRun:
    spend_checkpoints: list[int] = field(default_factory=list)
    exhausted_at: float | None = None
    clicks: int = 0
    touched: bool = False  # an event or churn changed it during the day
    spend: int = 0
    impressions: int = 0


@dataclass(slots=True)
class DayRun:
    """What one simulated day produced, before it is turned into metrics."""

    requests: int
    site_checkpoints: list[list[int]]  # per checkpoint, each site's requests so far
    campaigns: dict[str, CampaignDayRun]
    budgets: dict[str, int]
    active_all_day: dict[str, bool]


def _seen_before(site: PlannedSite, day: int) -> bool:
    """The day's type appeared on an earlier day of this site's current traffic pattern."""
    traffic = site.traffic
    weekend = traffic.is_weekend(day)
    changes = (c.day for c in traffic.shape_changes if c.day <= day)
    pattern_start = max([traffic.start_day, *changes])
    return any(traffic.is_weekend(d) == weekend for d in range(pattern_start, day))


def _site_entry(
    site: PlannedSite, learned: Sequence[float] | None, day: int, requests: int
) -> dict[str, Any]:
    learned = list(learned) if learned is not None else [1.0] * BUCKETS_PER_DAY
    actual = list(site.traffic.shape_for_day(day))
    shape = shape_metrics(learned, actual)
    return {
        "siteId": site.id,
        "requests": requests,
        "learnedShape": [round(v, 6) for v in learned],
        "actualShape": actual,
        "shapeMatches": shape.matches,
        "shapeWithinOne": shape.within_one,
        "shapeError": round(shape.error, 6),
    }


def _share(
    site_requests: list[int], index: dict[str, int], theirs: set[str], mine: set[str]
) -> float:
    """The fraction of a campaign's requests (on ``theirs``) that were on ``mine``.

    A campaign whose sites had no requests counts whole, as if all of them were shared.
    """
    total = sum(site_requests[index[s]] for s in theirs)
    if total == 0:
        return 1.0 if theirs & mine else 0.0
    return sum(site_requests[index[s]] for s in theirs & mine) / total


def day_report(
    plan: WorldPlan,
    day: int,
    run: DayRun,
    cpm_micros: Mapping[str, int],
    learned: Sequence[Sequence[float] | None],
) -> dict[str, Any]:
    """The day's JSON entry; ``cpm_micros`` are the campaigns' bids, ``learned`` each site's
    learned shape after the day's rollover (by site index; None when nothing was learned)."""
    index = {s.id: s.index for s in plan.sites}
    site_requests = run.site_checkpoints[-1]
    needed: dict[str, float] = {}  # impressions a full-day campaign's budget buys
    for c in plan.campaigns:
        if run.active_all_day[c.id]:
            price = impression_price_micros(cpm_micros[c.id])
            needed[c.id] = run.budgets[c.id] / max(1, price)
    site_sets = {c.id: set(c.site_ids) for c in plan.campaigns}
    campaigns: list[dict[str, Any]] = []
    for c in plan.campaigns:
        state = run.campaigns[c.id]
        mine = [index[s] for s in c.site_ids]
        checkpoints = [sum(counts[i] for i in mine) for counts in run.site_checkpoints]
        load = sum(
            n * _share(site_requests, index, site_sets[o], site_sets[c.id])
            for o, n in needed.items()
        )
        carries = checkpoints[-1] >= CAPACITY_FACTOR * load
        # "From day 2 on" per day type and traffic pattern: the first weekend day, and the
        # day a declared shape change takes effect, have nothing learned either.
        live = [plan.sites[i] for i in mine if plan.sites[i].traffic.start_day <= day]
        seen_before = all(_seen_before(s, day) for s in live)
        outage = any(q.day == day for s in live for q in s.traffic.silences)
        budget = run.budgets[c.id]
        m = campaign_day_metrics(budget, state.spend_checkpoints, checkpoints, state.exhausted_at)
        entry: dict[str, Any] = {
            "campaignId": c.id,
            "budget": budget / MICROS_PER_USD,
            "spend": state.spend / MICROS_PER_USD,
            "utilization": round(m.utilization, 6),
            "overspend": round(m.overspend, 6),
            "pacingError": round(m.pacing_error, 6),
            "rmsPacingError": round(m.rms_pacing_error, 6),
            "exhaustedAt": None if m.exhausted_at is None else round(m.exhausted_at, 6),
            "impressions": state.impressions,
            "clicks": state.clicks,
            "eligible": seen_before and carries and not outage and run.active_all_day[c.id],
        }
        if plan.is_network:
            entry["sites"] = list(c.site_ids)
        campaigns.append(entry)
    weekend = plan.scenario.is_weekend(day)
    revenue = sum(state.spend for state in run.campaigns.values())
    report: dict[str, Any] = {
        "day": day,
        "weekend": weekend,
        "requests": run.requests,
        # The publishers' side: what the advertisers paid, and per thousand requests.
        "revenue": revenue / MICROS_PER_USD,
        "revenuePerThousandRequests": round(revenue_per_mille(revenue, run.requests), 6),
    }
    sites = [_site_entry(s, learned[s.index], day, site_requests[s.index]) for s in plan.sites]
    if plan.is_network:
        report["sites"] = sites
    else:
        report.update({k: v for k, v in sites[0].items() if k not in ("siteId", "requests")})
    report["campaigns"] = campaigns
    return report
