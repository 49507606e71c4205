"""The PostgreSQL rule for tests: skip only when unreachable and CI is unset."""

from __future__ import annotations

import pytest

from tests.api import dbutil


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbutil, "pg_available", lambda: False)


def test_unreachable_without_ci_skips(unreachable: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        dbutil.require_pg()


@pytest.mark.parametrize("value", ["true", "1", "false", ""])
def test_unreachable_with_ci_set_fails(
    unreachable: None, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception):
        try:
            dbutil.require_pg()
        except pytest.skip.Exception:
            raise AssertionError(f"skipped although CI is set (to {value!r})") from None


def test_reachable_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbutil, "pg_available", lambda: True)
    monkeypatch.setenv("CI", "true")
    dbutil.require_pg()
