"""The ad tag on a publisher's page in headless Chromium, against a live server on
another origin (real CORS): rendering, viewability, clicks, moderation, failures."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Page

from tests.web.browser import LiveServer, PageServer
from tests.web.network import AD_IMG, LANDING_PATH, SLOT, article, fake_internet, network

FOLD_SPACER = '<div style="height: 3000px">Long article text.</div>'


def errors_of(page: Page) -> list[str]:
    """Uncaught errors of the page (filled as they happen)."""
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(str(exc)))
    return found


def eventually(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.time() + seconds
    while not check():
        assert time.time() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_an_approved_ad_renders_isolated_from_the_page_css(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    network(server, pages)
    fake_internet(page)
    errors = errors_of(page)
    page.goto(article(pages, server, SLOT))
    img = page.wait_for_selector(AD_IMG)
    assert img is not None
    assert img.get_attribute("width") == "300" and img.get_attribute("height") == "250"
    assert img.get_attribute("alt") == "Advertisement: shop.test"
    assert img.get_attribute("src") == "https://cdn.example.net/cr-1.png"
    link = page.locator("[data-promovolve-slot] a")
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "sponsored noopener"
    assert "/v1/click?" in (link.get_attribute("href") or "")
    # The page's `img { border }` and `a { display: none }` do not reach the ad.
    assert img.evaluate("e => getComputedStyle(e).borderTopWidth") == "0px"
    assert link.is_visible()
    box = img.bounding_box()
    assert box is not None and (box["width"], box["height"]) == (300, 250)
    assert errors == []


def test_one_serve_call_for_all_slots_with_the_page_context(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    network(server, pages)
    fake_internet(page)
    bodies: list[str] = []
    page.on(
        "request",
        lambda r: bodies.append(r.post_data or "") if r.url.endswith("/v1/serve") else None,
    )
    side = '<div data-promovolve-slot="side" data-width="300" data-height="250"></div>'
    page.goto(article(pages, server, SLOT + side))
    page.wait_for_selector(AD_IMG)
    page.wait_for_timeout(500)
    assert len(bodies) == 1
    sent = page.evaluate(f"JSON.parse({bodies[0]!r})")
    assert sent["siteId"] == "site-1" and sent["url"].endswith("/article.html")
    assert [s["id"] for s in sent["slots"]] == ["top", "side"]
    assert sent["title"] == "Spring gardening"
    assert sent["description"] == "What to plant in spring"
    assert sent["keywords"] == ["garden", "spring"]
    cookies = page.context.cookies()
    assert cookies == []
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0


def test_an_ad_below_the_fold_counts_once_after_a_viewable_second(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages)
    fake_internet(page)
    page.goto(article(pages, server, FOLD_SPACER + SLOT))
    page.wait_for_selector(AD_IMG, state="attached")
    page.wait_for_timeout(2000)
    assert net.site_stats()["impressions"] == 0
    page.locator(AD_IMG).scroll_into_view_if_needed()
    page.wait_for_timeout(400)  # on screen, but not yet for a second
    assert net.site_stats()["impressions"] == 0
    eventually(lambda: net.site_stats()["impressions"] == 1)
    # Out of view and back again: still one impression.
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.locator(AD_IMG).scroll_into_view_if_needed()
    page.wait_for_timeout(1800)
    assert net.site_stats()["impressions"] == 1
    assert net.site_stats()["impressionsToday"] == 1


def test_a_glimpse_shorter_than_a_second_is_not_an_impression(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages)
    fake_internet(page)
    page.goto(article(pages, server, FOLD_SPACER + SLOT + FOLD_SPACER))
    page.wait_for_selector(AD_IMG, state="attached")
    for _ in range(3):
        page.locator(AD_IMG).scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
    page.wait_for_timeout(1200)
    assert net.site_stats()["impressions"] == 0


def test_the_click_goes_through_the_signed_redirect(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages)
    fake_internet(page)
    page.goto(article(pages, server, SLOT))
    page.wait_for_selector(AD_IMG)
    # A reader sees the ad before clicking it: a click without a viewable impression, or
    # within 100 ms of it, is invalid traffic.
    eventually(lambda: net.site_stats()["impressions"] == 1)
    page.wait_for_timeout(300)  # a reader's click comes later than 100 ms after it
    with page.context.expect_page() as opened:
        page.locator("[data-promovolve-slot] a").click()
    landing = opened.value
    landing.wait_for_load_state()
    assert landing.url.startswith("http://shop.test:") and landing.url.endswith(LANDING_PATH)
    assert landing.title() == "Shop"
    stats = net.site_stats()
    assert stats["clicks"] == 1, stats["today"]


def test_an_unapproved_creative_leaves_the_slot_collapsed_and_pending(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages, approved=False)
    fake_internet(page)
    fallback = (
        '<div data-promovolve-slot="side" data-width="300" data-height="250">'
        '<p id="house">Subscribe to our newsletter</p></div>'
    )
    page.goto(article(pages, server, SLOT + fallback))
    eventually(lambda: net.pending() == ["cr-1"])
    top = page.locator('[data-promovolve-slot="top"]')
    eventually(lambda: top.evaluate("e => e.style.display") == "none")
    assert top.bounding_box() is None
    assert page.locator("#house").is_visible()  # the publisher's fallback stays
    assert page.locator(AD_IMG).count() == 0


def test_with_the_server_down_the_page_loads_without_errors(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    network(server, pages)
    errors = errors_of(page)
    page.route("**/v1/serve", lambda route: route.abort())
    page.goto(article(pages, server, SLOT, "/a.html"))
    page.wait_for_timeout(1000)
    assert page.locator("h1").inner_text() == "Spring gardening"
    server.stop()
    page.unroute("**/v1/serve")
    page.goto(article(pages, server, SLOT, "/b.html"))
    page.wait_for_load_state("load")
    page.wait_for_timeout(1000)
    assert page.locator("h1").inner_text() == "Spring gardening"
    assert errors == []


def test_a_slot_added_after_load_gets_an_ad(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    network(server, pages)
    fake_internet(page)
    page.goto(article(pages, server, "<p>No slot yet.</p>"))
    page.wait_for_function("typeof window.promovolve?.push === 'function'")
    page.evaluate(
        """() => {
        const el = document.createElement("div");
        el.dataset.promovolveSlot = "late";
        el.dataset.width = "300";
        el.dataset.height = "250";
        document.body.append(el);
        window.promovolve.push(el);
    }"""
    )
    img = page.wait_for_selector('[data-promovolve-slot="late"] img')
    assert img is not None and img.get_attribute("width") == "300"


def test_refresh_asks_again_for_the_slots_of_a_new_view(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages)
    fake_internet(page)
    serves: list[str] = []
    page.on("request", lambda r: serves.append(r.url) if r.url.endswith("/v1/serve") else None)
    page.goto(article(pages, server, SLOT))
    first = page.wait_for_selector(AD_IMG)
    assert first is not None
    href = page.locator("[data-promovolve-slot] a").get_attribute("href")
    page.evaluate("window.promovolve.refresh()")
    eventually(lambda: page.locator("[data-promovolve-slot] a").get_attribute("href") != href)
    assert len(serves) == 2
    assert page.locator(AD_IMG).count() == 1  # the new ad replaced the old one
    assert net.site_stats()["today"]["served"] == 2


def test_an_ad_in_a_hidden_tab_is_not_viewable_until_the_tab_shows(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages)
    fake_internet(page)
    # The tab starts hidden (as a page opened in a background tab does).
    page.add_init_script(
        "window.__hidden = true;"
        "Object.defineProperty(document, 'visibilityState',"
        " {get: () => (window.__hidden ? 'hidden' : 'visible')});"
    )
    page.goto(article(pages, server, SLOT))
    page.wait_for_selector(AD_IMG)
    page.wait_for_timeout(2000)
    assert net.site_stats()["impressions"] == 0
    page.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))")
    eventually(lambda: net.site_stats()["impressions"] == 1)


def test_a_house_ad_renders_where_no_paid_ad_may_and_its_impression_counts(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages, approved=False)
    house = {
        "id": "h-1",
        "assetUrl": "https://cdn.example.net/house.png",
        "landingUrl": pages.add("/subscribe.html", "<!doctype html><title>Subscribe</title>"),
        "width": 300,
        "height": 250,
    }
    server.ok("POST", "/v1/publishers/pub-1/sites/site-1/house-ads", net.publisher_key, house)
    fake_internet(page)
    errors = errors_of(page)
    page.goto(article(pages, server, SLOT))
    img = page.wait_for_selector(AD_IMG)
    assert img is not None and img.get_attribute("src") == house["assetUrl"]
    eventually(lambda: net.site_stats()["houseImpressions"] == 1)
    stats = net.site_stats()
    assert (stats["houseFills"], stats["impressions"], stats["today"]["settledSpend"]) == (1, 0, 0)
    assert errors == []
