"""`promovolve simulate`: the admin-key lookup and what the command refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from promovolve.cli.main import app
from promovolve.cli.simulate import AdminKeyError, resolve_admin_key


def test_admin_key_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./var here
    assert resolve_admin_key("given", {"PROMOVOLVE_ADMIN_KEY": "env"}) == "given"
    assert resolve_admin_key(None, {"PROMOVOLVE_ADMIN_KEY": "env"}) == "env"
    (tmp_path / "admin.key").write_text("from-file\n", encoding="utf-8")
    assert resolve_admin_key(None, {"PROMOVOLVE_DATA_DIR": str(tmp_path)}) == "from-file"
    with pytest.raises(AdminKeyError, match="--admin-key"):
        resolve_admin_key(None, {})
    with pytest.raises(AdminKeyError, match="no key file at"):
        resolve_admin_key(None, {"PROMOVOLVE_DATA_DIR": str(tmp_path / "missing")})


def test_the_servers_default_data_dir_is_read_without_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server keeps its key in ./var by default, so the simulator looks there too."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "admin.key").write_text("pv_admin_default\n", encoding="utf-8")
    assert resolve_admin_key(None, {}) == "pv_admin_default"
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "admin.key").write_text("pv_admin_other\n", encoding="utf-8")
    assert resolve_admin_key(None, {}, data_dir=other) == "pv_admin_other"
    with pytest.raises(AdminKeyError, match="no key file at"):
        resolve_admin_key(None, {}, data_dir=tmp_path / "missing")


def run_simulate(*args: str) -> Result:
    return CliRunner().invoke(app, ["simulate", *args], env={"PROMOVOLVE_ADMIN_KEY": ""})


def test_the_command_names_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "one.json"
    scenario.write_text(json.dumps({"name": "one"}), encoding="utf-8")
    result = run_simulate(str(scenario))
    assert result.exit_code == 2
    assert "no admin key" in result.output and "var/admin.key" in result.output


def test_a_network_scenario_is_refused_by_the_command(tmp_path: Path) -> None:
    scenario = tmp_path / "network.json"
    scenario.write_text(json.dumps({"sites": [{"id": "a"}, {"id": "b"}]}), encoding="utf-8")
    result = run_simulate(str(scenario), "--admin-key", "k", "--url", "http://127.0.0.1:1")
    assert result.exit_code == 2
    assert "drives one site" in result.output and "(a, b)" in result.output


def test_every_url_is_checked_and_the_trace_must_be_writable(tmp_path: Path) -> None:
    scenario = tmp_path / "one.json"
    scenario.write_text(json.dumps({"name": "one"}), encoding="utf-8")
    urls = ["--url", "http://127.0.0.1:1", "--url", "ftp://b"]
    result = run_simulate(str(scenario), "--admin-key", "k", *urls)
    assert result.exit_code == 2 and "'ftp://b'" in result.output
    (tmp_path / "file").write_text("", encoding="utf-8")
    trace = str(tmp_path / "file" / "t.csv")  # under a file: cannot be created
    result = run_simulate(str(scenario), "--admin-key", "k", "--trace", trace, "--json")
    assert result.exit_code == 2 and "cannot write trace file" in result.output
