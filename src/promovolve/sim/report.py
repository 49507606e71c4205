"""Human-readable rendering of the pacing lab's JSON result (PACING_LAB.md, "Output")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from promovolve.sim.metrics import quantize_shape, sparkline, summarize

# Beyond this many campaigns a day shows only its worst ones, so long runs stay readable.
MAX_CAMPAIGN_ROWS = 8
LABEL_WIDTH = 10  # "Learned:  " / "Actual:   " as in the seed's display


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _fmt(value: Any, spec: str, missing: str = "—") -> str:
    number = _num(value)
    return missing if number is None else format(number, spec)


def _pct(value: Any) -> str:
    number = _num(value)
    return "—" if number is None else f"{number * 100:.1f}%"


def _shape(value: Any) -> list[float]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [_num(v) or 0.0 for v in value]


def _header(result: Mapping[str, Any], console: Console) -> None:
    sim = result.get("simulation")
    sim = sim if isinstance(sim, Mapping) else {}
    line = Text()
    line.append("Scenario ", style="dim")
    line.append(str(result.get("scenario", "?")), style="bold")
    line.append("  strategy ", style="dim")
    line.append(str(result.get("strategy", "?")), style="bold")
    line.append("  seed ", style="dim")
    line.append(str(result.get("seed", "?")))
    console.print(line)
    console.print(
        Text(
            f"Requests {_fmt(sim.get('requests'), ',.0f')}  "
            f"wall {_fmt(sim.get('wallSeconds'), '.2f')} s  "
            f"{_fmt(sim.get('requestsPerSecond'), ',.0f')} requests/s"
        )
    )


def _campaign_table(campaigns: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0))
    # Minimum widths keep an 80-column terminal from cutting ids and percentages short.
    table.add_column("Campaign", no_wrap=True, min_width=12)
    for name, width in (
        ("Budget", 6), ("Spend", 6), ("Util", 6), ("Over", 5), ("Err", 5), ("RMS", 5),
        ("Exh@", 5), ("Impr", 6), ("Clicks", 5),
    ):  # fmt: skip
        table.add_column(name, justify="right", no_wrap=True, min_width=width)
    for c in campaigns:
        over = _num(c.get("overspend")) or 0.0
        util = _num(c.get("utilization"))
        table.add_row(
            Text(str(c.get("campaignId", "?"))),
            _fmt(c.get("budget"), ",.2f"),
            _fmt(c.get("spend"), ",.2f"),
            Text(_pct(util), style="yellow" if util is not None and util < 0.99 else ""),
            Text(_pct(over), style="red" if over > 0 else ""),
            _fmt(c.get("pacingError"), ".3f"),
            _fmt(c.get("rmsPacingError"), ".3f"),
            _fmt(c.get("exhaustedAt"), ".3f"),
            _fmt(c.get("impressions"), ",.0f"),
            _fmt(c.get("clicks"), ",.0f"),
        )
    return table


def _pacing_error(campaign: Mapping[str, Any]) -> float:
    return _num(campaign.get("pacingError")) or 0.0


def _day(day: Mapping[str, Any], console: Console) -> None:
    kind = "weekend" if day.get("weekend") else "weekday"
    console.print()
    console.print(
        Text(
            f"Day {day.get('day', '?')} · {kind} · {_fmt(day.get('requests'), ',.0f')} requests",
            style="bold",
        )
    )
    campaigns = [c for c in day.get("campaigns") or [] if isinstance(c, Mapping)]
    shown = campaigns
    if len(campaigns) > MAX_CAMPAIGN_ROWS:
        shown = sorted(campaigns, key=_pacing_error, reverse=True)[:MAX_CAMPAIGN_ROWS]
    if shown:
        console.print(_campaign_table(shown))
    if len(shown) < len(campaigns):
        console.print(
            Text(
                f"  … {len(campaigns) - len(shown)} more campaigns "
                f"(showing the worst {len(shown)} of {len(campaigns)} by pacing error)",
                style="dim",
            )
        )
    sites = day.get("sites")
    if isinstance(sites, list):
        for site in sites:
            if isinstance(site, Mapping):
                console.print(
                    Text(
                        f"  Site {site.get('siteId', '?')} · "
                        f"{_fmt(site.get('requests'), ',.0f')} requests",
                        style="dim",
                    )
                )
                _shapes(site, console)
    else:
        _shapes(day, console)


def _shapes(day: Mapping[str, Any], console: Console) -> None:
    """Learned-vs-actual sparklines and match counts of one site's day."""
    learned, actual = _shape(day.get("learnedShape")), _shape(day.get("actualShape"))
    if learned or actual:
        console.print(Text("Learned:".ljust(LABEL_WIDTH) + sparkline(learned)))
        console.print(Text("Actual:".ljust(LABEL_WIDTH) + sparkline(actual)))
        buckets = max(len(learned), len(actual))
        matches = day.get("shapeMatches")
        if matches is None and len(learned) == len(actual):
            matches = sum(
                x == y for x, y in zip(quantize_shape(learned), quantize_shape(actual), strict=True)
            )
        console.print(
            Text(
                f"  Matches ({matches}/{buckets})  "
                f"within one bar {day.get('shapeWithinOne', '—')}/{buckets}  "
                f"shape error {_fmt(day.get('shapeError'), '.3f')}"
            )
        )


_SUMMARY_ROWS = (
    ("campaignDays", "Campaign-days", ",.0f"),
    ("eligibleCampaignDays", "Eligible campaign-days (day 2+)", ",.0f"),
    ("medianPacingError", "Median pacing error", ".3f"),
    ("maxPacingError", "Max pacing error", ".3f"),
    ("minUtilization", "Min utilization", "%"),
    ("meanUtilization", "Mean utilization", "%"),
    ("maxOverspend", "Max overspend", "%"),
    ("finalShapeMatches", "Final shape matches (/24)", ",.0f"),
    ("minShapeMatchesFromDay3", "Min shape matches from day 3", ",.0f"),
)


def _summary(summary: Mapping[str, Any], console: Console) -> None:
    table = Table(title="Summary", box=box.SIMPLE_HEAD, show_header=False, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    known = {key for key, _, _ in _SUMMARY_ROWS}
    for key, label, spec in _SUMMARY_ROWS:
        value = summary.get(key)
        table.add_row(label, _pct(value) if spec == "%" else _fmt(value, spec))
    for key, value in summary.items():  # extra figures the lab may add
        if key not in known and not isinstance(value, Mapping | list):
            table.add_row(key, Text(str(value)))
    console.print()
    console.print(table)


def render_report(result: Mapping[str, object], console: Console) -> None:
    """Print a lab result: header, one block per day, then the summary."""
    data: Mapping[str, Any] = result
    days = [d for d in data.get("days") or [] if isinstance(d, Mapping)]
    _header(data, console)
    for day in days:
        _day(day, console)
    summary = data.get("summary")
    if not isinstance(summary, Mapping) or not summary:
        summary = summarize(days)
    _summary(summary, console)
