"""The campaigns and creatives every site engine reads (one shared, versioned registry).

It holds what may serve: the server takes out archived objects and those of a deactivated
advertiser (its own registries keep them, with their history).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from promovolve.domain.model import Campaign, Creative


@dataclass(slots=True)
class Catalog:
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    creatives_by_campaign: dict[str, dict[str, Creative]] = field(default_factory=dict)
    version: int = 0

    def put_campaign(self, campaign: Campaign) -> None:
        self.campaigns[campaign.id] = campaign
        self.creatives_by_campaign.setdefault(campaign.id, {})
        self.version += 1

    def put_creative(self, creative: Creative) -> None:
        if creative.campaign_id not in self.campaigns:
            raise KeyError(f"unknown campaign {creative.campaign_id}")
        self.creatives_by_campaign[creative.campaign_id][creative.id] = creative
        self.version += 1

    def remove_campaign(self, campaign_id: str) -> None:
        """Take a campaign and its creatives out (absent ones are ignored)."""
        if self.campaigns.pop(campaign_id, None) is not None:
            self.creatives_by_campaign.pop(campaign_id, None)
            self.version += 1

    def remove_creative(self, campaign_id: str, creative_id: str) -> None:
        creatives = self.creatives_by_campaign.get(campaign_id, {})
        if creatives.pop(creative_id, None) is not None:
            self.version += 1

    def creative(self, creative_id: str) -> Creative | None:
        for creatives in self.creatives_by_campaign.values():
            found = creatives.get(creative_id)
            if found is not None:
                return found
        return None

    def creatives_of(self, campaign_id: str) -> list[Creative]:
        return list(self.creatives_by_campaign.get(campaign_id, {}).values())
