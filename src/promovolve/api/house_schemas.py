"""House ad bodies: registered like an advertiser's creative (https asset, exact size)."""

from __future__ import annotations

from promovolve.api.answers import Out
from promovolve.api.schemas import Body, HttpsUrl, Id, Side, WebUrl
from promovolve.domain.model import HouseAd


class HouseAdCreate(Body):
    id: Id | None = None
    asset_url: HttpsUrl
    landing_url: WebUrl
    width: Side
    height: Side

    def draft(self, publisher_id: str, site_id: str) -> HouseAd:
        """The house ad this body asks for (its id filled in by the service when absent)."""
        return HouseAd(
            self.id or "",
            publisher_id,
            site_id,
            self.asset_url,
            self.landing_url,
            self.width,
            self.height,
        )


class HouseAdOut(Out):
    id: str
    publisher_id: str
    site_id: str
    asset_url: str
    landing_url: str
    width: int
    height: int
    archived: bool


def house_ad_json(ad: HouseAd) -> dict[str, object]:
    return {
        "id": ad.id,
        "publisherId": ad.publisher_id,
        "siteId": ad.site_id,
        "assetUrl": ad.asset_url,
        "landingUrl": ad.landing_url,
        "width": ad.width,
        "height": ad.height,
        "archived": ad.archived,
    }
