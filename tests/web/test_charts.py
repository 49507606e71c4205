"""The dashboard's server-drawn charts: axes a reader can read, series inside the plot."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from promovolve.ui.charts import HEIGHT, LEFT, PAD, WIDTH, Series, line_chart


def _points(svg: str) -> list[tuple[float, float]]:
    found = re.findall(r'points="([^"]*)"', svg)
    return [tuple(map(float, p.split(","))) for chunk in found for p in chunk.split()]  # type: ignore[misc]


def test_the_axes_name_the_hours_and_the_top_value() -> None:
    svg = str(
        line_chart(
            "Spend",
            [Series("spent", [(0.0, 0.0), (12.0, 5.0)], "#b3401a")],
            24,
            20.0,
            lambda y: f"${y:.2f}",
        )
    )
    for hour in ("0h", "6h", "12h", "18h", "24h"):
        assert f">{hour}</text>" in svg
    assert ">$0.00</text>" in svg and ">$20.00</text>" in svg
    assert 'aria-label="Spend"' in svg and "<title>Spend</title>" in svg


@given(
    st.lists(
        st.tuples(st.floats(-10, 100, allow_nan=False), st.floats(-10, 1e6, allow_nan=False)),
        min_size=1,
        max_size=30,
    ),
    st.floats(0, 48, allow_nan=False),
    st.floats(0, 1e5, allow_nan=False),
)
def test_every_point_is_drawn_inside_the_plot(
    points: list[tuple[float, float]], x_max: float, y_max: float
) -> None:
    svg = str(line_chart("t", [Series("s", points, "#000")], x_max, y_max))
    for x, y in _points(svg):
        assert LEFT - 0.1 <= x <= WIDTH - PAD + 0.1
        assert PAD - 0.1 <= y <= HEIGHT - PAD + 0.1
