"""`promovolve serve --demo`: a sample network and an article with the tag, on one server.

At start (once per data dir) it creates a publisher with a site on the server's own host,
an advertiser with two campaigns and their creatives, approved on the site. The creatives'
images are drawn here and served by the server itself (under /demo/assets/); every other
creative still needs an https asset URL. The account keys are printed once and kept in
`<data dir>/demo.keys`.
"""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from string import Template

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from promovolve.api.errors import not_found
from promovolve.api.runtime import Runtime
from promovolve.domain.model import ApprovalStatus, Campaign, Creative, host_of
from promovolve.domain.money import usd_to_micros

PUBLISHER, SITE, ADVERTISER = "demo-publisher", "demo-site", "demo-advertiser"
KEYS_FILE = "demo.keys"
# id: (campaign, width, height, headline, colour)
BANNERS = {
    "demo-spring": ("Spring seeds sale", 300, 250, "Spring seeds, 20% off", "#2e7d32"),
    "demo-tools": ("Garden tools", 728, 90, "Garden tools that last", "#1565c0"),
}
ARTICLE = Template(files("promovolve.web").joinpath("demo.html").read_text(encoding="utf-8"))
CACHE = {"Cache-Control": "public, max-age=3600"}

router = APIRouter(tags=["demo"], include_in_schema=False)


def base_url(runtime: Runtime) -> str:
    """Where a browser on this machine reaches the server."""
    settings = runtime.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


def banner_svg(width: int, height: int, headline: str, colour: str) -> str:
    size = max(14, min(height // 4, width // 14))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="{colour}"/>'
        f'<text x="50%" y="45%" fill="#fff" font-family="sans-serif" font-size="{size}" '
        f'font-weight="bold" text-anchor="middle" dominant-baseline="middle">{headline}</text>'
        f'<text x="50%" y="78%" fill="#fff" font-family="sans-serif" font-size="{size * 2 // 3}" '
        f'text-anchor="middle">Shop now \u203a</text></svg>'
    )


async def seed(runtime: Runtime) -> None:
    """Create the demo network unless this data dir has it already."""
    services = runtime.services
    if PUBLISHER in runtime.state.publishers:
        return
    base = base_url(runtime)
    _, publisher_key = await services.accounts.create("publisher", PUBLISHER, "Demo Gazette")
    _, advertiser_key = await services.accounts.create("advertiser", ADVERTISER, "Demo Garden")
    await services.sites.create(PUBLISHER, SITE, host_of(base), "The Demo Gazette", 1.0)
    for creative_id, (name, width, height, _, _) in BANNERS.items():
        campaign = await services.campaigns.create(
            Campaign(
                creative_id,
                ADVERTISER,
                name,
                usd_to_micros(50),
                usd_to_micros(3),
                categories=frozenset({"home-garden"}),
            )
        )
        await services.campaigns.create_creative(
            Creative(
                creative_id,
                campaign.id,
                ADVERTISER,
                f"{base}/demo/assets/{creative_id}.svg",
                f"{base}/demo/shop",
                width,
                height,
            )
        )
        await services.moderation.decide(PUBLISHER, SITE, creative_id, ApprovalStatus.APPROVED)
    _announce(runtime, base, publisher_key, advertiser_key)


def _announce(runtime: Runtime, base: str, publisher_key: str, advertiser_key: str) -> None:
    path = runtime.settings.data_dir / KEYS_FILE
    lines = f"publisher {PUBLISHER}: {publisher_key}\nadvertiser {ADVERTISER}: {advertiser_key}\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(lines)
    print(
        f"Demo network created (keys kept in {path}, shown once):\n{lines}"
        f"Open {base}/demo for the sample article, {base}/ui/ for the dashboard.",
        file=sys.stderr,
        flush=True,
    )


@router.get("/demo")
async def article(request: Request) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    page = ARTICLE.substitute(tag_url=base_url(runtime) + "/tag.js", site_id=SITE)
    return HTMLResponse(page)


@router.get("/demo/assets/{name}.svg")
async def asset(name: str) -> Response:
    banner = BANNERS.get(name)
    if banner is None:
        raise not_found("asset", "name")
    _, width, height, headline, colour = banner
    svg = banner_svg(width, height, headline, colour)
    return Response(svg, media_type="image/svg+xml", headers=CACHE)


@router.get("/demo/shop")
async def shop() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><title>Demo Garden</title><h1>Demo Garden</h1>"
        "<p>The advertiser's landing page: the click came through the ad server.</p>"
    )
