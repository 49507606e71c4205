"""The publisher's pages: sites, pacing, the tag snippet, the approval inbox, the blocklist."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from promovolve.api.schemas import BlocklistBody, SiteCreate, SitePatch
from promovolve.domain.model import ApprovalStatus
from promovolve.pacing.config import PacingConfig, PacingConfigError
from promovolve.ui.core import Ui, UiError, UiRoute, decimal, load, number, parse_model, redirect
from promovolve.ui.stats_view import site_view

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)

DECISIONS = {
    "approve": ApprovalStatus.APPROVED,
    "reject": ApprovalStatus.REJECTED,
    "revoke": ApprovalStatus.PENDING,
}


def ad_server(ui: Ui) -> str:
    return ui.runtime.tracking_base.base_url(ui.request.scope)


def _site_form(ui: Ui) -> dict[str, object]:
    data: dict[str, object] = {"domain": ui.value("domain"), "name": ui.value("name")}
    weight = ui.value("bidWeight")
    if weight:
        data["bidWeight"] = decimal(weight, "bidWeight")
    return data


@router.get("/sites")
async def sites(request: Request) -> Response:
    ui = await load(request)
    publisher_id = ui.require("publisher")
    found = ui.runtime.services.sites.of_publisher(publisher_id)
    return ui.render("sites.html", sites=found)


@router.post("/sites")
async def create_site(request: Request) -> Response:
    ui = await load(request)
    publisher_id = ui.require("publisher")
    body = parse_model(SiteCreate, _site_form(ui))
    site = await ui.runtime.services.sites.create(
        publisher_id, None, body.domain, body.name, body.bid_weight
    )
    return ui.keep(redirect(f"/ui/sites/{site.id}"))


async def _site_page(ui: Ui, site_id: str, error: UiError | None = None) -> Response:
    publisher_id = ui.require("publisher")
    services = ui.runtime.services
    state = services.sites.state_of(publisher_id, site_id)
    approvals = services.moderation.approvals(publisher_id, site_id)
    return ui.render(
        "site.html",
        status=error.status if error else 200,
        error=error,
        site=state.site,
        pacing=state.site.pacing,
        approvals=approvals,
        ad_server=ad_server(ui),
        **(await site_view(ui.runtime, state.engine)),
    )


@router.get("/sites/{site_id}")
async def site(request: Request, site_id: str) -> Response:
    return await _site_page(await load(request), site_id)


@router.get("/sites/{site_id}/stats")
async def site_stats_part(request: Request, site_id: str) -> Response:
    """The live part of the site page, polled by htmx every few seconds."""
    ui = await load(request)
    publisher_id = ui.require("publisher")
    state = ui.runtime.services.sites.state_of(publisher_id, site_id)
    return ui.render(
        "site_stats.html", site=state.site, **(await site_view(ui.runtime, state.engine))
    )


@router.post("/sites/{site_id}")
async def edit_site(request: Request, site_id: str) -> Response:
    ui = await load(request)
    publisher_id = ui.require("publisher")
    body = parse_model(SitePatch, _site_form(ui))
    await ui.runtime.services.sites.update(
        publisher_id, site_id, body.domain, body.name, body.bid_weight
    )
    return ui.keep(redirect(f"/ui/sites/{site_id}"))


def _volumes(text: str, field: str) -> list[float] | None:
    if not text:
        return None
    try:
        return [float(v) for v in text.replace(",", " ").split()]
    except ValueError as exc:
        raise UiError(400, f"{field} must be numbers separated by spaces or commas", field) from exc


@router.post("/sites/{site_id}/pacing")
async def set_pacing(request: Request, site_id: str) -> Response:
    ui = await load(request)
    publisher_id = ui.require("publisher")
    throttle = ui.value("testThrottleOverride")
    data: dict[str, object] = {
        "dayDurationSeconds": number(ui.value("dayDurationSeconds", "86400"), "dayDurationSeconds"),
        "weekdayShapeVolumes": _volumes(ui.value("weekdayShapeVolumes"), "weekdayShapeVolumes"),
        "weekendShapeVolumes": _volumes(ui.value("weekendShapeVolumes"), "weekendShapeVolumes"),
        "warmupMode": ui.value("warmupMode") == "on",
        "testThrottleOverride": decimal(throttle, "testThrottleOverride") if throttle else None,
    }
    try:
        config = PacingConfig.from_json(data)
    except PacingConfigError as exc:
        raise UiError(400, f"{exc.field}: {exc.problem}", exc.field) from exc
    await ui.runtime.services.sites.set_pacing(publisher_id, site_id, config)
    return ui.keep(redirect(f"/ui/sites/{site_id}"))


@router.post("/sites/{site_id}/approvals")
async def decide(request: Request, site_id: str) -> Response:
    """Approve, reject or revoke (back to pending) the checked creatives, one or many."""
    ui = await load(request)
    publisher_id = ui.require("publisher")
    # A row's own button sends "approve cr-1" as `one`; the bulk buttons send `decision`
    # and apply to the checked `creative` boxes.
    one = ui.value("one").split()
    decision = DECISIONS.get(one[0] if len(one) == 2 else ui.value("decision"))
    if decision is None:
        raise UiError(400, "decision must be approve, reject or revoke", "decision")
    creatives = [one[1]] if len(one) == 2 else ui.values("creative")
    if not creatives:
        raise UiError(400, "choose at least one creative", "creative")
    services = ui.runtime.services
    services.sites.state_of(publisher_id, site_id)  # another's site: 404 before any change
    for creative_id in creatives:
        await services.moderation.decide(publisher_id, site_id, creative_id, decision)
    return ui.keep(redirect(f"/ui/sites/{site_id}#inbox"))


@router.get("/blocklist")
async def blocklist(request: Request) -> Response:
    ui = await load(request)
    publisher_id = ui.require("publisher")
    domains = sorted(ui.runtime.services.moderation.blocklist(publisher_id))
    return ui.render("blocklist.html", domains=domains)


@router.post("/blocklist")
async def change_blocklist(request: Request) -> Response:
    ui = await load(request)
    publisher_id = ui.require("publisher")
    moderation = ui.runtime.services.moderation
    if ui.value("action") == "unblock":
        body = parse_model(BlocklistBody, {"domains": ui.values("domain")})
        await moderation.unblock(publisher_id, list(body.domains))
    else:
        body = parse_model(BlocklistBody, {"domains": ui.value("domain").split()})
        if not body.domains:
            raise UiError(400, "domain: enter a domain to block", "domain")
        await moderation.block(publisher_id, list(body.domains))
    return ui.keep(redirect("/ui/blocklist"))
