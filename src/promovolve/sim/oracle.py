"""The lab's `oracle` strategy: constant per-campaign pass rates chosen in hindsight.

For each day, each campaign's one rate (the same on every site it runs on) is bisected over
private replays of that day across the whole network, so that the campaign just spends its
budget by the day's end: the reference for the smoothest delivery achievable.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from promovolve.domain.money import impression_price_micros
from promovolve.engine.gates import ConstantRateGate
from promovolve.sim.trace import NoTrace

if TYPE_CHECKING:
    from promovolve.sim.lab import Lab

ORACLE_ITERATIONS = 10
# A campaign exhausted after this fraction of the day counts as having lasted all day.
LASTED = 0.995


def choose_oracle_rates(
    lab: Lab, day: int, times: list[float], sites: list[int]
) -> dict[str, float]:
    """Bisect each campaign's constant pass rate over replays of the day's arrivals."""
    world = lab.world
    site_requests = [0] * len(world.engines)
    for site in sites:
        site_requests[site] += 1
    index = {s.id: s.index for s in lab.plan.sites}
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    rates: dict[str, float] = {}
    for planned in lab.plan.campaigns:
        cid = planned.id
        campaign = world.catalog.campaigns[cid]
        price = max(1, impression_price_micros(campaign.cpm_micros))
        n = max(1, sum(site_requests[index[s]] for s in planned.site_ids))
        rates[cid] = min(1.0, campaign.daily_budget_micros / price / n)
        lows[cid], highs[cid] = 0.0, 1.0
    saved_rngs = (lab.engine_rng.getstate(), lab.click_rng.getstate())
    for _ in range(ORACLE_ITERATIONS):
        replay = copy.deepcopy(world)  # catalog, ledger and engines together, still shared
        for engine in replay.engines:
            engine.gate = ConstantRateGate(dict(rates))
        run = lab.run_day(replay, day, times, sites, NoTrace(), measure=False)
        lab.engine_rng.setstate(saved_rngs[0])
        lab.click_rng.setstate(saved_rngs[1])
        for cid, rate in rates.items():
            exhausted = run.campaigns[cid].exhausted_at
            if exhausted is not None and exhausted < LASTED:
                highs[cid] = rate
            else:
                lows[cid] = rate
            rates[cid] = (lows[cid] + highs[cid]) / 2
    return rates
