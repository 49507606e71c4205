"""Server-drawn SVG charts: a polyline per series over a fixed viewBox, no script needed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 480, 176, 24
LEFT = 56  # room for the y axis' labels
HOUR_TICKS = (0, 6, 12, 18, 24)


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (x, y), x and y in data units
    color: str
    dashed: bool = False


def _clamp(fraction: float) -> float:
    return min(max(fraction, 0.0), 1.0)


def line_chart(
    title: str,
    series: Sequence[Series],
    x_max: float,
    y_max: float,
    y_label: Callable[[float], str] = lambda y: f"{y:g}",
) -> Markup:
    """An accessible SVG: a title, a legend, hour ticks on x, 0 and the top value on y,
    and each series as a polyline. x is in hours of the day."""
    x_span = x_max if x_max > 0 else 1.0
    y_span = y_max if y_max > 0 else 1.0
    plot_w, plot_h = WIDTH - LEFT - PAD, HEIGHT - 2 * PAD

    def px(x: float) -> float:
        return LEFT + plot_w * _clamp(x / x_span)

    def py(y: float) -> float:
        return HEIGHT - PAD - plot_h * _clamp(y / y_span)

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'class="chart"><title>{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{PAD}" width="{plot_w}" height="{plot_h}" '
        'fill="none" stroke="#bbb"/>',
    ]
    for hour in HOUR_TICKS:
        if hour <= x_span:
            parts.append(
                f'<text x="{px(hour):.1f}" y="{HEIGHT - 8}" font-size="11" fill="#555" '
                f'text-anchor="middle">{hour}h</text>'
            )
    for value in (0.0, y_span):
        parts.append(
            f'<text x="{LEFT - 4}" y="{py(value) + 4:.1f}" font-size="11" fill="#555" '
            f'text-anchor="end">{escape(y_label(value))}</text>'
        )
    for i, s in enumerate(series):
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        parts.append(
            f'<polyline fill="none" stroke="{s.color}" stroke-width="2"{dash} points="{points}"/>'
        )
        parts.append(
            f'<text x="{LEFT + 150 * i}" y="{PAD - 8}" fill="{s.color}" font-size="12">'
            f"{escape(s.label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
