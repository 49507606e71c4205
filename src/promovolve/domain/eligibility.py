"""Which campaigns and creatives may compete for a slot on a page."""

from __future__ import annotations

from collections.abc import Collection

from promovolve.domain.model import Campaign, Creative, CreativeStatus, PageContext


def matches_context(campaign: Campaign, page: PageContext) -> bool:
    """Untargeted campaigns run anywhere; targeted ones need a shared category or keyword."""
    if not campaign.categories and not campaign.keywords:
        return True
    return bool(campaign.categories & page.categories) or bool(campaign.keywords & page.keywords)


def fits_slot(creative: Creative, width: int, height: int) -> bool:
    return creative.width == width and creative.height == height


def is_blocked(domain: str, blocklist: Collection[str]) -> bool:
    """A blocked domain also blocks its subdomains."""
    if not blocklist or not domain:
        return False
    parts = domain.split(".")
    return any(".".join(parts[i:]) in blocklist for i in range(len(parts)))


def creative_can_run(
    creative: Creative, width: int, height: int, blocklist: Collection[str]
) -> bool:
    return (
        creative.status is CreativeStatus.ACTIVE
        and fits_slot(creative, width, height)
        and not is_blocked(creative.landing_domain, blocklist)
    )
