"""The price a winner pays: the lowest CPM at which it would still have won.

Scores are sampled CTR × CPM^alpha (CPM in dollars, alpha the site's bid weight). Against a
runner-up scoring s, a winner with sampled CTR q still wins at any CPM with
q × CPM^alpha ≥ s, so it pays (s / q)^(1/alpha), never above its bid nor below the floor.
Money is integer micros; the CPM is rounded to the nearest micro.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from promovolve.domain.money import MICROS_PER_USD, impression_price_micros


def clearing_cpm_micros(
    bid_micros: int,
    floor_micros: int,
    runner_up_score: float,
    winner_ctr: float,
    alpha: float,
) -> int:
    """The CPM (micros) the winner pays; `runner_up_score` < 0 means a sole bidder.

    A sole bidder pays the floor; with no floor (0) it pays its bid, since nothing else
    sets a price. With alpha 0 the CPM does not enter the score, so the floor is the price.
    """
    floor = min(floor_micros, bid_micros)
    if runner_up_score < 0.0:
        return floor if floor > 0 else bid_micros
    if alpha <= 0.0 or winner_ctr <= 0.0:
        return floor
    ratio = runner_up_score / winner_ctr
    if ratio <= 0.0:
        return floor
    # In logs, so a small alpha cannot overflow: at or above the bid, the bid is the price.
    log_cpm_usd = math.log(ratio) / alpha
    if log_cpm_usd >= math.log(bid_micros / MICROS_PER_USD):
        return bid_micros
    cpm = round(math.exp(log_cpm_usd) * MICROS_PER_USD)
    return max(floor, min(bid_micros, cpm))


def price_paid_micros(
    bid_micros: int,
    floor_micros: int,
    runner_up_score: float,
    winner_ctr: float,
    alpha: float,
) -> int:
    """The price of the impression (micros), at least one micro."""
    cpm = clearing_cpm_micros(bid_micros, floor_micros, runner_up_score, winner_ctr, alpha)
    return max(1, impression_price_micros(cpm))


def page_floor_micros(
    floor_micros: int, category_floors: Mapping[str, int], categories: Iterable[str]
) -> int:
    """A page's floor CPM: the site's, raised by the floor of any of the page's categories."""
    floor = floor_micros
    for category in categories:
        floor = max(floor, category_floors.get(category, 0))
    return floor
