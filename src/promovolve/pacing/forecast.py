"""The project's default pacing: per-campaign, from a forecast of the day's remaining traffic.

Why not one PI controller per site (the seed):
- A pooled spend ratio lets a large campaign hide small ones; here every campaign is paced
  on its own remaining budget.
- A per-call integrator has a time constant that changes with traffic volume; here the pass
  rate is recomputed from state (remaining budget over remaining forecast traffic), so no
  gain depends on the request rate.
- Targets use the price the campaign actually pays (tracked by the caller), not its bid.
- Day 1 and sparse traffic work with no rate estimate: the forecast is the learned traffic
  CDF times an estimate of the day's total, updated by today's count (a gamma-Poisson
  posterior that starts from past days of the same type).

Each campaign earns `p = impressions still to buy / eligible requests still to come` credit
per eligible request and passes the gate while it holds a whole credit; a served impression
spends one. This error-diffusion keeps delivered impressions within one of p·requests, so
spend follows the realized traffic instead of drifting by Bernoulli noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Weight of the prior day total, in days of observation, against today's running count.
PRIOR_WEIGHT = 0.5
# The first day of a type with no history of its own borrows the other type's total, weakly.
BORROWED_PRIOR_WEIGHT = 0.05
# Aim to finish at this share of the day's traffic, so a quiet last hour cannot strand budget.
FINISH_FRACTION = 0.995
# Smallest expected fraction trusted for extrapolating today's total with no prior.
MIN_EXTRAPOLATION_FRACTION = 0.02
MAX_CREDIT = 2.0
PRIOR_DAYS_ALPHA = 0.5


@dataclass(slots=True)
class CampaignPace:
    credit: float = 0.0
    eligible_requests: int = 0
    pass_rate: float = 0.0


@dataclass(slots=True)
class ForecastPacing:
    """Per-campaign pacing gate state for one site and one day."""

    prior_weight: float = PRIOR_WEIGHT
    finish_fraction: float = FINISH_FRACTION
    max_credit: float = MAX_CREDIT
    name: str = "default"
    day_total_prior: float | None = None
    _prior_weight_today: float = PRIOR_WEIGHT
    campaigns: dict[str, CampaignPace] = field(default_factory=dict)

    def start_day(self, own_history: list[int], other_history: list[int]) -> None:
        """Forget yesterday's credits; take the day-total prior from past days' requests."""
        self.campaigns.clear()
        if own_history:
            self.day_total_prior = _ema(own_history)
            self._prior_weight_today = self.prior_weight
        elif other_history:
            self.day_total_prior = _ema(other_history)
            self._prior_weight_today = BORROWED_PRIOR_WEIGHT
        else:
            self.day_total_prior = None

    def reset(self) -> None:
        self.campaigns.clear()

    def remaining_requests(self, requests_today: int, expected_fraction: float) -> float:
        """Forecast of the site's requests between now and the finish line."""
        prior = self.day_total_prior
        if prior is None:
            total = requests_today / max(expected_fraction, MIN_EXTRAPOLATION_FRACTION)
        else:
            w = self._prior_weight_today
            total = (requests_today + w * prior) / (expected_fraction + w)
        left = 1.0 - expected_fraction / self.finish_fraction
        return max(0.0, total * left)

    def admit(
        self,
        campaign_id: str,
        remaining_budget: int,
        price: int,
        requests_today: int,
        remaining_requests: float,
    ) -> bool:
        """Count one eligible request for the campaign; True when it may bid on it."""
        pace = self.campaigns.get(campaign_id)
        if pace is None:
            pace = self.campaigns[campaign_id] = CampaignPace()
        pace.eligible_requests += 1
        if price <= 0 or remaining_budget < price:
            return False
        share = pace.eligible_requests / requests_today if requests_today > 0 else 1.0
        expected_eligible = remaining_requests * share
        impressions_left = remaining_budget / price
        if expected_eligible <= impressions_left:
            rate = 1.0
        else:
            rate = impressions_left / expected_eligible
        pace.pass_rate = rate
        credit = pace.credit + rate
        pace.credit = credit if credit < self.max_credit else self.max_credit
        return pace.credit >= 1.0

    def on_served(self, campaign_id: str) -> None:
        pace = self.campaigns.get(campaign_id)
        if pace is not None:
            pace.credit = max(0.0, pace.credit - 1.0)

    def pass_rate(self, campaign_id: str) -> float:
        pace = self.campaigns.get(campaign_id)
        return 0.0 if pace is None else pace.pass_rate


def _ema(values: list[int]) -> float:
    estimate = float(values[0])
    for v in values[1:]:
        estimate = PRIOR_DAYS_ALPHA * v + (1 - PRIOR_DAYS_ALPHA) * estimate
    return estimate
