"""The project's default pacing: per-campaign, from a forecast of the day's remaining traffic.

Why not one PI controller per site (the seed):
- A pooled spend ratio lets a large campaign hide small ones; here every campaign is paced
  on its own remaining budget.
- A per-call integrator has a time constant that changes with traffic volume; here the pass
  rate is recomputed from state (remaining budget over remaining forecast traffic), so no
  gain depends on the request rate.
- Targets use the price the campaign actually pays (tracked by the caller), not its bid.
- Day 1 and sparse traffic work with no rate estimate: the forecast comes from the learned
  traffic CDF and day totals (see `remaining_requests`), never from a request rate.

Each campaign earns `p = impressions still to buy / eligible requests still to come` credit
per eligible request and passes the gate while it holds a whole credit; a served impression
spends one. This error-diffusion keeps delivered impressions within one of p·requests, so
spend follows the realized traffic instead of drifting by Bernoulli noise. (The credit is
the campaign's across all its sites: `engine/network_pace.py`.)
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

# Aim to finish at this share of the day's traffic, so a quiet last hour cannot strand budget.
FINISH_FRACTION = 0.995
# A day type seen for the first time extrapolates a slightly raised count, n + z√n + z², so a
# small count early in the day does not look like a small day. Measured with configured shapes
# (first weekend day of network-week-mix, day 1 of seed-shapes): z = 1 (one Poisson standard
# deviation) 0.035 and 0.011, z = 0.25 0.024 and 0.006, z = 0 0.021 and 0.004; 0.25 keeps a
# little caution for the first requests of a day.
EXTRAPOLATION_Z = 0.25
# Smallest expected fraction extrapolated from (only guards the division).
MIN_EXTRAPOLATION_FRACTION = 1e-4
MAX_CREDIT = 2.0
PRIOR_DAYS_ALPHA = 0.5


@dataclass(frozen=True, slots=True)
class CampaignPace:
    eligible_requests: int = 0
    pass_rate: float = 0.0


class PaceTable:
    """Today's gate state per campaign on one site, a row each in flat arrays (a campaign's
    credit is its network's: `engine.network_pace`).

    Rows never move (a new day clears the `seen` flags, not the rows), so a caller may keep
    row numbers and update many campaigns at once through the arrays' buffers.
    """

    __slots__ = ("eligible", "pass_rate", "prior_share", "rows", "seen")

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.seen = array("b")  # 1 once the campaign was eligible today
        self.eligible = array("q")  # eligible requests today
        self.pass_rate = array("d")
        # Share of yesterday's requests the campaign was eligible for: its forecast here
        # until it is eligible today.
        self.prior_share = array("d")

    def row(self, campaign_id: str) -> int:
        row = self.rows.get(campaign_id)
        if row is None:
            row = self.rows[campaign_id] = len(self.seen)
            self.seen.append(0)
            self.eligible.append(0)
            self.pass_rate.append(0.0)
            self.prior_share.append(0.0)
        return row

    def today(self, campaign_id: str) -> CampaignPace | None:
        """The campaign's state today, or None if it was not eligible yet."""
        row = self.rows.get(campaign_id)
        if row is None or not self.seen[row]:
            return None
        return CampaignPace(self.eligible[row], self.pass_rate[row])

    def forget_today(self, requests_today: int = 0) -> None:
        """Start a new day; each campaign's share of the day that ended becomes its prior."""
        for row in range(len(self.seen)):
            seen = self.seen[row] and requests_today > 0
            self.prior_share[row] = self.eligible[row] / requests_today if seen else 0.0
            self.seen[row] = 0


@dataclass(slots=True)
class ForecastPacing:
    """Per-campaign pacing gate state for one site and one day."""

    finish_fraction: float = FINISH_FRACTION
    max_credit: float = MAX_CREDIT
    name: str = "default"
    day_total_prior: float | None = None
    paces: PaceTable = field(default_factory=PaceTable)

    def start_day(self, own_history: list[int], requests_yesterday: int = 0) -> None:
        """Forget yesterday's counts; take the day-total prior from past days of this type.
        (Credits start again at a campaign's first eligible request of the day: the gate.)

        The other type's total is no prior: a weekend's volume is not a weekday's (measured:
        borrowing it, even weakly, paced the first weekend day worse than extrapolating).
        """
        self.paces.forget_today(requests_yesterday)
        self.day_total_prior = _ema(own_history) if own_history else None

    def reset(self) -> None:
        self.paces.forget_today()

    def remaining_requests(
        self,
        requests_today: int,
        expected_fraction: float,
        left_the_shape: bool = False,
        lost_share: float = 0.0,
    ) -> float:
        """Forecast of the site's requests between now and the finish line.

        With days of its own type behind it, the rest of the day is expected to follow the
        learned total and shape: a burst, a quiet spell or a noisy hour does not change what
        is still to come. If today's traffic has left the learned shape, the day's total is
        kept and the shape is not: what is still to come is the total less what came, less
        what whole silent hours (`lost_share` of the day: an outage) will never bring.
        A day type seen for the first time extrapolates an upper bound of today's count
        through the shape's expected fraction.
        """
        prior = self.day_total_prior
        finish = self.finish_fraction
        if prior is not None:
            if left_the_shape:
                return max(0.0, prior * (finish - lost_share) - requests_today)
            return max(0.0, prior * (1.0 - expected_fraction / finish))
        z = EXTRAPOLATION_Z
        bound = requests_today + z * math.sqrt(requests_today) + z * z
        total = bound / max(expected_fraction, MIN_EXTRAPOLATION_FRACTION)
        return max(0.0, total * (1.0 - expected_fraction / finish))

    def pass_rate(self, campaign_id: str) -> float:
        pace = self.paces.today(campaign_id)
        return 0.0 if pace is None else pace.pass_rate


def _ema(values: list[int]) -> float:
    estimate = float(values[0])
    for v in values[1:]:
        estimate = PRIOR_DAYS_ALPHA * v + (1 - PRIOR_DAYS_ALPHA) * estimate
    return estimate
