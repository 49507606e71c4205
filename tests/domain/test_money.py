"""Money: exact conversion between decimal dollars and integer micros."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.domain.money import (
    MoneyError,
    impression_price_micros,
    micros_to_decimal,
    micros_to_usd,
    usd_to_micros,
)

INT64_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("value", "micros"),
    [
        ("1.5", 1_500_000),
        ("0.000001", 1),
        ("30", 30_000_000),
        ("0.29", 290_000),
        ("2.50", 2_500_000),
        ("123456.654321", 123_456_654_321),
        ("-1.25", -1_250_000),
        ("1e3", 1_000_000_000),
        ("1.2300000000", 1_230_000),
        ("0", 0),
        ("0E+999999", 0),
        (Decimal("5.000005"), 5_000_005),
        (7, 7_000_000),
        (0.1, 100_000),
        (0.29, 290_000),
        (19.99, 19_990_000),
        (1e-6, 1),
    ],
)
def test_exact_conversion(value: Decimal | str | int | float, micros: int):
    assert usd_to_micros(value) == micros


@pytest.mark.parametrize(
    "value",
    [
        "0.0000001",
        "1.2345678",
        Decimal("0.0000005"),
        1e-7,
        0.1 + 0.2,  # 0.30000000000000004 as written
        "1.0000000000000000000000000001",  # too long for the default decimal context
        "0.1" + "0" * 60 + "1",
    ],
)
def test_rejects_more_than_six_decimals(value: Decimal | str | float):
    with pytest.raises(MoneyError, match="6 decimal places"):
        usd_to_micros(value)


@pytest.mark.parametrize("value", [True, False])
def test_rejects_booleans(value: bool):
    with pytest.raises(MoneyError):
        usd_to_micros(value)


@pytest.mark.parametrize(
    "value",
    ["NaN", "nan", "sNaN", "Infinity", "-inf", Decimal("NaN"), float("nan"), float("inf")],
)
def test_rejects_nan_and_infinity(value: Decimal | str | float):
    with pytest.raises(MoneyError):
        usd_to_micros(value)


@pytest.mark.parametrize("value", ["", "abc", "1,5", "$1", "1.5.2", "0x10"])
def test_rejects_text_that_is_not_a_number(value: str):
    with pytest.raises(MoneyError):
        usd_to_micros(value)


@pytest.mark.parametrize(
    "value", ["1e999999", "1e100", "9223372036854.775808", "-9223372036854.775808", 1e300]
)
def test_rejects_amounts_too_large_for_64_bit_micros(value: str | float):
    with pytest.raises(MoneyError):
        usd_to_micros(value)


def test_largest_64_bit_amount_converts():
    assert usd_to_micros("9223372036854.775807") == INT64_MAX


def test_money_error_is_a_value_error():
    with pytest.raises(ValueError):
        usd_to_micros("abc")


def test_micros_to_decimal_is_exact():
    assert micros_to_decimal(1) == Decimal("0.000001")
    assert micros_to_decimal(290_000) == Decimal("0.29")
    assert micros_to_decimal(INT64_MAX) == Decimal("9223372036854.775807")
    assert micros_to_usd(290_000) == pytest.approx(0.29)


@settings(deadline=None)
@given(st.integers(min_value=-INT64_MAX, max_value=INT64_MAX))
def test_decimal_round_trip(micros: int):
    amount = micros_to_decimal(micros)
    assert usd_to_micros(amount) == micros
    assert usd_to_micros(str(amount)) == micros


@settings(deadline=None)
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False))
def test_any_amount_with_six_decimals_converts_exactly(amount: Decimal):
    micros = usd_to_micros(amount)
    assert Decimal(micros) == amount * 1_000_000
    assert micros_to_decimal(micros) == amount


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_impression_price_is_cpm_over_1000_floored(cpm_micros: int):
    price = impression_price_micros(cpm_micros)
    assert price * 1000 <= cpm_micros < (price + 1) * 1000


def test_impression_price_examples():
    assert impression_price_micros(2_500_000) == 2500  # $2.50 CPM → $0.0025
    assert impression_price_micros(1_000) == 1
    assert impression_price_micros(1_999) == 1
    assert impression_price_micros(999) == 0
