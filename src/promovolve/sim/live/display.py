"""What the live simulator shows: the Live status line, the end-of-day line, the summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from promovolve.sim.live.counters import OUTCOMES, SimCounters, SimResult
from promovolve.sim.live.report import StatsSample, shape_lines
from promovolve.sim.live.values import number
from promovolve.sim.live.world import SimWorld
from promovolve.sim.scenario import Scenario


def live_status(
    counters: SimCounters,
    *,
    elapsed: float,
    day: int,
    days: str,
    hour: int,
    in_flight: int,
    ratio: float | None,
    learned: Sequence[float] | None,
    actual: Sequence[float],
    configured: Sequence[float] | None,
) -> RenderableType:
    """The Live display: where the run is, right now."""
    c = counters
    rate = c.requests / elapsed if elapsed > 0 else 0.0
    line = Text.assemble(
        ("● live ", "bold green"),
        f"day {day}/{days} · hour {hour:02d} · {c.requests} requests ({rate:.1f}/s) · "
        f"selected {c.outcomes['selected']} · skipped {c.outcomes['pacingSkipped']} · "
        f"budget exhausted {c.outcomes['budgetExhausted']} · "
        f"in flight {in_flight} · errors {c.serve_errors + c.beacon_errors}",
    )
    shown = "n/a" if ratio is None else f"{ratio:.2f}x"
    lines: list[RenderableType] = [line, Text(f"  spend ratio {shown}", style="dim")]
    lines.extend(Text(text, style="dim") for text in shape_lines(learned, actual, hour, configured))
    return Group(*lines)


def day_line(
    day: int,
    counters: SimCounters,
    world: SimWorld | None,
    answered_spend: float,
    server_day: int | None,
    test_stats: Mapping[str, Any] | None,
    site_stats: Mapping[str, Any] | None = None,
) -> str:
    """The line at a day's end. ``server_day`` is the server's index of that day, if known;
    ``answered_spend`` what the day's selected answers were priced at."""
    c = counters
    line = f"Day {day} ended: {c.requests} requests so far, {c.outcomes['selected']} selected"
    if c.outcomes["budgetExhausted"]:
        line += f", {c.outcomes['budgetExhausted']} budget exhausted"
    spend = number((test_stats or {}).get("totalSpend"))
    source = ""
    reported_day = number((site_stats or {}).get("dayIndex"))
    if spend is None or server_day is None or reported_day != server_day:
        # The stats are not the server's account of this day (it rolled over before they
        # were taken, or they are missing): the answers' prices are the day's spend.
        spend = answered_spend
        source = " (from the answers)"
    budget = world.active_budget() if world else 0.0
    if budget > 0:
        line += f"; the day's spend ${spend:.4f}{source} of ${budget:.2f} ({spend / budget:.1%})"
    return line


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _money(value: object) -> str:
    amount = number(value)
    return "—" if amount is None else f"${amount:,.4f}"


def campaign_table(result: SimResult) -> Table | None:
    """Today's spend per campaign, from the per-site stats (None if it has none)."""
    rows = (result.site_stats or {}).get("campaigns")
    rows = [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []
    if not rows:
        return None
    labels = {c.id: c.label for c in result.world.campaigns} if result.world else {}
    table = Table(title="Campaigns today (server)")
    for name in ("campaign", "budget", "spend", "utilization", "spend ratio"):
        table.add_column(name, justify="left" if name == "campaign" else "right")
    for row in rows:
        cid = str(row.get("campaignId", "?"))
        budget, spend = number(row.get("dailyBudget")), number(row.get("spendToday"))
        ratio = number(row.get("spendRatio"))
        table.add_row(
            labels.get(cid, cid),
            _money(budget),
            _money(spend),
            f"{spend / budget:.1%}" if spend is not None and budget else "—",
            "—" if ratio is None else f"{ratio:.2f}x",
        )
    return table


def _summary_table(scenario: Scenario, result: SimResult) -> Table:
    c = result.counters
    table = Table(title=f"Simulation summary · {scenario.name}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    world = result.world
    if world is not None:
        table.add_row("Site", f"{world.site_id} ({world.domain})")
        table.add_row("Publisher", world.publisher_id)
        table.add_row(
            "Campaigns",
            f"{len(world.campaigns)} ({world.creative_count} creatives, "
            f"active budget ${world.active_budget():.2f}/day)",
        )
    rate = c.requests / result.elapsed if result.elapsed > 0 else 0.0
    table.add_row("Duration", f"{result.elapsed:.1f}s (ended on day {result.days})")
    table.add_row("Requests", f"{c.requests} ({rate:.1f}/sec), {c.serve_errors} failed")
    seen = [*OUTCOMES, *sorted(set(c.outcomes) - set(OUTCOMES))]
    table.add_row("Outcomes", ", ".join(f"{k} {c.outcomes[k]}" for k in seen))
    share = 100.0 * c.outcomes["selected"] / c.requests if c.requests else 0.0
    table.add_row("Selected", f"{c.outcomes['selected']} ({share:.1f}%)")
    table.add_row("Beacons", f"{c.impressions} impressions, {c.clicks} clicks")
    if c.actions:
        table.add_row("Churn/events", f"{c.actions} campaign changes")
    if result.max_lag > 0.5:
        table.add_row("Max lag", f"{result.max_lag:.2f}s behind schedule")
    stats = result.test_stats
    if stats is not None:
        fields = (*OUTCOMES, "totalSpend", "expectedSpendFraction")
        table.add_row(
            "Server site stats",
            ", ".join(f"{k} {_show(stats[k])}" for k in fields if k in stats),
        )
    ratio = number((result.site_stats or {}).get("spendRatio"))
    if ratio is None:
        ratio = result.last_ratio
    if ratio is not None:
        table.add_row("Spend ratio", f"{ratio:.2f}x")
    table.add_row("Reports", str(result.reports))
    errors = sum(c.errors.values())
    if errors:
        worst = ", ".join(f"{msg} (×{n})" for msg, n in c.errors.most_common(3))
        table.add_row("Errors", f"{errors}: {worst}")
    if result.interrupted:
        table.add_row("Stopped", "interrupted (Ctrl-C)")
    return table


def print_summary(console: Console, scenario: Scenario, result: SimResult) -> None:
    c = result.counters
    if result.world is None or (result.error is not None and c.dispatched == 0):
        # Nothing ran (setup failed): the error is the whole story.
        what = f"error: {result.error}" if result.error else "interrupted before any traffic"
        console.print(Text(what, style="bold red"))
        return
    console.print(_summary_table(scenario, result))
    campaigns = campaign_table(result)
    if campaigns is not None:
        console.print(campaigns)
    weekend = scenario.is_weekend(result.days)
    sample = StatsSample.from_stats(result.elapsed, result.test_stats, result.site_stats, weekend)
    learned = sample.learned_shape or result.last_learned
    lines = shape_lines(
        learned,
        scenario.shape_for_day(result.days),
        None,
        result.world.configured_shape(weekend),
        sample.days_learned,
    )
    for line in lines:
        console.print(line)
    if result.error:
        console.print(Text(f"error: {result.error}", style="bold red"))
