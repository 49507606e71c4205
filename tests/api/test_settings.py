"""Settings: `PROMOVOLVE_` variables, flags over variables, and the README's table."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from promovolve.cli.main import app as cli_app
from promovolve.settings import ENV_PREFIX, Settings, SettingsError
from tests.api.harness import Harness

README = Path(__file__).parents[2] / "README.md"


def _env_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else ENV_PREFIX + name.upper())
    return names


def _readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("| setting (env / flag)")
    return text[start : text.index("\n\n", start)]


def test_every_setting_is_in_the_readme_table_and_nothing_else() -> None:
    assert set(re.findall(r"PROMOVOLVE_[A-Z_]+", _readme_table())) == _env_names()


def test_the_readme_table_names_only_flags_serve_has() -> None:
    serve = next(c for c in cli_app.registered_commands if c.name == "serve")
    assert serve.callback is not None
    flags = {"--" + name.replace("_", "-") for name in serve.callback.__code__.co_varnames}
    assert set(re.findall(r"--[a-z][a-z-]*", _readme_table())) <= flags


def test_variables_are_read_and_flags_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMOVOLVE_PORT", "9000")
    monkeypatch.setenv("PROMOVOLVE_HOST", "0.0.0.0")
    monkeypatch.setenv("PROMOVOLVE_SNAPSHOT_INTERVAL", "2.5")
    monkeypatch.setenv("PROMOVOLVE_TRACKING_TTL", "60")
    monkeypatch.setenv("PROMOVOLVE_WRITE_BATCH_ROWS", "8")
    monkeypatch.setenv("PROMOVOLVE_PUBLIC_URL", "")  # empty: unset
    settings = Settings.from_env(port=7000, host=None)
    assert settings.port == 7000  # the flag
    assert settings.host == "0.0.0.0"  # no flag given: the variable
    assert settings.snapshot_interval_seconds == 2.5
    assert settings.tracking_ttl_seconds == 60
    assert settings.write_batch_rows == 8
    assert settings.public_url is None


@pytest.mark.parametrize(
    ("env", "flags", "named"),
    [
        ({"PROMOVOLVE_WRITE_BATCH_ROWS": "0"}, {}, "PROMOVOLVE_WRITE_BATCH_ROWS"),
        ({"PROMOVOLVE_SNAPSHOT_INTERVAL": "-1"}, {}, "PROMOVOLVE_SNAPSHOT_INTERVAL"),
        ({"PROMOVOLVE_MAX_BODY_BYTES": "many"}, {}, "PROMOVOLVE_MAX_BODY_BYTES"),
        ({}, {"port": 0}, "port"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], flags: dict[str, object], named: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(**flags)
    assert named in str(caught.value) and "\n" not in str(caught.value)


def test_secrets_stay_out_of_the_repr() -> None:
    settings = Settings(admin_key="sekrit-key", database_url="postgresql://u:pw@db/x")
    assert "sekrit" not in repr(settings) and "pw@" not in repr(settings)


async def test_write_batch_rows_caps_each_group_commit(tmp_path: Path) -> None:
    harness = await Harness(Settings(data_dir=tmp_path, admin_key="k", write_batch_rows=2)).start()
    try:
        writer = harness.runtime.writer
        assert writer is not None
        rows = [
            {
                "campaign_id": "cmp-1",
                "day_index": 0,
                "reservation_id": f"r{i}/top",
                "amount_micros": 1000,
                "site_id": "site-1",
                "creative_id": "cr-1",
                "ts": 0.0,
            }
            for i in range(7)
        ]
        # Queued together, so without the cap they would be one commit.
        assert all(await asyncio.gather(*(writer.submit("reservation", r) for r in rows)))
        samples = {
            (s.name, s.labels.get("le")): s.value
            for s in next(iter(harness.runtime.metrics.write_batch.collect())).samples
        }
    finally:
        await harness.stop()
    commits = samples[("promovolve_write_batch_rows_count", None)]
    assert samples[("promovolve_write_batch_rows_sum", None)] == 7
    assert commits == 4  # 2 + 2 + 2 + 1
    assert samples[("promovolve_write_batch_rows_bucket", "2.0")] == commits
