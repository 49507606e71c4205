"""The dashboard over httpx against the ASGI app: login, session, CSRF, each role's pages."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from promovolve.settings import Settings
from tests.api.conftest import COMMON
from tests.api.harness import ADMIN_KEY, BASE_URL, Harness
from tests.web.ui_client import UiClient


@pytest.fixture
async def ui_api(tmp_path: Path) -> AsyncIterator[Harness]:
    settings = Settings(
        data_dir=tmp_path, admin_key=ADMIN_KEY, snapshot_interval_seconds=0.2, **COMMON
    )
    harness = await Harness(settings).start()
    try:
        yield harness
    finally:
        await harness.stop()


def browser_of(api: Harness) -> UiClient:
    assert api.app is not None
    transport = httpx.ASGITransport(app=api.app)
    return UiClient(httpx.AsyncClient(transport=transport, base_url=BASE_URL))


async def test_login_page_has_a_labelled_key_field_and_a_session_cookie(ui_api: Harness) -> None:
    ui = browser_of(ui_api)
    r = await ui.get("/ui/login")
    assert r.status_code == 200
    assert '<label for="apiKey">API key</label>' in r.text
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/ui" in cookie
    assert "secure" not in cookie  # plain http here; https sets it


async def test_pages_need_a_login(ui_api: Harness) -> None:
    ui = browser_of(ui_api)
    for path in ("/ui/", "/ui/sites", "/ui/campaigns", "/ui/accounts"):
        r = await ui.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/ui/login", path


async def test_a_wrong_key_is_refused_and_the_key_never_shows(ui_api: Harness) -> None:
    key = await ui_api.publisher("pub-1")
    ui = browser_of(ui_api)
    await ui.get("/ui/login")
    r = await ui.post("/ui/login", {"apiKey": "pv_pub_nope"})
    assert r.status_code == 401 and "unknown API key" in r.text
    r = await ui.login(key)
    assert r.headers["location"] == "/ui/sites"
    page = await ui.get("/ui/sites")
    assert page.status_code == 200
    assert key not in page.text and key not in str(page.url)
    assert all(key not in v for v in ui.http.cookies.values())


async def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(
    ui_api: Harness,
) -> None:
    key = await ui_api.publisher("pub-1")
    ui = browser_of(ui_api)
    await ui.login(key)
    r = await ui.http.post("/ui/sites", data={"domain": "news.example.com"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = await ui.http.post("/ui/sites", data={"domain": "news.example.com", "csrf": "forged"})
    assert r.status_code == 403
    assert ui_api.runtime.services.sites.of_publisher("pub-1") == []
    r = await ui.post("/ui/sites", {"domain": "news.example.com"})
    assert r.status_code == 303
    assert len(ui_api.runtime.services.sites.of_publisher("pub-1")) == 1


async def test_login_without_csrf_is_refused(ui_api: Harness) -> None:
    key = await ui_api.publisher("pub-1")
    ui = browser_of(ui_api)
    r = await ui.http.post("/ui/login", data={"apiKey": key})
    assert r.status_code == 403


async def test_logout_ends_the_session(ui_api: Harness) -> None:
    key = await ui_api.publisher("pub-1")
    ui = browser_of(ui_api)
    await ui.login(key)
    r = await ui.post("/ui/logout", {})
    assert r.status_code == 303
    r = await ui.get("/ui/sites")
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"


async def test_a_rotated_key_ends_its_sessions(ui_api: Harness) -> None:
    key = await ui_api.publisher("pub-1")
    ui = browser_of(ui_api)
    await ui.login(key)
    await ui_api.runtime.services.accounts.rotate_key("publisher", "pub-1")
    r = await ui.get("/ui/sites")
    assert r.status_code == 303


async def test_publisher_creates_and_edits_a_site_and_gets_its_tag(ui_api: Harness) -> None:
    key = await ui_api.publisher("pub-1")
    ui = browser_of(ui_api)
    await ui.login(key)
    r = await ui.post("/ui/sites", {"domain": "News.Example.com", "name": "News"})
    assert r.status_code == 303
    site_path = r.headers["location"]
    site_id = site_path.rsplit("/", 1)[1]
    page = await ui.get(site_path)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f'<script async src="{BASE_URL}/tag.js" data-site="{site_id}"></script>' in text
    assert '<div data-promovolve-slot="top" data-width="300" data-height="250"></div>' in text
    assert f'hx-get="/ui/sites/{site_id}/stats"' in page.text
    r = await ui.post(
        site_path, {"domain": "news.example.com", "name": "Daily News", "bidWeight": "1.5"}
    )
    assert r.status_code == 303
    site = ui_api.runtime.services.sites.of_publisher("pub-1")[0]
    assert (site.name, site.bid_weight) == ("Daily News", 1.5)
    r = await ui.post(site_path, {"domain": "news.example.com", "bidWeight": "9"})
    assert r.status_code == 400 and "bidWeight" in r.text
    assert ui_api.runtime.services.sites.of_publisher("pub-1")[0].bid_weight == 1.5


async def test_publisher_sets_pacing_and_a_bad_value_names_its_field(ui_api: Harness) -> None:
    key = await ui_api.publisher("pub-1")
    await ui_api.site(key, "pub-1", "site-1", "news.example.com")
    ui = browser_of(ui_api)
    await ui.login(key)
    volumes = " ".join(["1"] * 12 + ["3"] * 12)
    form = {"dayDurationSeconds": "600", "weekdayShapeVolumes": volumes, "warmupMode": "on"}
    r = await ui.post("/ui/sites/site-1/pacing", form)
    assert r.status_code == 303, r.text
    pacing = ui_api.runtime.state.sites["site-1"].site.pacing
    assert pacing.day_duration_seconds == 600 and pacing.warmup_mode
    assert pacing.weekday_shape_volumes is not None and pacing.weekday_shape_volumes[-1] == 3
    r = await ui.post(
        "/ui/sites/site-1/pacing", {"dayDurationSeconds": "600", "weekdayShapeVolumes": "1 2 x"}
    )
    assert r.status_code == 400 and "weekdayShapeVolumes" in r.text
    r = await ui.post("/ui/sites/site-1/pacing", {"dayDurationSeconds": "999999"})
    assert r.status_code == 400 and "dayDurationSeconds" in r.text
    assert ui_api.runtime.state.sites["site-1"].site.pacing == pacing


async def pending_creatives(api: Harness, n: int) -> tuple[str, str]:
    """A publisher's site where `n` creatives of adv-1 wait in the inbox; both keys."""
    pub_key = await api.publisher("pub-1")
    await api.site(pub_key, "pub-1", "site-1", "news.example.com")
    adv_key = await api.advertiser("adv-1")
    await api.campaign(adv_key, "adv-1", "cmp-1", cpm=4)
    for i in range(n):
        await api.creative(adv_key, "adv-1", "cmp-1", f"cr-{i}")
    body = {
        "siteId": "site-1",
        "url": "https://news.example.com/a",
        "slots": [{"id": "top", "width": 300, "height": 250}],
    }
    r = await api.http.post("/v1/serve", json=body)
    assert r.status_code == 200, r.text
    return pub_key, adv_key


