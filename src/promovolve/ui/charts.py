"""Server-drawn SVG charts: a polyline per series over a fixed viewBox, no script needed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 480, 160, 24


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (x, y), x and y in data units
    color: str
    dashed: bool = False


def line_chart(title: str, series: Sequence[Series], x_max: float, y_max: float) -> Markup:
    """An accessible SVG: a title, a legend, and each series as a polyline."""
    x_span = x_max if x_max > 0 else 1.0
    y_span = y_max if y_max > 0 else 1.0

    def at(x: float, y: float) -> str:
        px = PAD + (WIDTH - 2 * PAD) * min(x / x_span, 1.0)
        py = HEIGHT - PAD - (HEIGHT - 2 * PAD) * min(y / y_span, 1.0)
        return f"{px:.1f},{py:.1f}"

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'class="chart"><title>{escape(title)}</title>',
        f'<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" '
        'fill="none" stroke="#bbb"/>',
    ]
    for i, s in enumerate(series):
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        points = " ".join(at(x, y) for x, y in s.points)
        parts.append(
            f'<polyline fill="none" stroke="{s.color}" stroke-width="2"{dash} points="{points}"/>'
        )
        parts.append(
            f'<text x="{PAD + 150 * i}" y="{PAD - 8}" fill="{s.color}" font-size="12">'
            f"{escape(s.label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
