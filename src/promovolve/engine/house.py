"""House ads: a site's publisher's own creatives, filling the slots paid demand leaves empty.

Paid demand decides first and its outcome stands (the seed's four outcomes count it); a slot
it did not fill then gets a house ad of exactly its size, if the site has one, preferring one
not yet on the page. House ads have no budget, no price and no pacing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from random import Random

from promovolve.domain.model import HouseAd, SlotSpec
from promovolve.engine.decisions import SELECTED, WARMUP, SiteCounters, SlotDecision


class HouseAds:
    def __init__(self) -> None:
        self._by_size: dict[tuple[int, int], list[HouseAd]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_size)

    def load(self, ads: Iterable[HouseAd]) -> None:
        """The site's live house ads (archived ones are left out)."""
        by_size: dict[tuple[int, int], list[HouseAd]] = {}
        for ad in sorted(ads, key=lambda a: a.id):
            if not ad.archived:
                by_size.setdefault((ad.width, ad.height), []).append(ad)
        self._by_size = by_size

    def fill(
        self,
        decision: SlotDecision,
        slot: SlotSpec,
        used: set[str],
        rng: Random,
        counters: Iterable[SiteCounters],
    ) -> SlotDecision:
        """`decision` with a house ad in it when paid demand left the slot empty (counted
        in `counters`)."""
        if decision.outcome in (SELECTED, WARMUP):
            return decision
        fitting = self._by_size.get((slot.width, slot.height))
        if not fitting:
            return decision
        fresh = [ad for ad in fitting if ad.id not in used]
        ad = rng.choice(fresh or fitting)
        used.add(ad.id)
        for c in counters:
            c.house_fills += 1
        return replace(decision, house=ad)


def count_house_event(click: bool, counters: Iterable[SiteCounters]) -> None:
    for c in counters:
        if click:
            c.house_clicks += 1
        else:
            c.house_impressions += 1
