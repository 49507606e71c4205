"""Campaign-days that were outbid: no pacer could have spent their budget at their bid.

A campaign wins a request only if no campaign bidding more takes it. So what it could at
best have bought on a day is every request on its sites that no higher bidder won, each at
its full bid. When even that is less than its budget, its shortfall is the auction's
correct outcome (the traffic was sold to higher bids), not a pacing failure. The bound is
generous to the pacer: it assumes the campaign would have won every such request.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from promovolve.domain.money import MICROS_PER_USD, impression_price_micros
from promovolve.sim.plan import WorldPlan
from promovolve.sim.trace import read_trace


def outbid_campaign_days(
    plan: WorldPlan, result: dict[str, Any], trace: Path
) -> set[tuple[int, str]]:
    """(day, campaignId) of the days whose budget exceeds what the campaign could buy at its
    bid on the requests of its sites not won by a higher bidder (from the run's trace)."""
    requests: Counter[tuple[int, str]] = Counter()  # (day, site)
    wins: Counter[tuple[int, str, str]] = Counter()  # (day, site, campaign)
    for row in read_trace(trace):
        site = row.site_id or plan.sites[0].id
        requests[row.day, site] += 1
        if row.campaign_id is not None:
            wins[row.day, site, row.campaign_id] += 1
    campaigns = {c.id: c for c in plan.campaigns}
    outbid: set[tuple[int, str]] = set()
    for day in result["days"]:
        for entry in day["campaigns"]:
            campaign = campaigns[entry["campaignId"]]
            higher = [o.id for o in plan.campaigns if o.cpm_micros > campaign.cpm_micros]
            open_requests = sum(
                requests[day["day"], s] - sum(wins[day["day"], s, o] for o in higher)
                for s in campaign.site_ids
            )
            affordable = open_requests * impression_price_micros(campaign.cpm_micros)
            if affordable < entry["budget"] * MICROS_PER_USD:
                outbid.add((day["day"], campaign.id))
    return outbid
