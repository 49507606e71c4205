"""Today's delivery, paid for viewable impressions: the `today` part of site and campaign
stats.

`served` ads reserved budget; `viewableImpressions` are the served ads whose viewable beacon
came; `settledSpend` is what those cost; `reservedSpend` is spend still waiting for its
beacon (released after the settlement window if it never comes). Pacing counts both as
spent. `invalid` counts what the traffic guard marked, by reason: none of it is in the rest.
"""

from __future__ import annotations

from promovolve.api.runtime import Runtime
from promovolve.domain.model import Campaign, Outcome
from promovolve.domain.money import MICROS_PER_USD
from promovolve.domain.traffic import REASONS
from promovolve.engine.site import SiteEngine
from promovolve.store.invalid import invalid_counts
from promovolve.store.settlement import CLICK, IMPRESSION, DayTotals, day_totals

SELECTED = Outcome.SELECTED.value


def _invalid(serves: dict[str, int], beacons: dict[str, dict[str, int]]) -> dict[str, object]:
    """Invalid traffic by reason; every beacon reason is listed, zero or not."""
    return {
        "serves": serves,
        "impressions": {str(r): beacons.get(IMPRESSION, {}).get(r, 0) for r in REASONS},
        "clicks": {str(r): beacons.get(CLICK, {}).get(r, 0) for r in REASONS},
    }


def _today(
    served: int, spent_micros: int, totals: DayTotals, invalid: dict[str, object]
) -> dict[str, object]:
    settled = min(totals.settled_micros, spent_micros)
    return {
        "served": served,
        "viewableImpressions": totals.viewable,
        "viewableRate": round(totals.viewable / served, 4) if served else None,
        "clicks": totals.clicks,
        "ctr": round(totals.clicks / totals.viewable, 4) if totals.viewable else None,
        "settledSpend": settled / MICROS_PER_USD,
        "reservedSpend": (spent_micros - settled) / MICROS_PER_USD,
        "invalid": invalid,
    }


async def site_today(runtime: Runtime, engine: SiteEngine, now: float) -> dict[str, object]:
    controller = engine.controller
    day = controller.clock.day_index(now)
    in_day = controller.day_index == day and not controller.has_new_day_started(now)
    served = engine.today.outcomes[SELECTED] if in_day else 0
    spent = sum(d.spend for d in engine.campaign_days.values()) if in_day else 0
    async with runtime.session() as session:
        totals = await day_totals(session, day, site_id=engine.site.id)
        beacons = await invalid_counts(session, day, site_id=engine.site.id)
    serves = runtime.guard.serves_today(engine.site.id, day)
    return _today(served, spent, totals, _invalid(serves, beacons))


async def campaign_today(runtime: Runtime, campaign: Campaign, day: int) -> dict[str, object]:
    """A campaign's day (that of the site it last served on) over all its sites."""
    served = 0
    for state in runtime.state.sites.values():
        controller = state.engine.controller
        delivery = state.engine.campaign_days.get(campaign.id)
        if delivery is not None and controller.day_index == day:
            served += delivery.impressions_served
    spent = runtime.state.ledger.spent(campaign.id, day)
    async with runtime.session() as session:
        totals = await day_totals(session, day, campaign_id=campaign.id)
        beacons = await invalid_counts(session, day, campaign_id=campaign.id)
    return _today(served, spent, totals, _invalid({}, beacons))
