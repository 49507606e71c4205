"""A small network on a live server for the browser tests: a publisher whose site is the
fixture pages' host, an advertiser with a campaign and a creative (approved or not)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page, Route

from tests.web.browser import PAGE_HOST, LiveServer, PageServer

# A 1×1 PNG; the browser stretches it to the creative's size.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
ASSETS = "https://cdn.example.net/"
# The landing page: on the fixture pages' server, under another name.
LANDING_PATH = "/spring-sale.html"


@dataclass
class Network:
    server: LiveServer
    publisher_key: str
    advertiser_key: str
    site_id: str = "site-1"
    creative_id: str = "cr-1"

    def site_stats(self) -> dict[str, Any]:
        path = f"/v1/publishers/pub-1/sites/{self.site_id}/stats"
        return dict(self.server.ok("GET", path, self.publisher_key))

    def campaign_stats(self) -> dict[str, Any]:
        path = "/v1/advertisers/adv-1/campaigns/camp-1/stats"
        return dict(self.server.ok("GET", path, self.advertiser_key))

    def pending(self) -> list[str]:
        path = f"/v1/publishers/pub-1/sites/{self.site_id}/approvals?status=pending"
        answer = self.server.ok("GET", path, self.publisher_key)
        return [str(item["creativeId"]) for item in answer]


def network(server: LiveServer, pages: PageServer, approved: bool = True) -> Network:
    landing = pages.add(LANDING_PATH, "<!doctype html><title>Shop</title><p>Spring sale</p>")
    landing = landing.replace(PAGE_HOST, "shop.test", 1)
    pub = server.ok("POST", "/v1/publishers", json={"id": "pub-1", "name": "News"})["apiKey"]
    adv = server.ok("POST", "/v1/advertisers", json={"id": "adv-1", "name": "Shop"})["apiKey"]
    server.ok("POST", "/v1/publishers/pub-1/sites", pub, {"id": "site-1", "domain": PAGE_HOST})
    server.ok(
        "POST",
        "/v1/advertisers/adv-1/campaigns",
        adv,
        {"id": "camp-1", "name": "Spring", "dailyBudget": 100, "cpm": 2.5},
    )
    server.ok(
        "POST",
        "/v1/advertisers/adv-1/campaigns/camp-1/creatives",
        adv,
        {
            "id": "cr-1",
            "assetUrl": ASSETS + "cr-1.png",
            "landingUrl": landing,
            "width": 300,
            "height": 250,
        },
    )
    if approved:
        server.ok("POST", "/v1/publishers/pub-1/sites/site-1/approvals/cr-1/approve", pub)
    return Network(server, pub, adv)


def article(pages: PageServer, server: LiveServer, body: str, path: str = "/article.html") -> str:
    """A publisher's article with the tag pasted as the guide says; its URL."""
    html = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Spring gardening</title>
<meta name="description" content="What to plant in spring">
<meta name="keywords" content="garden, spring">
<style>img {{ border: 9px solid red; opacity: .2 }} a {{ display: none }}</style>
<script async src="{server.url}/tag.js" data-site="site-1"></script>
</head><body><h1>Spring gardening</h1>{body}</body></html>"""
    return pages.add(path, html)


def fake_internet(page: Page) -> None:
    """The creative's image answers from here (no network in tests)."""

    def asset(route: Route) -> None:
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.context.route(ASSETS + "**", asset)


SLOT = '<div data-promovolve-slot="top" data-width="300" data-height="250"></div>'
AD_IMG = "[data-promovolve-slot] img"
