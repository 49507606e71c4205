"""Pacing gates: the step of the serve path that runs before Thompson sampling.

A gate sees the request's candidate campaigns (each with its remaining budget) and
returns the ones that may compete. Site-level strategies (the seed's) admit all or
none; the project's default admits campaign by campaign.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from promovolve.domain.model import Campaign, Creative
from promovolve.engine.kernels import forecast_admit
from promovolve.pacing.context import PacingContext
from promovolve.pacing.controller import PacingController
from promovolve.pacing.forecast import ForecastPacing
from promovolve.pacing.strategy import PacingStrategy

if TYPE_CHECKING:
    from promovolve.engine.sampling import CandidatePool

logger = logging.getLogger("promovolve.pacing.gate")

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(slots=True)
class Candidate:
    """A campaign that may fill the slot, with its approved creatives that fit it.

    `multiplier` is CPM^bidWeight; each creative comes with its row in the site's
    Thompson statistics.
    `remaining` is the campaign's budget left today, filled in per request; `position` is
    the candidate's index in its candidate pool.
    """

    campaign: Campaign
    price: int
    multiplier: float
    creatives: list[tuple[Creative, int]]
    remaining: int = 0
    campaign_id: str = field(init=False)
    budget: int = field(init=False)
    cpm: int = field(init=False)
    position: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.campaign_id = self.campaign.id
        self.budget = self.campaign.daily_budget_micros
        self.cpm = self.campaign.cpm_micros


@dataclass(frozen=True, slots=True)
class PoolFunding:
    """A pool's budgets for one request: what each candidate has left and who can pay."""

    remaining: IntArray
    funded: BoolArray
    count: int  # funded candidates
    remaining_total: int  # left to the funded candidates together


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
        candidates: Sequence[Candidate],
        rng: Random,
    ) -> list[Candidate]: ...

    def on_served(self, campaign_id: str) -> None: ...

    def throttle(self) -> float:
        """The share of requests the gate is currently holding back, for stats."""
        ...


class StrategyGate:
    """Wraps a site-level PacingStrategy: one decision on the pooled budget of all candidates.

    All or none, so on a large pool it decides from the pool's sums (`admit_pool`).
    """

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
        candidates: Sequence[Candidate],
        rng: Random,
    ) -> list[Candidate]:
        budget = spend = cpm_total = 0
        for c in candidates:
            budget += c.budget
            spend += c.budget - c.remaining
            cpm_total += c.cpm
        pooled = PooledBudget(budget, spend, cpm_total, len(candidates))
        return list(candidates) if self.admit_pooled(now, controller, pooled, rng) else []

    def admit_pool(
        self,
        now: float,
        controller: PacingController,
        pool: CandidatePool,
        funding: PoolFunding,
        rng: Random,
    ) -> tuple[BoolArray, int]:
        """`admit` on a pool's arrays: the funded candidates, or none (mask and count)."""
        count, funded = funding.count, funding.funded
        if count == len(pool.candidates):  # the usual case: the pool's sums hold
            spend = pool.budget_total - funding.remaining_total
            pooled = PooledBudget(pool.budget_total, spend, pool.cpm_total, count)
        else:
            budget = int(pool.budgets[funded].sum())
            spend = budget - funding.remaining_total
            pooled = PooledBudget(budget, spend, int(pool.cpms[funded].sum()), count)
        if self.admit_pooled(now, controller, pooled, rng):
            return funded, count
        return np.zeros(len(pool.candidates), dtype=bool), 0

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

    def throttle(self) -> float:
        return self._last_throttle