def statuses(api: Harness) -> dict[str, str]:
    approvals = api.runtime.services.moderation.approvals("pub-1", "site-1")
    return {a.creative.id: a.status.value for a in approvals}


async def test_inbox_shows_previews_and_decides_one_by_one(ui_api: Harness) -> None:
    key, _ = await pending_creatives(ui_api, 2)
    assert statuses(ui_api) == {"cr-0": "pending", "cr-1": "pending"}
    ui = browser_of(ui_api)
    await ui.login(key)
    page = await ui.get("/ui/sites/site-1")
    assert 'src="https://cdn.example.net/cr-0.png"' in page.text
    assert "shop-adv-1.example.org" in page.text and "adv-1" in page.text
    assert "$4.00" in page.text and "300×250" in page.text
    r = await ui.post("/ui/sites/site-1/approvals", {"one": "approve cr-0"})
    assert r.status_code == 303
    assert statuses(ui_api) == {"cr-0": "approved", "cr-1": "pending"}
    await ui.post("/ui/sites/site-1/approvals", {"one": "reject cr-1"})
    await ui.post("/ui/sites/site-1/approvals", {"one": "revoke cr-0"})
    assert statuses(ui_api) == {"cr-0": "pending", "cr-1": "rejected"}


async def test_inbox_decides_in_bulk(ui_api: Harness) -> None:
    key, _ = await pending_creatives(ui_api, 3)
    ui = browser_of(ui_api)
    await ui.login(key)
    await ui.get("/ui/sites/site-1")
    r = await ui.post(
        "/ui/sites/site-1/approvals", {"decision": "approve", "creative": ["cr-0", "cr-2"]}
    )
    assert r.status_code == 303
    assert statuses(ui_api) == {"cr-0": "approved", "cr-1": "pending", "cr-2": "approved"}
    r = await ui.post("/ui/sites/site-1/approvals", {"decision": "approve"})
    assert r.status_code == 400 and "creative" in r.text
    r = await ui.post("/ui/sites/site-1/approvals", {"decision": "maybe", "creative": ["cr-1"]})
    assert r.status_code == 400 and statuses(ui_api)["cr-1"] == "pending"


