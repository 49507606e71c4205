"""Pacing gates: the step of the serve path that runs before Thompson sampling.

A gate sees a candidate pool and the request's funding (what each candidate has left, who
can pay) and answers which of the funded candidates may compete. Site-level strategies (the
seed's) admit all or none; the project's default admits campaign by campaign, at each
campaign's network-wide pace.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from random import Random
from typing import Protocol

import numpy as np

from promovolve.engine import kernels
from promovolve.engine.candidates import BoolArray, CandidatePool, IntTable, PoolFunding
from promovolve.engine.network_pace import InMemoryNetworkPace, NetworkPace
from promovolve.pacing.context import PacingContext
from promovolve.pacing.controller import PacingController
from promovolve.pacing.forecast import ForecastPacing
from promovolve.pacing.strategy import PacingStrategy

logger = logging.getLogger("promovolve.pacing.gate")
Admitted = tuple[BoolArray, int]  # which candidates of the pool may compete, and how many


@dataclass(frozen=True, slots=True)
class PooledBudget:
    """What a site-level strategy sees of the funded candidates: sums and a count."""

    budget: int
    spend: int
    cpm_total: int
    campaigns: int


class PacingGate(Protocol):
    @property
    def name(self) -> str: ...

    def start_day(self, controller: PacingController) -> None: ...

    def admit(
        self,
        now: float,
        controller: PacingController,
        pool: CandidatePool,
        funding: PoolFunding,
        rng: Random,
    ) -> Admitted:
        """Which funded candidates may compete (a mask over the pool, and their count)."""
        ...

    def on_served(self, campaign_id: str) -> None: ...

    def refresh(self, now: float, controller: PacingController) -> None:
        """Bring what the gate publishes up to date without a request (the engine's tick)."""
        ...

    def throttle(self) -> float:
        """The share of requests the gate is currently holding back, for stats."""
        ...


def _nobody(pool: CandidatePool) -> Admitted:
    return np.zeros(pool.size, dtype=bool), 0


class StrategyGate:
    """Wraps a site-level PacingStrategy: one decision on the pooled budget of all funded
    candidates, all or none."""

    def __init__(self, strategy: PacingStrategy, use_traffic_shape: bool = True) -> None:
        self.strategy = strategy
        self.use_traffic_shape = use_traffic_shape
        self._last_throttle = 0.0

    @property
    def name(self) -> str:
        return self.strategy.name

    def start_day(self, controller: PacingController) -> None:
        self.strategy.reset()

    def context(
        self,
        now: float,
        controller: PacingController,
        pooled: PooledBudget,
    ) -> PacingContext:
        count = pooled.campaigns
        return PacingContext(
            daily_budget=pooled.budget,
            today_spend=pooled.spend,
            day_start=controller.day_start if controller.day_start is not None else now,
            now=now,
            request_arrival_rate=controller.observer.rate(now),
            competing_campaigns=count,
            avg_cpm=pooled.cpm_total // max(1, count),
            day_duration_seconds=controller.clock.day_duration_seconds,
            traffic_shape=controller.tracker if self.use_traffic_shape else None,
            request_count=controller.requests_today,
            ms_since_last_request=controller.gap_before_request * 1000.0,
        )

    def admit(
        self,
        now: float,
        controller: PacingController,
        pool: CandidatePool,
        funding: PoolFunding,
        rng: Random,
    ) -> Admitted:
        count, funded = funding.count, funding.funded
        if count == pool.size:  # the usual case: the pool's sums hold
            spend = pool.budget_total - funding.remaining_total
            pooled = PooledBudget(pool.budget_total, spend, pool.cpm_total, count)
        else:
            budget = int(pool.budgets[funded].sum())
            spend = budget - funding.remaining_total
            pooled = PooledBudget(budget, spend, int(pool.cpms[funded].sum()), count)
        if self.admit_pooled(now, controller, pooled, rng):
            return funded, count
        return _nobody(pool)

    def admit_pooled(
        self, now: float, controller: PacingController, pooled: PooledBudget, rng: Random
    ) -> bool:
        """The decision for all candidates at once, from their pooled budget and spend."""
        throttle = self.strategy.throttle_probability(self.context(now, controller, pooled))
        self._last_throttle = throttle
        passes = rng.random() >= throttle
        if logger.isEnabledFor(logging.DEBUG):
            verdict = "passes" if passes else "throttled"
            logger.debug(
                "PACING GATE: Request %s (aggregateThrottle=%.1f%%)", verdict, throttle * 100
            )
        return passes

    def on_served(self, campaign_id: str) -> None:
        return None

    def refresh(self, now: float, controller: PacingController) -> None:
        return None

    def throttle(self) -> float:
        return self._last_throttle


class ForecastGate:
    """The project's default: per-campaign credits at the campaign's network-wide pace.

    Per site it keeps each campaign's eligible count (`ForecastPacing.paces`); it publishes
    the campaign's eligible requests still to come on this site into the network pace,
    divides the campaign's impressions left by the network's sum, and adds that rate to the
    campaign's credit, which every site of the network pace shares.
    """

    def __init__(
        self,
        pacing: ForecastPacing | None = None,
        network: NetworkPace | None = None,
        site_id: str = "",
    ) -> None:
        self.pacing = pacing if pacing is not None else ForecastPacing()
        self.network: NetworkPace = network if network is not None else InMemoryNetworkPace()
        self._entries = self.network.site(site_id)
        # The campaign's network pace entry and credit for each row of the pace table
        # (-1: none yet).
        self.entry_of: IntTable = array("q")
        self.credit_of: IntTable = array("q")
        self._admitted = 0
        self._asked = 0
        # Whether today's traffic has left the learned shape; checked once per hour bucket
        # and kept for the rest of the day once true.
        self._checked_bucket: int | None = None
        self._left_the_shape = False
        self._lost_share = 0.0
        self._admit_all = kernels.entry_of(kernels.forecast_admit)
        self._publish = kernels.entry_of(kernels.publish_expected)

    @property
    def name(self) -> str:
        return self.pacing.name

    def row(self, campaign_id: str) -> int:
        """The campaign's row in this site's pace table, linked to its network entry."""
        row = self.pacing.paces.row(campaign_id)
        entry_of, credit_of = self.entry_of, self.credit_of
        while len(entry_of) <= row:
            entry_of.append(-1)
            credit_of.append(-1)
        if entry_of[row] < 0:
            entry_of[row] = self._entries.row(campaign_id)
            credit_of[row] = self.network.credit_row(campaign_id)
        return row

    def start_day(self, controller: PacingController) -> None:
        weekend = controller.tracker.is_weekend
        history = controller.history
        yesterday = history[-1].requests if history else 0
        self.pacing.start_day(controller.past_day_requests(weekend), yesterday)
        self._admitted = self._asked = 0
        self._checked_bucket = None
        self._left_the_shape = False
        self._lost_share = 0.0
        self.refresh(controller.day_start or 0.0, controller)

    def _check_the_shape(self, controller: PacingController) -> None:
        """Once per hour bucket: has today's traffic left the learned shape, and how much
        of the day did whole silent hours take away?"""
        tracker = controller.tracker
        bucket = tracker.current_bucket
        if bucket == self._checked_bucket or bucket is None:
            return
        self._checked_bucket = bucket
        # Only whole hours count: the current one is still filling.
        if not self._left_the_shape:
            self._left_the_shape = tracker.departed_so_far(bucket)
            if self._left_the_shape:
                logger.debug("Traffic left the learned shape; keeping the day's total")
        prior = self.pacing.day_total_prior
        if self._left_the_shape and prior is not None:
            self._lost_share = tracker.silent_share_so_far(bucket, prior)

    def _forecast(self, now: float, controller: PacingController) -> tuple[int, float]:
        """Today's requests so far and the forecast of those still to come."""
        if controller.tracker.current_bucket != self._checked_bucket:
            self._check_the_shape(controller)
        requests = controller.requests_today
        remaining_requests = self.pacing.remaining_requests(
            requests, controller.expected_fraction(now), self._left_the_shape, self._lost_share
        )
        return requests, remaining_requests

    def admit(
        self,
        now: float,
        controller: PacingController,
        pool: CandidatePool,
        funding: PoolFunding,
        rng: Random,
    ) -> Admitted:
        requests, remaining_requests = self._forecast(now, controller)
        paces = self.pacing.paces
        network = self.network
        admitted = pool.admitted  # the kernel sets every element
        asked, passed = self._admit_all(
            funding.remaining,
            funding.prices,
            funding.funded,
            pool.rows_in(self),
            paces.seen,
            paces.eligible,
            paces.pass_rate,
            self.credit_of,
            network.credit,
            network.credit_since,
            controller.day_start if controller.day_start is not None else now,
            self.entry_of,
            network.expected,
            network.ring,
            requests,
            remaining_requests,
            self.pacing.max_credit,
            admitted,
        )
        self._asked += 1
        if passed:
            self._admitted += 1
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("PACING GATE: %d of %d campaigns pass", passed, asked)
        return admitted, passed

    def refresh(self, now: float, controller: PacingController) -> None:
        requests, remaining_requests = self._forecast(now, controller)
        paces = self.pacing.paces
        self._publish(
            paces.seen,
            paces.eligible,
            paces.prior_share,
            self.entry_of,
            self.network.expected,
            requests,
            remaining_requests,
        )

    def on_served(self, campaign_id: str) -> None:
        paces = self.pacing.paces
        row = paces.rows.get(campaign_id)
        if row is not None and paces.seen[row]:
            credit, slot = self.network.credit, self.credit_of[row]
            credit[slot] = max(0.0, credit[slot] - 1.0)

    def throttle(self) -> float:
        return 0.0 if self._asked == 0 else 1.0 - self._admitted / self._asked


@dataclass(slots=True)
class ConstantRateGate:
    """Fixed per-campaign pass rates for a whole day, delivered by error diffusion (the oracle)."""

    rates: Mapping[str, float]
    name: str = "oracle"
    credits: dict[str, float] = field(default_factory=dict)

    def start_day(self, controller: PacingController) -> None:
        self.credits.clear()

    def admit(
        self,
        now: float,
        controller: PacingController,
        pool: CandidatePool,
        funding: PoolFunding,
        rng: Random,
    ) -> Admitted:
        admitted: BoolArray = np.zeros(pool.size, dtype=bool)
        credits, funded, passed = self.credits, funding.funded, 0
        for position, cid in enumerate(pool.campaign_ids):
            if not funded[position]:
                continue
            credit = min(credits.get(cid, 0.0) + self.rates.get(cid, 1.0), 2.0)
            credits[cid] = credit
            if credit >= 1.0:
                admitted[position] = True
                passed += 1
        return admitted, passed

    def on_served(self, campaign_id: str) -> None:
        self.credits[campaign_id] = max(0.0, self.credits.get(campaign_id, 0.0) - 1.0)

    def refresh(self, now: float, controller: PacingController) -> None:
        return None

    def throttle(self) -> float:
        return 0.0


class OpenGate:
    """No pacing at all (the lab's `asap` baseline; the server always paces)."""

    name = "asap"

    def start_day(self, controller: PacingController) -> None:
        return None

    def admit(
        self,
        now: float,
        controller: PacingController,
        pool: CandidatePool,
        funding: PoolFunding,
        rng: Random,
    ) -> Admitted:
        return funding.funded, funding.count

    def on_served(self, campaign_id: str) -> None:
        return None

    def refresh(self, now: float, controller: PacingController) -> None:
        return None

    def throttle(self) -> float:
        return 0.0
