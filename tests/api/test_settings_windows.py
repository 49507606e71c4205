"""The ledger's idempotency window and the retention of raw rows, from PROMOVOLVE_ settings."""

from __future__ import annotations

import pytest

from promovolve.domain.ledger import DEFAULT_IDEMPOTENCY_WINDOW_SECONDS
from promovolve.settings import DEFAULT_RETENTION_DAYS, Settings, SettingsError


def test_idempotency_window_default_and_env():
    assert Settings.from_env({}).idempotency_window_seconds == DEFAULT_IDEMPOTENCY_WINDOW_SECONDS
    env = {"PROMOVOLVE_IDEMPOTENCY_WINDOW": "42.5"}
    assert Settings.from_env(env).idempotency_window_seconds == 42.5


@pytest.mark.parametrize("value", ["0", "-3", "nan"])
def test_a_bad_idempotency_window_is_refused_by_name(value: str):
    with pytest.raises(SettingsError, match="PROMOVOLVE_IDEMPOTENCY_WINDOW"):
        Settings.from_env({"PROMOVOLVE_IDEMPOTENCY_WINDOW": value})


def test_an_idempotency_window_that_is_no_number_is_refused():
    with pytest.raises(SettingsError, match="soon"):
        Settings.from_env({"PROMOVOLVE_IDEMPOTENCY_WINDOW": "soon"})


def test_retention_days_default_and_env():
    assert Settings.from_env({}).retention_days == DEFAULT_RETENTION_DAYS
    assert Settings.from_env({"PROMOVOLVE_RETENTION_DAYS": "0.5"}).retention_days == 0.5


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_bad_retention_days_are_refused_by_name(value: str):
    with pytest.raises(SettingsError, match="PROMOVOLVE_RETENTION_DAYS"):
        Settings.from_env({"PROMOVOLVE_RETENTION_DAYS": value})
