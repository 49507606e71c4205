"""A site engine's serve-time state as JSON-ready data, and back (snapshots at runtime);
the seed's site-stats fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from promovolve.domain.model import Outcome
from promovolve.domain.money import MICROS_PER_USD
from promovolve.engine.decisions import OUTCOME_NAMES, CampaignDay, SiteCounters

if TYPE_CHECKING:
    from promovolve.engine.site import SiteEngine


def snapshot_of(engine: SiteEngine) -> dict[str, object]:
    return {
        "controller": engine.controller.snapshot(),
        "origin": engine.origin,
        "creativeStats": {k: [v.impressions, v.clicks] for k, v in engine.creative_stats.items()},
        "outcomes": dict(engine.lifetime.outcomes),
        "todayOutcomes": dict(engine.today.outcomes),
        "belowFloor": [engine.lifetime.below_floor, engine.today.below_floor],
        "house": [_house_counts(engine.lifetime), _house_counts(engine.today)],
        "campaignDays": {
            cid: [d.impressions_served, d.spend] for cid, d in engine.campaign_days.items()
        },
    }


def seed_stats_of(engine: SiteEngine, now: float) -> dict[str, object]:
    controller = engine.controller
    in_day = controller.day_start is not None and not controller.has_new_day_started(now)
    clock = controller.clock
    elapsed = clock.scaled_elapsed_seconds(now)
    outcomes = engine.lifetime.outcomes
    total_spend = sum(d.spend for d in engine.campaign_days.values()) if in_day else 0
    return {
        "siteId": engine.site.id,
        "selected": outcomes[Outcome.SELECTED.value],
        "pacingSkipped": outcomes[Outcome.PACING_SKIPPED.value],
        "budgetExhausted": outcomes[Outcome.BUDGET_EXHAUSTED.value],
        "noCandidates": outcomes[Outcome.NO_CANDIDATES.value],
        "totalSpend": total_spend / MICROS_PER_USD,
        "elapsedHours": round(elapsed / 3600, 4),
        "expectedSpendFraction": round(controller.tracker.cumulative_fraction_at(elapsed), 6),
    }


def restore_into(engine: SiteEngine, data: Mapping[str, object]) -> None:
    origin = data.get("origin")
    if isinstance(origin, int | float) and origin != engine.origin:
        engine.restart_clock(float(origin))
    controller = data.get("controller")
    if isinstance(controller, Mapping):
        engine.controller.restore(controller)
        engine.gate.start_day(engine.controller)
    stats = data.get("creativeStats")
    if isinstance(stats, Mapping):
        engine.creative_stats.load({str(k): (int(v[0]), int(v[1])) for k, v in stats.items()})
    _restore_counts(engine.lifetime.outcomes, data.get("outcomes"))
    below = data.get("belowFloor")
    below_floor = [int(v) for v in below] if isinstance(below, list) and len(below) == 2 else [0, 0]
    engine.lifetime.below_floor = below_floor[0]
    house = data.get("house")
    house_counts = house if isinstance(house, list) and len(house) == 2 else [None, None]
    _restore_house(engine.lifetime, house_counts[0])
    # Today's counters belong to the restored day only; a snapshot from an earlier
    # day leaves today empty.
    engine.today = SiteCounters()
    engine.campaign_days = {}
    if isinstance(controller, Mapping) and engine.controller.day_index is not None:
        _restore_counts(engine.today.outcomes, data.get("todayOutcomes"))
        engine.today.below_floor = below_floor[1]
        _restore_house(engine.today, house_counts[1])
        days = data.get("campaignDays")
        if isinstance(days, Mapping):
            engine.campaign_days = {
                str(cid): CampaignDay(int(v[0]), int(v[1])) for cid, v in days.items()
            }


def _restore_counts(counts: dict[str, int], saved: object) -> None:
    if isinstance(saved, Mapping):
        for name in OUTCOME_NAMES:
            value = saved.get(name, 0)
            counts[name] = value if isinstance(value, int) else 0


def _house_counts(counters: SiteCounters) -> list[int]:
    return [counters.house_fills, counters.house_impressions, counters.house_clicks]


def _restore_house(counters: SiteCounters, saved: object) -> None:
    if isinstance(saved, list) and len(saved) == 3 and all(isinstance(v, int) for v in saved):
        counters.house_fills, counters.house_impressions, counters.house_clicks = saved
