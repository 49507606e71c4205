"""Stats: the seed's `/test/site-stats`, and richer per-site and per-campaign views."""

from __future__ import annotations

from fastapi import APIRouter

from promovolve.api.auth import require_advertiser, require_publisher
from promovolve.api.deps import PrincipalDep, RuntimeDep
from promovolve.api.errors import JsonResponse, not_found
from promovolve.api.ownership import OwnedRoute
from promovolve.api.responses import CampaignStatsOut, SiteStatsDetailOut, SiteStatsOut
from promovolve.api.runtime import Runtime
from promovolve.api.today import campaign_today, site_today
from promovolve.domain.flight_budget import todays_budget_micros
from promovolve.domain.model import ApprovalStatus, Campaign, Outcome
from promovolve.domain.money import MICROS_PER_USD
from promovolve.engine.site import SiteEngine
from promovolve.pacing.config import SECONDS_PER_DAY

router = APIRouter(tags=["stats"], route_class=OwnedRoute)


def throttle_of(engine: SiteEngine) -> float:
    override = engine.site.pacing.test_throttle_override
    return float(override) if override is not None else float(engine.gate.throttle())


def _usd(micros: int) -> float:
    return micros / MICROS_PER_USD


def _ratio(spend: int, budget: int, fraction: float) -> float | None:
    expected = budget * fraction
    return round(spend / expected, 4) if expected > 0 else None


def pending_approvals(runtime: Runtime, engine: SiteEngine) -> int:
    """Creatives waiting for the publisher's decision on this site."""
    pending = ApprovalStatus.PENDING
    return sum(
        1
        for creative_id, status in engine.approvals.items()
        if status is pending and creative_id in runtime.state.creatives
    )


def seed_stats(runtime: Runtime, engine: SiteEngine, now: float) -> dict[str, object]:
    """The seed's site-stats fields, all of today (the day that `elapsedHours` is in)."""
    controller = engine.controller
    in_day = controller.day_start is not None and not controller.has_new_day_started(now)
    elapsed = controller.clock.scaled_elapsed_seconds(now)
    outcomes = engine.today.outcomes if in_day else {}
    spend = sum(d.spend for d in engine.campaign_days.values()) if in_day else 0
    return {
        "siteId": engine.site.id,
        "selected": outcomes.get(Outcome.SELECTED.value, 0),
        "pacingSkipped": outcomes.get(Outcome.PACING_SKIPPED.value, 0),
        "budgetExhausted": outcomes.get(Outcome.BUDGET_EXHAUSTED.value, 0),
        "noCandidates": outcomes.get(Outcome.NO_CANDIDATES.value, 0),
        "totalSpend": _usd(spend),
        "elapsedHours": round(elapsed / 3600, 4),
        "expectedSpendFraction": round(controller.tracker.cumulative_fraction_at(elapsed), 6),
        "pendingApproval": pending_approvals(runtime, engine),
    }


