"""Time from page load to ad render: the ad tag on the browser tests' fixture page.

A live server and a publisher page on another origin, as in tests/web; headless Chromium
loads the page N times (a fresh context each, so nothing is cached) and this prints the
median and worst time from navigation start to the ad image being laid out, and the tag's
gzipped size.

    .venv/bin/python -m benchmarks.tag_render [--loads 20]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
from importlib.resources import files
from pathlib import Path

from playwright.sync_api import sync_playwright
from tests.web.browser import CHROMIUM, HOST_RULES, LiveServer, PageServer
from tests.web.network import AD_IMG, SLOT, article, fake_internet, network

RENDERED = """() => {
  const img = document.querySelector("[data-promovolve-slot]")?.shadowRoot?.querySelector("img");
  return img && img.complete && img.getBoundingClientRect().width > 0 ? performance.now() : 0;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()
    tag = files("promovolve.web").joinpath("tag.js").read_bytes()
    print(f"tag.js: {len(tag)} bytes, {len(gzip.compress(tag, 9))} bytes gzipped")
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp) / "server").start()
        pages = PageServer()
        try:
            network(server, pages)
            url = article(pages, server, SLOT)
            times = []
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=str(CHROMIUM), args=["--no-sandbox", HOST_RULES]
                )
                for _ in range(args.loads):
                    context = browser.new_context()
                    page = context.new_page()
                    fake_internet(page)
                    page.goto(url)
                    page.wait_for_selector(AD_IMG)
                    times.append(
                        float(page.wait_for_function(RENDERED, polling="raf").json_value())
                    )
                    context.close()
                browser.close()
        finally:
            pages.close()
            server.stop()
    median, worst = statistics.median(times), max(times)
    print(f"page load to ad render, {len(times)} loads: median {median:.0f} ms, max {worst:.0f} ms")


if __name__ == "__main__":
    main()
