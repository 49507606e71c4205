"""Which campaigns and creatives may compete for a slot on a page."""

from __future__ import annotations

from collections.abc import Collection

from promovolve.domain.model import Campaign, Creative, CreativeStatus, PageContext


def matches_context(campaign: Campaign, page: PageContext) -> bool:
    """Whether the campaign may run on the page.

    A page in a sensitive topic takes only campaigns that opted in to that topic (by naming
    it, or an ancestor, in their categories). An excluded category or keyword of the page
    rules the campaign out. Then untargeted campaigns run anywhere; targeted ones need a
    shared category or keyword.
    """
    categories = campaign.categories
    if page.sensitive and not all(categories & topic for topic in page.sensitive):
        return False
    if campaign.excluded_categories & page.categories:
        return False
    if campaign.excluded_keywords & page.keywords:
        return False
    if not categories and not campaign.keywords:
        return True
    return bool(categories & page.categories) or bool(campaign.keywords & page.keywords)


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
