"""Plain-Python references of the serve path's compiled gates, to check the engine against.

`ReferencePacing` is the default gate's arithmetic written out with dictionaries, one
campaign at a time, over a network of sites; `ReferenceGate` puts it (or a site-level
strategy's pooled decision, summed in a loop) behind the engine's gate protocol.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from random import Random

import numpy as np

from promovolve.engine.candidates import BoolArray, CandidatePool, PoolFunding
from promovolve.engine.gates import Admitted, ForecastGate, PacingGate, PooledBudget, StrategyGate
from promovolve.pacing.controller import PacingController


@dataclass
class ReferenceNetwork:
    """Each (campaign, site)'s forecast of eligible requests still to come, and each
    campaign's credit (shared by its sites) with the start of the day it was earned on."""

    expected: dict[tuple[str, str], float] = field(default_factory=dict)
    credit: dict[str, float] = field(default_factory=dict)
    credit_since: dict[str, float] = field(default_factory=dict)

    def total(self, campaign_id: str) -> float:
        return sum(v for (cid, _), v in self.expected.items() if cid == campaign_id)


@dataclass
class ReferencePacing:
    """One site's default-gate state, campaign by campaign."""

    site_id: str = "site"
    network: ReferenceNetwork = field(default_factory=ReferenceNetwork)
    max_credit: float = 2.0
    eligible: dict[str, int] = field(default_factory=dict)
    pass_rate: dict[str, float] = field(default_factory=dict)

    def admit(
        self,
        campaign_id: str,
        remaining_budget: int,
        price: int,
        requests_today: int,
        remaining_requests: float,
        day_start: float = 0.0,
    ) -> bool:
        if price <= 0 or remaining_budget < price:
            return False  # not funded: the gate never sees it
        if campaign_id not in self.eligible:
            # First seen today: eligible for all of today's traffic so far.
            self.eligible[campaign_id] = max(0, requests_today - 1)
        credit = self.network.credit
        if self.network.credit_since.get(campaign_id, -math.inf) < day_start:
            # First seen today on any site: no credit from yesterday.
            self.network.credit_since[campaign_id] = day_start
            credit[campaign_id] = 0.0
        eligible = self.eligible[campaign_id] = self.eligible[campaign_id] + 1
        share = eligible / requests_today if requests_today > 0 else 1.0
        self.network.expected[(campaign_id, self.site_id)] = remaining_requests * share
        to_come = self.network.total(campaign_id)
        impressions_left = remaining_budget / price
        rate = 1.0 if to_come <= impressions_left else impressions_left / to_come
        self.pass_rate[campaign_id] = rate
        credit[campaign_id] = min(credit[campaign_id] + rate, self.max_credit)
        return credit[campaign_id] >= 1.0

    def on_served(self, campaign_id: str) -> None:
        credit = self.network.credit
        if campaign_id in self.eligible:
            credit[campaign_id] = max(0.0, credit[campaign_id] - 1.0)

    def forget_today(self) -> None:
        self.eligible.clear()
        self.pass_rate.clear()


class ReferenceGate:
    """The engine's gate protocol on the references above (decisions only, no stats)."""

    def __init__(self, compiled: PacingGate) -> None:
        self.compiled = compiled
        self.name = compiled.name
        self.reference = ReferencePacing()

    def start_day(self, controller: PacingController) -> None:
        self.compiled.start_day(controller)  # the forecast's priors and the strategy's state
        self.reference.forget_today()

    def admit(
        self,
        now: float,
        controller: PacingController,
        pool: CandidatePool,
        funding: PoolFunding,
        rng: Random,
    ) -> Admitted:
        admitted: BoolArray = np.zeros(len(pool), dtype=bool)
        funded = [bool(f) for f in funding.funded]
        gate = self.compiled
        if isinstance(gate, ForecastGate):
            requests, to_come = gate._forecast(now, controller)
            for i, c in enumerate(pool.candidates):
                left = int(funding.remaining[i])
                admitted[i] = funded[i] and self.reference.admit(
                    # Pacing's price: what the campaign is expected to pay (its recent average).
                    c.campaign_id,
                    left,
                    int(funding.prices[i]),
                    requests,
                    to_come,
                    controller.day_start if controller.day_start is not None else now,
                )
            return admitted, int(admitted.sum())
        assert isinstance(gate, StrategyGate)
        chosen = [c for c, f in zip(pool.candidates, funded, strict=True) if f]
        budget = sum(c.budget for c in chosen)
        spend = sum(c.budget - int(funding.remaining[c.position]) for c in chosen)
        cpms = sum(c.cpm for c in chosen)
        if gate.admit_pooled(now, controller, PooledBudget(budget, spend, cpms, len(chosen)), rng):
            admitted[[c.position for c in chosen]] = True
        return admitted, int(admitted.sum())

    def on_served(self, campaign_id: str) -> None:
        self.reference.on_served(campaign_id)

    def refresh(self, now: float, controller: PacingController) -> None:
        return None

    def throttle(self) -> float:
        return self.compiled.throttle()
