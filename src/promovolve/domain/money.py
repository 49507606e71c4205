"""Money in integer micro-units: 1 USD = 1,000,000 micros."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MICROS_PER_USD = 1_000_000
IMPRESSIONS_PER_CPM = 1000


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def usd_to_micros(value: Decimal | str | int | float) -> int:
    """Convert dollars to micros exactly; sub-micro fractions are an error, not a rounding."""
    if isinstance(value, bool):
        raise MoneyError("must be a number, not a boolean")
    try:
        # str() first so a float like 0.1 converts as written, not as its binary expansion.
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError("must be finite")
    micros = amount * MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise MoneyError("has more than 6 decimal places")
    return int(micros)


def micros_to_usd(micros: int) -> float:
    return micros / MICROS_PER_USD


def micros_to_decimal(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_USD


def impression_price_micros(cpm_micros: int) -> int:
    """Price of one impression at a CPM; floors to whole micros so spend never rounds up."""
    return cpm_micros // IMPRESSIONS_PER_CPM