async def test_site_stats_part_is_live(ui_api: Harness) -> None:
    key, _ = await pending_creatives(ui_api, 1)
    ui = browser_of(ui_api)
    await ui.login(key)
    r = await ui.get("/ui/sites/site-1/stats")
    assert r.status_code == 200
    assert "<svg" in r.text and "learned" in r.text and "expected" in r.text
    assert "Pending approval</th><td>1" in r.text


async def test_site_stats_show_invalid_traffic_by_reason(ui_api: Harness) -> None:
    key, _ = await pending_creatives(ui_api, 1)
    body = {
        "siteId": "site-1",
        "url": "https://news.example.com/a",
        "slots": [{"id": "top", "width": 300, "height": 250}],
    }
    bot = {"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0)"}
    r = await ui_api.http.post("/v1/serve", json=body, headers=bot)
    assert r.json()["slots"][0]["outcome"] == "invalidTraffic"
    ui = browser_of(ui_api)
    await ui.login(key)
    r = await ui.get("/ui/sites/site-1/stats")
    assert 'data-invalid="serves-bot">1<' in r.text
    assert 'data-invalid="serves-overCap">0<' in r.text
    assert 'data-invalid="impressions-beforeViewable">0<' in r.text


async def test_blocklist_blocks_and_unblocks(ui_api: Harness) -> None:
    key = await ui_api.publisher("pub-1")
    ui = browser_of(ui_api)
    await ui.login(key)
    await ui.get("/ui/blocklist")
    r = await ui.post("/ui/blocklist", {"domain": "Casino.example"})
    assert r.status_code == 303
    moderation = ui_api.runtime.services.moderation
    assert moderation.blocklist("pub-1") == frozenset({"casino.example"})
    r = await ui.post("/ui/blocklist", {"domain": "not a domain"})
    assert r.status_code == 400 and moderation.blocklist("pub-1") == frozenset({"casino.example"})
    page = await ui.get("/ui/blocklist")
    assert "casino.example" in page.text
    await ui.post("/ui/blocklist", {"action": "unblock", "domain": ["casino.example"]})
    assert moderation.blocklist("pub-1") == frozenset()


async def test_one_account_cannot_open_anothers_pages(ui_api: Harness) -> None:
    await pending_creatives(ui_api, 1)
    other = await ui_api.publisher("pub-2")
    adv2 = await ui_api.advertiser("adv-2")
    ui = browser_of(ui_api)
    await ui.login(other)
    assert (await ui.get("/ui/sites/site-1")).status_code == 404
    assert (await ui.get("/ui/sites/site-1/stats")).status_code == 404
    r = await ui.post("/ui/sites/site-1/approvals", {"one": "approve cr-0"})
    assert r.status_code == 404 and statuses(ui_api)["cr-0"] == "pending"
    assert (await ui.get("/ui/campaigns")).status_code == 404
    assert (await ui.get("/ui/accounts")).status_code == 404
    ui2 = browser_of(ui_api)
    await ui2.login(adv2)
    assert (await ui2.get("/ui/campaigns/cmp-1")).status_code == 404
    assert (await ui2.get("/ui/campaigns/cmp-1/daily.csv")).status_code == 404
    assert (await ui2.get("/ui/sites")).status_code == 404


