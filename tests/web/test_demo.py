"""`promovolve serve --demo`: a newcomer opens /demo and sees approved ads, served, viewed
and clickable; the screenshot in the README is made here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from tests.web.browser import LiveServer
from tests.web.test_tag import eventually

SCREENSHOT = Path(__file__).parents[2] / "docs" / "demo.png"


def test_the_demo_article_shows_approved_ads(
    page: Page, server_factory: Callable[..., LiveServer]
) -> None:
    server = server_factory(args=["--demo"])
    keys = (server.data_dir / "demo.keys").read_text()
    assert "publisher demo-publisher: " in keys and "advertiser demo-advertiser: " in keys
    assert "Demo network created" in server.log
    publisher_key = keys.split("publisher demo-publisher: ")[1].split()[0]

    page.goto(server.url + "/demo")
    for slot, width in (("leaderboard", 728), ("inline", 300)):
        img = page.wait_for_selector(f'[data-promovolve-slot="{slot}"] img')
        assert img is not None
        page.wait_for_function("e => e.complete && e.naturalWidth > 0", arg=img)
        box = img.bounding_box()
        assert box is not None and box["width"] == width
    stats = "/v1/publishers/demo-publisher/sites/demo-site/stats"
    eventually(lambda: server.ok("GET", stats, publisher_key)["today"]["viewableImpressions"] == 2)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    with page.context.expect_page() as opened:
        page.locator('[data-promovolve-slot="inline"] a').click()
    opened.value.wait_for_load_state()
    assert opened.value.url == server.url + "/demo/shop"


def test_demo_asset_urls_stay_https_only_through_the_api(server: LiveServer) -> None:
    adv = server.ok("POST", "/v1/advertisers", json={"id": "adv-1", "name": "A"})["apiKey"]
    body = {"id": "camp-1", "name": "c", "dailyBudget": 10, "cpm": 1}
    server.ok("POST", "/v1/advertisers/adv-1/campaigns", adv, body)
    creative = {
        "assetUrl": server.url + "/demo/assets/demo-spring.svg",
        "landingUrl": "https://shop.example.org/",
        "width": 300,
        "height": 250,
    }
    r = server.call("POST", "/v1/advertisers/adv-1/campaigns/camp-1/creatives", adv, creative)
    assert r.status_code == 422 and r.json()["field"] == "assetUrl"
    assert server.call("GET", "/demo").status_code == 404  # demo routes only with --demo
