"""Turning pydantic's account of a bad scenario into one line naming the dotted key.

Also finds the keys a file gives that no model knows, which are warned about, not refused.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from promovolve.sim.scenario_items import HOURS_PER_DAY, ScenarioError


def show(value: object) -> str:
    """A short rendering of a bad value for error messages (JSON-like, truncated)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def dotted(loc: Sequence[int | str]) -> str:
    """``("events", 0, "budget")`` → ``events[0].budget``."""
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else part)
    return key


def _bound(value: object) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


def _problem(error: ErrorDetails) -> str:
    """Our wording of one pydantic error (with the value, where that helps)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("too_short", "too_long"):
        bound, got = ctx.get("min_length", ctx.get("max_length")), ctx.get("actual_length")
        if kind == "too_short" and bound == 1:
            return "must not be empty"
        if bound == HOURS_PER_DAY:  # only shapes have a fixed length
            return f"must be a list of exactly 24 hourly volumes, got {got} items"
        side = "at least" if kind == "too_short" else "at most"
        return f"must be a list of {side} {bound} items, got {got} items"
    words = {
        "greater_than": "must be greater than {gt}",
        "greater_than_equal": "must be at least {ge}",
        "less_than": "must be less than {lt}",
        "less_than_equal": "must not exceed {le}",
        "int_type": "must be an integer",
        "int_from_float": "must be an integer",
        "float_type": "must be a number",
        "finite_number": "must be a finite number",
        "bool_type": "must be true or false",
        "string_type": "must be a string",
        "tuple_type": "must be a list",
        "list_type": "must be a list",
        "model_type": "must be an object",
        "dict_type": "must be an object",
        "literal_error": "must be {expected}",
    }
    template = words.get(kind)
    if template is None:
        return error["msg"]
    if ctx.get("gt") == 0:
        template = "must be a positive number"
    elif ctx.get("ge") == 0:
        template = "must be a non-negative number"
    text = template.format(**{k: _bound(v) for k, v in ctx.items()})
    return f"{text}, got {show(error['input'])}"


def describe_error(error: ValidationError) -> ScenarioError:
    """The first problem pydantic found, as a ScenarioError with the full dotted key.

    A ScenarioError raised by one of our validators names its key relative to the model
    that raised it; pydantic's location of a model validator ends at that model, and of a
    field validator at the field, which belongs to the same model.
    """
    first = error.errors(include_url=False)[0]
    loc = list(first["loc"])
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, ScenarioError):
        if loc and isinstance(loc[-1], str):
            loc.pop()
        prefix = dotted(loc)
        key = (
            cause.key if not prefix else f"{prefix}{'' if cause.key[0] == '[' else '.'}{cause.key}"
        )
        return ScenarioError(key, cause.problem)
    return ScenarioError(dotted(loc) or "(scenario)", _problem(first))


def _item_model(annotation: object) -> type[BaseModel] | None:
    """The model a field's list holds (``tuple[Burst, ...] | None`` → Burst), if any."""
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        if isinstance(arg, types.UnionType) or typing.get_args(arg):
            found = _item_model(arg)
            if found is not None:
                return found
    return None


def unknown_keys(model: type[BaseModel], data: Mapping[str, Any], path: str = "") -> list[str]:
    """A warning for each key of ``data`` (and of its list items) that ``model`` lacks."""
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    warnings: list[str] = []
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        field = fields.get(key)
        if field is None:
            warnings.append(f"unknown scenario key '{where}' ignored")
            continue
        item = _item_model(field.annotation)
        if item is not None and isinstance(value, list):
            for i, element in enumerate(value):
                if isinstance(element, Mapping):
                    warnings.extend(unknown_keys(item, element, f"{where}[{i}]"))
    return warnings
