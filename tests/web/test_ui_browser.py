"""The dashboard in headless Chromium against a live server: moderation, a campaign's
spend rising live, isolation between accounts, CSRF, accessibility (axe-core)."""

from __future__ import annotations

import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.web.browser import LiveServer, PageServer
from tests.web.network import AD_IMG, SLOT, article, fake_internet, network
from tests.web.test_tag import eventually

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCREENSHOT = DOCS / "dashboard.png"
PUBLISHER_SCREENSHOT = DOCS / "dashboard-publisher.png"


def log_in(page: Page, server: LiveServer, key: str) -> None:
    page.goto(server.url + "/ui/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def critical_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [v["id"] for v in results.response["violations"] if v.get("impact") == "critical"]


def test_publisher_approves_from_the_inbox_and_the_page_then_shows_the_ad(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages, approved=False)
    fake_internet(page)
    url = article(pages, server, SLOT)
    page.goto(url)
    eventually(lambda: net.pending() == ["cr-1"])
    assert page.locator(AD_IMG).count() == 0
    log_in(page, server, net.publisher_key)
    page.get_by_role("link", name="site-1").click()
    inbox = page.locator("#inbox")
    expect(inbox.get_by_role("img", name="Creative cr-1")).to_be_visible()
    expect(inbox).to_contain_text("shop.test")
    expect(inbox).to_contain_text("$2.50")
    page.get_by_role("button", name="Approve cr-1").click()
    expect(page.locator("#inbox .status-approved")).to_have_text("approved")
    assert critical_violations(page) == []
    page.screenshot(path=str(PUBLISHER_SCREENSHOT), full_page=True)
    page.goto(url)
    page.wait_for_selector(AD_IMG)


def test_advertiser_creates_a_campaign_and_sees_its_spend_rise(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages, approved=False)
    # The pacer spreads a $20 day over a site it has only just begun to see, so the first
    # impression may be minutes away; this test is about the page: every request may buy.
    pacing = {"testThrottleOverride": 0.0}
    server.ok("PUT", "/v1/publishers/pub-1/sites/site-1/pacing", net.publisher_key, pacing)
    fake_internet(page)
    log_in(page, server, net.advertiser_key)
    assert critical_violations(page) == []
    page.get_by_label("Name").fill("Summer")
    page.get_by_label("Daily budget, dollars").fill("20")
    page.get_by_label("Bid (CPM), dollars").fill("8")
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Summer")
    page.get_by_label("Image URL (https)").fill("https://cdn.example.net/summer.png")
    page.get_by_label("Landing page URL").fill("https://shop.test/summer")
    page.get_by_role("button", name="Register creative").click()
    expect(page.get_by_role("img", name=re.compile("Creative cr-"))).to_be_visible()
    campaign_id = page.url.split("/ui/campaigns/")[1].split("#")[0]
    creatives = server.ok(
        "GET", f"/v1/advertisers/adv-1/campaigns/{campaign_id}/creatives", net.advertiser_key
    )
    creative_id = creatives[0]["id"]
    spend = page.locator('#campaign-stats [data-stat="spend"]')
    expect(spend).to_have_text("$0.0000")
    assert critical_violations(page) == []
    approve = f"/v1/publishers/pub-1/sites/site-1/approvals/{creative_id}/approve"
    server.ok("POST", approve, net.publisher_key)
    reader = page.context.new_page()
    reader.goto(article(pages, server, SLOT))
    reader.wait_for_selector(AD_IMG)
    # No reload: the polled stats part shows the new spend within seconds.
    expect(spend).not_to_have_text("$0.0000", timeout=10_000)
    expect(page.locator('#campaign-stats [data-stat="served"]')).to_have_text("1")
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_one_account_cannot_open_anothers_pages(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages)
    other = server.ok("POST", "/v1/publishers", json={"id": "pub-2", "name": "Other"})["apiKey"]
    log_in(page, server, other)
    answer = page.goto(server.url + "/ui/sites/site-1")
    assert answer is not None and answer.status == 404
    answer = page.goto(server.url + "/ui/campaigns/camp-1")
    assert answer is not None and answer.status == 404
    log_in(page, server, net.advertiser_key)
    answer = page.goto(server.url + "/ui/sites/site-1")
    assert answer is not None and answer.status == 404


def test_a_form_posted_without_its_csrf_token_is_refused(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages)
    log_in(page, server, net.publisher_key)
    page.get_by_label("Domain").fill("second.example.com")
    page.locator('form[action="/ui/sites"] input[name="csrf"]').evaluate("e => e.remove()")
    with page.expect_response(server.url + "/ui/sites") as answer:
        page.get_by_role("button", name="Add site").click()
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("CSRF")
    sites = server.ok("GET", "/v1/publishers/pub-1/sites", net.publisher_key)
    assert [s["id"] for s in sites] == ["site-1"]


def test_dashboard_pages_have_no_critical_axe_violations(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    net = network(server, pages)
    page.goto(server.url + "/ui/login")
    assert critical_violations(page) == []
    log_in(page, server, server.admin_key)
    assert critical_violations(page) == []
    page.get_by_label("Kind").select_option("advertiser")
    page.get_by_label("Name").fill("Garden shop")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_label("New API key")).to_have_value(re.compile("^pv_adv_"))
    log_in(page, server, net.publisher_key)
    for path in ("/ui/sites", "/ui/sites/site-1", "/ui/blocklist"):
        page.goto(server.url + path)
        assert critical_violations(page) == [], path
    # Keyboard only: the skip link is the first stop and leads to the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
