"""Reading the server's JSON answers without trusting their types (a missing or odd field
is shown as "n/a" by the simulator, never a crash)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def number(value: object) -> float | None:
    """A finite number from a JSON number or numeric string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        result = float(value)
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def json_object(value: object) -> dict[str, Any] | None:
    """A copy of a JSON object; None for anything else."""
    return dict(value) if isinstance(value, Mapping) else None