class ForecastGate:
    """The project's default: per-campaign credits from the remaining-traffic forecast."""

    def __init__(self, pacing: ForecastPacing | None = None) -> None:
        self.pacing = pacing if pacing is not None else ForecastPacing()
        self._admitted = 0
        self._asked = 0
        # Whether today's traffic has left the learned shape; checked once per hour bucket
        # and kept for the rest of the day once true.
        self._checked_bucket: int | None = None
        self._left_the_shape = False

    @property
    def name(self) -> str:
        return self.pacing.name

    def start_day(self, controller: PacingController) -> None:
        weekend = controller.tracker.is_weekend
        self.pacing.start_day(
            controller.past_day_requests(weekend), controller.past_day_requests(not weekend)
        )
        self._admitted = self._asked = 0
        self._checked_bucket = None
        self._left_the_shape = False

    def _traffic_left_the_shape(self, controller: PacingController) -> bool:
        tracker = controller.tracker
        bucket = tracker.current_bucket
        if bucket != self._checked_bucket:
            self._checked_bucket = bucket
            if not self._left_the_shape and bucket is not None:
                # Only whole hours count: the current one is still filling.
                self._left_the_shape = tracker.departed_so_far(bucket)
                if self._left_the_shape:
                    logger.debug("Traffic left the learned shape; keeping the day's total")
        return self._left_the_shape

    def _forecast(self, now: float, controller: PacingController) -> tuple[int, float]:
        """Today's requests so far and the forecast of those still to come."""
        requests = controller.requests_today
        remaining_requests = self.pacing.remaining_requests(
            requests, controller.expected_fraction(now), self._traffic_left_the_shape(controller)
        )
        return requests, remaining_requests

    def _count(self, passed: int, asked: int) -> None:
        self._asked += 1
        if passed:
            self._admitted += 1
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("PACING GATE: %d of %d campaigns pass", passed, asked)

    def admit(
        self,
        now: float,
        controller: PacingController,
        candidates: Sequence[Candidate],
        rng: Random,
    ) -> list[Candidate]:
        requests, remaining_requests = self._forecast(now, controller)
        admit = self.pacing.admit
        passed = [
            c
            for c in candidates
            if admit(c.campaign_id, c.remaining, c.price, requests, remaining_requests)
        ]
        self._count(len(passed), len(candidates))
        return passed

    def admit_pool(
        self,
        now: float,
        controller: PacingController,
        pool: CandidatePool,
        funding: PoolFunding,
        rng: Random,
    ) -> tuple[BoolArray, int]:
        """`ForecastPacing.admit` for every funded candidate of a pool at once, on the pace
        table's buffers: the same arithmetic in the same order, so the same decisions."""
        requests, remaining_requests = self._forecast(now, controller)
        paces = self.pacing.paces
        if pool.pace_rows is None:
            pool.pace_rows = np.array([paces.row(c) for c in pool.campaign_ids], dtype=np.intp)
        admitted: BoolArray = np.empty(len(pool.candidates), dtype=bool)
        asked, passed = forecast_admit(
            funding.remaining,
            pool.prices,
            funding.funded,
            pool.pace_rows,
            paces.seen,
            paces.eligible,
            paces.credit,
            paces.pass_rate,
            requests,
            remaining_requests,
            self.pacing.max_credit,
            admitted,
        )
        self._count(passed, asked)
        return admitted, passed

    def on_served(self, campaign_id: str) -> None:
        self.pacing.on_served(campaign_id)

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
        candidates: Sequence[Candidate],
        rng: Random,
    ) -> list[Candidate]:
        passed: list[Candidate] = []
        credits = self.credits
        for c in candidates:
            cid = c.campaign_id
            credit = min(credits.get(cid, 0.0) + self.rates.get(cid, 1.0), 2.0)
            credits[cid] = credit
            if credit >= 1.0:
                passed.append(c)
        return passed

    def on_served(self, campaign_id: str) -> None:
        self.credits[campaign_id] = max(0.0, self.credits.get(campaign_id, 0.0) - 1.0)

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
        candidates: Sequence[Candidate],
        rng: Random,
    ) -> list[Candidate]:
        return list(candidates)

    def on_served(self, campaign_id: str) -> None:
        return None

    def throttle(self) -> float:
        return 0.0
