"""Today's numbers and charts for a site or a campaign, from the API's own stats functions."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from promovolve.api.routes.stats import campaign_stats, site_stats
from promovolve.api.runtime import Runtime
from promovolve.api.today import campaign_today, site_today
from promovolve.domain.model import Campaign
from promovolve.engine.site import SiteEngine
from promovolve.pacing.shape import TrafficShapeTracker
from promovolve.ui.charts import Series, line_chart

HOURS = 24


def _dollars(value: float) -> str:
    return f"${value:,.2f}"


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _cdf(tracker: TrafficShapeTracker, scale: float) -> list[tuple[float, float]]:
    return [(h, scale * tracker.cumulative_fraction_at(h * 3600.0)) for h in range(HOURS + 1)]


def traffic_chart(engine: SiteEngine, now: float) -> Markup:
    """Learned hourly traffic shape vs today's actual requests, each as its share of the day."""
    tracker = engine.controller.tracker
    learned = tracker.shape
    total = sum(learned) or 1.0
    counts = tracker.today_count
    seen = sum(counts) or 1
    current = engine.controller.clock.bucket(now) + 1
    series = [
        Series("learned", [(h + 0.5, v / total) for h, v in enumerate(learned)], "#1f5fbf"),
        Series(
            "actual today", [(h + 0.5, c / seen) for h, c in enumerate(counts[:current])], "#b3401a"
        ),
    ]
    top = max([v / total for v in learned] + [c / seen for c in counts] + [0.01])
    return line_chart(
        "Hourly traffic: learned vs actual (share of the day)", series, HOURS, top, _percent
    )


async def site_view(runtime: Runtime, engine: SiteEngine) -> dict[str, Any]:
    now = runtime.clock()
    stats = site_stats(runtime, engine, now)
    today = await site_today(runtime, engine, now)
    budget = sum(c["dailyBudget"] for c in stats["campaigns"])  # type: ignore[attr-defined]
    spent = float(stats["totalSpend"])  # type: ignore[arg-type]
    hours = float(stats["elapsedHours"])  # type: ignore[arg-type]
    spend_chart = line_chart(
        "Spend today vs expected (traffic CDF of the funded budgets), dollars",
        [
            Series("expected", _cdf(engine.controller.tracker, budget), "#1f5fbf", dashed=True),
            Series("spent so far", [(0.0, 0.0), (hours, spent)], "#b3401a"),
        ],
        HOURS,
        max(budget, spent, 0.01),
        _dollars,
    )
    return {
        "stats": stats,
        "today": today,
        "traffic_chart": traffic_chart(engine, now),
        "spend_chart": spend_chart,
    }


async def campaign_view(runtime: Runtime, campaign: Campaign) -> dict[str, Any]:
    now = runtime.clock()
    stats = campaign_stats(runtime, campaign, now)
    today = await campaign_today(runtime, campaign, int(stats["dayIndex"]))  # type: ignore[call-overload]
    budget = float(stats["dailyBudget"])  # type: ignore[arg-type]
    spent = float(stats["spendToday"])  # type: ignore[arg-type]
    site_id = stats["referenceSiteId"]
    fraction = float(stats["expectedSpendFraction"])  # type: ignore[arg-type]
    state = runtime.state.sites.get(site_id) if isinstance(site_id, str) else None
    if state is not None:
        tracker = state.engine.controller.tracker
        expected = _cdf(tracker, budget)
        hours = state.engine.controller.clock.scaled_elapsed_seconds(now) / 3600
    else:
        expected = [(0.0, 0.0), (float(HOURS), budget)]
        hours = fraction * HOURS
    chart = line_chart(
        "Spend today vs budget vs expected, dollars",
        [
            Series("budget", [(0.0, budget), (float(HOURS), budget)], "#666", dashed=True),
            Series("expected", expected, "#1f5fbf", dashed=True),
            Series("spent so far", [(0.0, 0.0), (hours, spent)], "#b3401a"),
        ],
        HOURS,
        max(budget, spent, 0.01),
        _dollars,
    )
    return {"stats": stats, "today": today, "spend_chart": chart}
