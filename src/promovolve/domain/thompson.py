"""Thompson sampling over creatives: sampled CTR times CPM to the site's bid weight."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from promovolve.domain.beta import sample_beta


@dataclass(slots=True)
class CreativeStats:
    """Impressions and clicks of one creative on one site."""

    impressions: int = 0
    clicks: int = 0

    def sample_ctr(self, rng: Random) -> float:
        # CTR ~ Beta(clicks + 1, impressions − clicks + 1); clicks never exceed impressions.
        clicks = min(self.clicks, self.impressions)
        return sample_beta(clicks + 1, self.impressions - clicks + 1, rng)


def bid_multiplier(cpm_usd: float, bid_weight: float) -> float:
    """Score = sampled CTR × CPM^bidWeight; this is the CPM part."""
    return float(cpm_usd**bid_weight)
