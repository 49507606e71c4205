"""Money in integer micro-units: 1 USD = 1,000,000 micros."""

from __future__ import annotations

from decimal import Decimal, Inexact, InvalidOperation, localcontext

MICROS_PER_USD = 1_000_000
IMPRESSIONS_PER_CPM = 1000
# Amounts are stored as signed 64-bit integers (SQL BIGINT).
MAX_MICROS = 2**63 - 1


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def usd_to_micros(value: Decimal | str | int | float) -> int:
    """Convert dollars to micros exactly; sub-micro fractions are an error, not a rounding."""
    if isinstance(value, bool):
        raise MoneyError("must be a number, not a boolean")
    try:
        # str() first so a float like 0.1 converts as written, not as its binary expansion.
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise MoneyError(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError("must be finite")
    if amount.is_zero():
        return 0
    if amount.adjusted() >= 13:
        # Checked before any arithmetic, which would overflow or build a huge integer.
        raise MoneyError("is too large")
    with localcontext() as ctx:
        # Exact arithmetic: enough digits for any amount below the bound, and an input whose
        # long tail would be rounded away signals Inexact instead of being silently rounded.
        ctx.prec = 40
        ctx.traps[Inexact] = True
        try:
            micros = amount * MICROS_PER_USD
        except Inexact as exc:
            raise MoneyError("has more than 6 decimal places") from exc
    if micros != micros.to_integral_value():
        raise MoneyError("has more than 6 decimal places")
    if abs(micros) > MAX_MICROS:
        raise MoneyError("is too large")
    return int(micros)


def micros_to_usd(micros: int) -> float:
    return micros / MICROS_PER_USD


def micros_to_decimal(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_USD


def impression_price_micros(cpm_micros: int) -> int:
    """Price of one impression at a CPM; floors to whole micros so spend never rounds up."""
    return cpm_micros // IMPRESSIONS_PER_CPM
