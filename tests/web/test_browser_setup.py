"""The browser-test setup itself: Chromium loads a page of the publisher's origin, and a
script there can call the live ad server across origins."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.web.browser import LiveServer, PageServer


def test_a_page_from_another_origin_reaches_the_live_server(
    page: Page, pages: PageServer, server: LiveServer
) -> None:
    url = pages.add("/hello.html", "<!doctype html><title>Hello</title><p>hi</p>")
    page.goto(url)
    assert page.title() == "Hello"
    assert page.evaluate("location.origin") != server.url
    status = page.evaluate(f"fetch('{server.url}/v1/imp').then(r => r.status)")
    assert status == 403  # an unsigned beacon, refused, but the CORS answer was readable
    assert "/hello.html" in pages.requests
