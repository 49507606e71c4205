"""The advertiser's pages: campaigns, their creatives, today's delivery and a daily CSV."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from promovolve.api.schemas import CampaignCreate, CampaignPatch, CreativeCreate
from promovolve.domain.model import Creative, CreativeStatus
from promovolve.ui.core import Ui, UiRoute, load, number, parse_model, redirect
from promovolve.ui.daily import daily_csv
from promovolve.ui.stats_view import campaign_view

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


def _campaign_form(ui: Ui) -> dict[str, object]:
    """The form's fields as the API's body; blank fields are left out (unchanged on edit)."""
    data: dict[str, object] = {}
    for name in ("name", "dailyBudget", "cpm", "status"):
        if ui.value(name):
            data[name] = ui.value(name)
    for name in ("categories", "keywords"):
        if name in ui.form:
            data[name] = [t for t in ui.value(name).replace(",", " ").split() if t]
    return data


@router.get("/campaigns")
async def campaigns(request: Request) -> Response:
    ui = await load(request)
    advertiser_id = ui.require("advertiser")
    found = ui.runtime.services.campaigns.of_advertiser(advertiser_id)
    return ui.render("campaigns.html", campaigns=found)


@router.post("/campaigns")
async def create_campaign(request: Request) -> Response:
    ui = await load(request)
    advertiser_id = ui.require("advertiser")
    body = parse_model(CampaignCreate, _campaign_form(ui))
    draft = body.draft(advertiser_id)
    campaign = await ui.runtime.services.campaigns.create(draft)
    return ui.keep(redirect(f"/ui/campaigns/{campaign.id}"))


@router.get("/campaigns/{campaign_id}")
async def campaign(request: Request, campaign_id: str) -> Response:
    ui = await load(request)
    advertiser_id = ui.require("advertiser")
    service = ui.runtime.services.campaigns
    found = service.get(advertiser_id, campaign_id)
    return ui.render(
        "campaign.html",
        campaign=found,
        creatives=service.list_creatives(advertiser_id, campaign_id),
        **(await campaign_view(ui.runtime, found)),
    )


@router.get("/campaigns/{campaign_id}/stats")
async def campaign_stats_part(request: Request, campaign_id: str) -> Response:
    """The live part of the campaign page, polled by htmx every few seconds."""
    ui = await load(request)
    found = ui.runtime.services.campaigns.get(ui.require("advertiser"), campaign_id)
    return ui.render(
        "campaign_stats.html", campaign=found, **(await campaign_view(ui.runtime, found))
    )


@router.post("/campaigns/{campaign_id}")
async def edit_campaign(request: Request, campaign_id: str) -> Response:
    ui = await load(request)
    advertiser_id = ui.require("advertiser")
    body = parse_model(CampaignPatch, _campaign_form(ui))
    await ui.runtime.services.campaigns.update(advertiser_id, campaign_id, **body.changes())
    return ui.keep(redirect(f"/ui/campaigns/{campaign_id}"))


@router.post("/campaigns/{campaign_id}/creatives")
async def register_creative(request: Request, campaign_id: str) -> Response:
    ui = await load(request)
    advertiser_id = ui.require("advertiser")
    body = parse_model(
        CreativeCreate,
        {
            "assetUrl": ui.value("assetUrl"),
            "landingUrl": ui.value("landingUrl"),
            "width": number(ui.value("width"), "width"),
            "height": number(ui.value("height"), "height"),
        },
    )
    draft = Creative(
        id="",
        campaign_id=campaign_id,
        advertiser_id=advertiser_id,
        asset_url=body.asset_url,
        landing_url=body.landing_url,
        width=body.width,
        height=body.height,
        status=CreativeStatus(body.status),
    )
    await ui.runtime.services.campaigns.create_creative(draft)
    return ui.keep(redirect(f"/ui/campaigns/{campaign_id}#creatives"))


@router.get("/campaigns/{campaign_id}/daily.csv")
async def daily(request: Request, campaign_id: str) -> Response:
    ui = await load(request)
    found = ui.runtime.services.campaigns.get(ui.require("advertiser"), campaign_id)
    async with ui.runtime.session() as session:
        text = await daily_csv(session, found.id)
    headers = {"Content-Disposition": f'attachment; filename="{found.id}-daily.csv"'}
    return ui.keep(Response(text, media_type="text/csv; charset=utf-8", headers=headers))
