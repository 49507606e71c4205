"""The ledger's idempotency window and the retention of raw rows, from PROMOVOLVE_ settings."""

from __future__ import annotations

import pytest

from promovolve.domain.ledger import DEFAULT_IDEMPOTENCY_WINDOW_SECONDS
from promovolve.settings import DEFAULT_RETENTION_DAYS, Settings, SettingsError


def test_idempotency_window_default_and_env(monkeypatch: pytest.MonkeyPatch):
    assert Settings.from_env().idempotency_window_seconds == DEFAULT_IDEMPOTENCY_WINDOW_SECONDS
    monkeypatch.setenv("PROMOVOLVE_IDEMPOTENCY_WINDOW", "42.5")
    assert Settings.from_env().idempotency_window_seconds == 42.5


@pytest.mark.parametrize("value", ["0", "-3", "nan", "soon"])
def test_a_bad_idempotency_window_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("PROMOVOLVE_IDEMPOTENCY_WINDOW", value)
    with pytest.raises(SettingsError, match="PROMOVOLVE_IDEMPOTENCY_WINDOW"):
        Settings.from_env()


def test_retention_days_default_and_env(monkeypatch: pytest.MonkeyPatch):
    assert Settings.from_env().retention_days == DEFAULT_RETENTION_DAYS
    monkeypatch.setenv("PROMOVOLVE_RETENTION_DAYS", "0.5")
    assert Settings.from_env().retention_days == 0.5


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_bad_retention_days_are_refused_by_name(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("PROMOVOLVE_RETENTION_DAYS", value)
    with pytest.raises(SettingsError, match="PROMOVOLVE_RETENTION_DAYS"):
        Settings.from_env()
