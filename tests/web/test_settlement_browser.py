"""Settlement in a real browser with a short window: the ad on screen is viewed and stays
spent; the one below the fold is never viewed and its reservation goes back to the budget."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from tests.web.browser import LiveServer, PageServer
from tests.web.network import AD_IMG, SLOT, article, fake_internet, network
from tests.web.test_tag import FOLD_SPACER, eventually

PRICE = 2.5 / 1000  # one impression at the campaign's $2.50 CPM


def test_a_never_viewed_reservation_is_released_and_a_viewed_one_stays_spent(
    page: Page, pages: PageServer, server_factory: Callable[..., LiveServer]
) -> None:
    server = server_factory({"PROMOVOLVE_SETTLEMENT_WINDOW": "3"})
    net = network(server, pages)
    fake_internet(page)
    page.goto(article(pages, server, SLOT, "/viewed.html"))
    page.wait_for_selector(AD_IMG)
    eventually(lambda: net.campaign_stats()["today"]["viewableImpressions"] == 1)
    page.goto(article(pages, server, FOLD_SPACER + SLOT, "/below.html"))
    page.wait_for_selector(AD_IMG, state="attached")
    before = net.campaign_stats()
    assert before["spendToday"] == 2 * PRICE
    assert before["today"]["served"] == 2
    eventually(lambda: net.campaign_stats()["today"]["reservedSpend"] == 0)
    after = net.campaign_stats()
    assert after["today"]["settledSpend"] == PRICE
    assert after["spendToday"] == PRICE  # the unviewed one went back to the budget
    assert after["today"]["served"] == 2
    site = net.site_stats()["today"]
    assert site["viewableImpressions"] == 1 and site["settledSpend"] == PRICE
