"""A lifetime budget spread over the flight: what a campaign may spend today.

today's budget = min(daily budget, (lifetime budget − spent before today) / flight days left,
today included). Today's spend never passes today's budget (the ledger's rule), so the
flight's spend never passes the lifetime budget.
"""

from __future__ import annotations

import math

from promovolve.domain.model import Campaign


def flight_days_left(flight_end: float, day_start: float, day_seconds: float) -> int:
    """Days of the flight from the day starting at `day_start` on, that day included (at
    least 1: a flight ending within today still has today)."""
    return max(1, math.ceil((flight_end - day_start) / day_seconds))


def todays_budget_micros(
    campaign: Campaign, spent_before_today: int, day_start: float, day_seconds: float
) -> int:
    """The most the campaign may spend on the day starting at `day_start`."""
    daily = campaign.daily_budget_micros
    lifetime = campaign.lifetime_budget_micros
    if lifetime is None:
        return daily
    left = max(0, lifetime - spent_before_today)
    end = campaign.flight_end
    if end is None:  # refused by the API; without an end there is nothing to spread over
        return min(daily, left)
    return min(daily, left // flight_days_left(end, day_start, day_seconds))