@router.get("/test/site-stats/{siteId}", response_model=SiteStatsOut)
async def seed_site_stats(
    siteId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    """The seed's server-side stats of today (publisher key of the site's owner, or admin)."""
    state = runtime.state.sites.get(siteId)
    if state is None:
        raise not_found("site", "siteId")
    if not principal.is_admin:
        require_publisher(principal, state.engine.site.publisher_id)
    return JsonResponse(seed_stats(runtime, state.engine, runtime.clock()))


def site_stats(runtime: Runtime, engine: SiteEngine, now: float) -> dict[str, object]:
    controller = engine.controller
    clock = controller.clock
    tracker = controller.tracker
    fraction = controller.expected_fraction(now)
    in_day = controller.day_index is not None and not controller.has_new_day_started(now)
    day = clock.day_index(now)
    campaigns = []
    for campaign_id, delivery in sorted(engine.campaign_days.items()) if in_day else []:
        campaign = runtime.state.campaigns.get(campaign_id)
        if campaign is None:
            continue
        total = runtime.state.ledger.spent(campaign_id, day)
        campaigns.append(
            {
                "campaignId": campaign_id,
                "dailyBudget": _usd(campaign.daily_budget_micros),
                "siteSpendToday": _usd(delivery.spend),
                "siteImpressionsToday": delivery.impressions_served,
                "spendToday": _usd(total),
                "spendRatio": _ratio(total, campaign.daily_budget_micros, fraction),
            }
        )
    return {
        **seed_stats(runtime, engine, now),
        "publisherId": engine.site.publisher_id,
        "domain": engine.site.domain,
        "strategy": engine.gate.name,
        "dayIndex": day,
        "dayStart": clock.day_start(now),
        "dayDurationSeconds": clock.day_duration_seconds,
        "bucket": clock.bucket(now),
        "warmupMode": engine.site.pacing.warmup_mode,
        "throttle": round(throttle_of(engine), 6),
        "requestRate": round(controller.observer.rate(now), 4),
        "requestsToday": controller.requests_today if in_day else 0,
        "outcomes": dict(engine.lifetime.outcomes),
        "outcomesToday": dict(engine.today.outcomes) if in_day else {},
        "impressions": engine.lifetime.impressions,
        "clicks": engine.lifetime.clicks,
        "impressionsToday": engine.today.impressions if in_day else 0,
        "clicksToday": engine.today.clicks if in_day else 0,
        # Bids left out of an auction for being under the site's floor (one per slot).
        "belowFloor": engine.lifetime.below_floor,
        "belowFloorToday": engine.today.below_floor if in_day else 0,
        "revenueToday": _usd(sum(d.spend for d in engine.campaign_days.values()))
        if in_day
        else 0.0,
        # Slots paid demand left empty that a house ad filled, and their beacons (unpaid).
        "houseFills": engine.lifetime.house_fills,
        "houseFillsToday": engine.today.house_fills if in_day else 0,
        "houseImpressions": engine.lifetime.house_impressions,
        "houseClicks": engine.lifetime.house_clicks,
        "houseImpressionsToday": engine.today.house_impressions if in_day else 0,
        "houseClicksToday": engine.today.house_clicks if in_day else 0,
        "learnedShape": {
            "isWeekend": tracker.is_weekend,
            "active": [round(v, 6) for v in tracker.shape],
            "weekday": [round(v, 6) for v in tracker.weekday_shape],
            "weekend": [round(v, 6) for v in tracker.weekend_shape],
            "weekdayDaysLearned": tracker.weekday_days,
            "weekendDaysLearned": tracker.weekend_days,
            "coefficientOfVariation": round(tracker.coefficient_of_variation(), 6),
        },
        "campaigns": campaigns,
        "creatives": [
            {"creativeId": cid, "impressions": s.impressions, "clicks": s.clicks}
            for cid, s in sorted(engine.creative_stats.items())
        ],
    }


@router.get("/v1/publishers/{publisherId}/sites/{siteId}/stats", response_model=SiteStatsDetailOut)
async def publisher_site_stats(
    publisherId: str, siteId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    """Pacing and delivery of one site: the seed's fields plus day, throttle, shapes, spend,
    and `today` (served, viewable, clicks, settled and reserved spend)."""
    require_publisher(principal, publisherId)
    engine = runtime.services.sites.state_of(publisherId, siteId).engine
    now = runtime.clock()
    today = await site_today(runtime, engine, now)
    return JsonResponse({**site_stats(runtime, engine, now), "today": today})


def campaign_stats(runtime: Runtime, campaign: Campaign, now: float) -> dict[str, object]:
    reference_site = runtime.state.campaign_last_site.get(campaign.id)
    state = runtime.state.sites.get(reference_site) if reference_site else None
    if state is not None:
        controller = state.engine.controller
        clock = controller.clock
        day, day_start = clock.day_index(now), clock.day_start(now)
        duration = clock.day_duration_seconds
        fraction = controller.expected_fraction(now)
    else:
        day = int(now // SECONDS_PER_DAY)
        day_start = float(day * SECONDS_PER_DAY)
        duration = SECONDS_PER_DAY
        fraction = (now - day_start) / SECONDS_PER_DAY
    spent = runtime.state.ledger.spent(campaign.id, day)
    lifetime = runtime.state.lifetime_spend
    # Today's budget: the daily budget, or a lifetime budget's share of today.
    budget = todays_budget_micros(campaign, lifetime.before(campaign.id, day), day_start, duration)
    creative_ids = {c.id for c in runtime.state.creatives_of(campaign.id)}
    sites = []
    impressions = clicks = 0
    for site_id, s in sorted(runtime.state.sites.items()):
        engine = s.engine
        for cid in creative_ids:
            stats = engine.creative_stats.get(cid)
            if stats is not None:
                impressions += stats.impressions
                clicks += stats.clicks
        delivery = engine.campaign_days.get(campaign.id)
        if delivery is not None and not engine.controller.has_new_day_started(now):
            sites.append(
                {
                    "siteId": site_id,
                    "spendToday": _usd(delivery.spend),
                    "impressionsServedToday": delivery.impressions_served,
                    "throttle": round(throttle_of(engine), 6),
                }
            )
    return {
        "campaignId": campaign.id,
        "advertiserId": campaign.advertiser_id,
        "status": campaign.status.value,
        "dailyBudget": _usd(campaign.daily_budget_micros),
        "todayBudget": _usd(budget),
        "lifetimeBudget": (
            None
            if campaign.lifetime_budget_micros is None
            else _usd(campaign.lifetime_budget_micros)
        ),
        "lifetimeSpend": _usd(lifetime.total(campaign.id)),
        "cpm": _usd(campaign.cpm_micros),
        "spendToday": _usd(spent),
        "remainingToday": _usd(max(0, budget - spent)),
        "expectedSpendFraction": round(fraction, 6),
        "expectedSpend": round(budget * fraction / MICROS_PER_USD, 6),
        "spendRatio": _ratio(spent, budget, fraction),
        "referenceSiteId": reference_site if state is not None else None,
        "dayIndex": day,
        "dayStart": day_start,
        "dayDurationSeconds": duration,
        "impressions": impressions,
        "clicks": clicks,
        "sites": sites,
    }


@router.get(
    "/v1/advertisers/{advertiserId}/campaigns/{campaignId}/stats",
    response_model=CampaignStatsOut,
)
async def advertiser_campaign_stats(
    advertiserId: str, campaignId: str, runtime: RuntimeDep, principal: PrincipalDep
) -> JsonResponse:
    """Spend today against budget, expected spend fraction, spend ratio, per-site delivery.

    The day is that of the site the campaign last served on (simulated days differ per site).
    """
    require_advertiser(principal, advertiserId)
    campaign = runtime.state.campaigns.get(campaignId)
    if campaign is None or campaign.advertiser_id != advertiserId:
        raise not_found("campaign", "campaignId")
    stats = campaign_stats(runtime, campaign, runtime.clock())
    day = stats["dayIndex"]
    assert isinstance(day, int)
    return JsonResponse({**stats, "today": await campaign_today(runtime, campaign, day)})
