"""`promovolve serve` refuses bad settings with a one-line error and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from promovolve.cli.main import app


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--log-level", "loud"], {}, "--log-level"),
        ([], {"PROMOVOLVE_PORT": "eighty"}, "PROMOVOLVE_"),
        (["--port", "70000"], {}, "port"),
    ],
)
def test_bad_settings_exit_2(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = CliRunner().invoke(
        app, ["serve", "--data-dir", str(tmp_path / "data"), *args], env=env
    )
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and message in result.output
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    "env",
    [
        {},  # SQLite, no Redis
        {"PROMOVOLVE_REDIS_URL": "redis://127.0.0.1:6379/0"},  # Redis but SQLite
        {"PROMOVOLVE_DATABASE_URL": "postgresql+asyncpg://u@db/p"},  # PostgreSQL, no Redis
    ],
)
def test_workers_need_redis_and_postgresql(tmp_path: Path, env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        app, ["serve", "--data-dir", str(tmp_path / "data"), "--workers", "2"], env=env
    )
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: --workers") and "PROMOVOLVE_REDIS_URL" in line
    assert not (tmp_path / "data").exists()