async def test_advertiser_creates_edits_a_campaign_and_registers_a_creative(
    ui_api: Harness,
) -> None:
    key = await ui_api.advertiser("adv-1")
    ui = browser_of(ui_api)
    await ui.login(key)
    form = {"name": "Spring", "dailyBudget": "50", "cpm": "2.5", "categories": "sports, news"}
    r = await ui.post("/ui/campaigns", form)
    assert r.status_code == 303, r.text
    path = r.headers["location"]
    campaign = ui_api.runtime.services.campaigns.of_advertiser("adv-1")[0]
    assert campaign.daily_budget_micros == 50_000_000 and campaign.cpm_micros == 2_500_000
    assert campaign.categories == frozenset({"sports", "news"})
    page = await ui.get(path)
    assert page.status_code == 200 and "Spend today vs budget vs expected" in page.text
    r = await ui.post(path, {"dailyBudget": "80", "status": "paused", "keywords": "ball"})
    assert r.status_code == 303
    campaign = ui_api.runtime.services.campaigns.get("adv-1", campaign.id)
    assert campaign.daily_budget_micros == 80_000_000 and campaign.status.value == "paused"
    r = await ui.post(path, {"dailyBudget": "-1"})
    assert r.status_code == 400 and "dailyBudget" in r.text
    creative = {
        "assetUrl": "http://cdn.example.net/a.png",
        "landingUrl": "https://shop.example.org/",
        "width": "300",
        "height": "250",
    }
    r = await ui.post(path + "/creatives", creative)
    assert r.status_code == 400 and "assetUrl" in r.text
    r = await ui.post(
        path + "/creatives", {**creative, "assetUrl": "https://cdn.example.net/a.png"}
    )
    assert r.status_code == 303
    page = await ui.get(path)
    assert 'src="https://cdn.example.net/a.png"' in page.text


async def test_campaign_csv_has_a_row_per_day_served(ui_api: Harness) -> None:
    key, adv_key = await pending_creatives(ui_api, 1)
    await ui_api.approve(key, "pub-1", "site-1", "cr-0")
    body = {
        "siteId": "site-1",
        "url": "https://news.example.com/a",
        "slots": [{"id": "top", "width": 300, "height": 250}],
    }
    r = await ui_api.http.post("/v1/serve", json=body)
    assert r.json()["slots"][0]["outcome"] == "selected", r.text
    # At once: sooner than a viewable ad's beacon can come, so invalid (counted apart).
    assert (await ui_api.http.get(r.json()["slots"][0]["impressionUrl"])).status_code == 200
    adv = browser_of(ui_api)
    await adv.login(adv_key)
    r = await adv.get("/ui/campaigns/cmp-1/daily.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0] == "day,served,viewable,clicks,ctr,spend,released,invalid"
    assert len(lines) == 2 and lines[1].split(",")[1] == "1"
    assert lines[1].split(",")[2] == "0" and lines[1].split(",")[7] == "1"
    assert lines[1].split(",")[5] == "0.004000"  # one impression at a $4 CPM, still reserved
    page = await adv.get("/ui/campaigns/cmp-1/stats")
    assert "site-1" in page.text and 'data-stat="served">1<' in page.text


async def test_admin_creates_accounts_and_sees_the_key_once(ui_api: Harness) -> None:
    ui = browser_of(ui_api)
    await ui.login(ADMIN_KEY)
    r = await ui.post("/ui/accounts", {"kind": "publisher", "name": "Daily News"})
    assert r.status_code == 201
    (publisher,) = ui_api.runtime.state.publishers.values()
    key_field = re.search(r'id="new-key" readonly value="([^"]+)"', r.text)
    assert key_field is not None and ui_api.runtime.state.keyring.resolve(key_field.group(1))
    page = await ui.get("/ui/accounts")
    assert publisher.id in page.text and key_field.group(1) not in page.text
    r = await ui.post("/ui/accounts", {"kind": "wizard", "name": "X"})
    assert r.status_code == 400 and "kind" in r.text
    r = await ui.post("/ui/accounts", {"kind": "advertiser", "name": ""})
    assert r.status_code == 400 and "name" in r.text
    assert len(ui_api.runtime.state.advertisers) == 0


async def test_a_session_survives_a_restart_and_a_tampered_cookie_does_not_log_in(
    ui_api: Harness,
) -> None:
    key = await ui_api.publisher("pub-1")
    ui = browser_of(ui_api)
    await ui.login(key)
    cookie = ui.http.cookies["pv_session"]
    await ui_api.restart()
    ui = browser_of(ui_api)
    ui.http.cookies.set("pv_session", cookie, path="/ui")
    assert (await ui.get("/ui/sites")).status_code == 200
    forged = browser_of(ui_api)
    forged.http.cookies.set(
        "pv_session", cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"), path="/ui"
    )
    r = await forged.get("/ui/sites")
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"
