"""The Kubernetes manifests: both overlays render with kustomize, every object validates
against the Kubernetes schemas offline, and the server is run as the issue asks."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from deploy.checks import __main__ as checks_cli
from deploy.checks.manifests import Manifest, RenderError, render, schema_problems
from deploy.checks.policy import PROBE_PATHS, check_policy, find, pod_spec, referenced

from promovolve.settings import Settings
from tests.api.test_settings import _env_names

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("self-contained", "managed")
FIXTURES = Path(__file__).parent / "fixtures"
# Settings the manifests already carry for work in progress (issue 11: shared state in Redis).
PENDING_SETTINGS = {"PROMOVOLVE_REDIS_URL"}


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[Manifest]:
    return render(ROOT / "deploy" / "overlays" / request.param)


def server(manifests: list[Manifest]) -> Manifest:
    [deployment] = find(manifests, "Deployment", "promovolve")
    return deployment


def server_env(manifests: list[Manifest]) -> dict[str, str]:
    """The environment the server container gets from its ConfigMap and Secret."""
    env: dict[str, str] = {}
    for kind, name in referenced(server(manifests)):
        [source] = find(manifests, kind, name)
        for key, value in source.get("data", {}).items():
            env[key] = base64.b64decode(value).decode() if kind == "Secret" else value
    return env


def test_every_rendered_object_validates_against_the_schemas(rendered: list[Manifest]) -> None:
    kinds = {m["kind"] for m in rendered}
    assert {"Namespace", "Deployment", "Service", "ConfigMap", "Secret"} <= kinds
    assert {"PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds
    assert schema_problems(rendered) == []
    assert check_policy(rendered) == []


def test_every_object_lives_in_the_namespace(rendered: list[Manifest]) -> None:
    for manifest in rendered:
        if manifest["kind"] != "Namespace":
            assert manifest["metadata"]["namespace"] == "promovolve", manifest["metadata"]


def test_the_server_runs_replicated_probed_and_bounded(rendered: list[Manifest]) -> None:
    deployment = server(rendered)
    assert deployment["spec"]["replicas"] >= 2
    [container] = pod_spec(deployment)["containers"]
    port = container["ports"][0]
    assert (port["name"], port["containerPort"]) == ("http", 8080)
    for probe, path in PROBE_PATHS.items():
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}
    for part in ("requests", "limits"):
        assert set(container["resources"][part]) == {"cpu", "memory"}
    assert pod_spec(deployment)["securityContext"]["runAsNonRoot"] is True
    [hpa] = find(rendered, "HorizontalPodAutoscaler")
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["scaleTargetRef"]["name"] == "promovolve"


def test_the_server_reads_the_generated_secret_and_config(rendered: list[Manifest]) -> None:
    sources = set(referenced(server(rendered)))
    [secret] = find(rendered, "Secret")
    assert ("Secret", secret["metadata"]["name"]) in sources
    assert secret["metadata"]["name"].startswith("promovolve-secrets-")  # hashed: rolls pods
    assert {"PROMOVOLVE_ADMIN_KEY", "PROMOVOLVE_DATABASE_URL"} <= set(secret["data"])
    assert any(kind == "ConfigMap" for kind, _ in sources)


def test_the_config_holds_only_settings_the_server_reads(
    rendered: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = server_env(rendered)
    for key in _env_names():
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env()
    assert settings.host == "0.0.0.0" and settings.port == 8080
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.admin_key
    ours = {key for key in env if key.startswith("PROMOVOLVE_")}
    assert ours - _env_names() <= PENDING_SETTINGS


def test_the_self_contained_install_has_its_own_datastores() -> None:
    manifests = render(ROOT / "deploy" / "overlays" / "self-contained")
    assert {m["metadata"]["name"] for m in find(manifests, "StatefulSet")} == {"postgres", "redis"}
    env = server_env(manifests)
    assert "@postgres:5432/" in env["PROMOVOLVE_DATABASE_URL"]
    assert env["PROMOVOLVE_REDIS_URL"] == "redis://redis:6379/0"
    password = urlsplit(env["PROMOVOLVE_DATABASE_URL"]).password
    assert password == env["POSTGRES_PASSWORD"]  # the server logs in as PostgreSQL is set up
    [postgres] = find(manifests, "StatefulSet", "postgres")
    assert ("Secret", find(manifests, "Secret")[0]["metadata"]["name"]) in set(referenced(postgres))


def test_the_managed_install_runs_only_the_server() -> None:
    manifests = render(ROOT / "deploy" / "overlays" / "managed")
    assert find(manifests, "StatefulSet") == []
    env = server_env(manifests)
    assert "@postgres:5432/" not in env["PROMOVOLVE_DATABASE_URL"]
    assert env["PROMOVOLVE_REDIS_URL"].startswith("rediss://")


def test_a_broken_manifest_fails_schema_validation() -> None:
    manifests = render(FIXTURES / "broken")
    problems = schema_problems(manifests)
    assert any("spec.replicas: 'two' is not of type 'integer'" in p for p in problems), problems
    assert any(
        p.startswith("Deployment/typo: spec.template.spec.containers.0: ")
        and "'livenessProbes' was unexpected" in p
        for p in problems
    ), problems


def test_an_unknown_kind_fails_schema_validation() -> None:
    problems = schema_problems([{"apiVersion": "v1", "kind": "Servce", "metadata": {"name": "x"}}])
    assert len(problems) == 2 and all(p.startswith("Servce/x:") for p in problems)


def test_an_unrenderable_overlay_is_an_error() -> None:
    with pytest.raises(RenderError, match=r"missing\.yaml"):
        render(FIXTURES / "unrenderable")


def test_the_command_fails_on_a_broken_overlay(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks_cli.main([str(FIXTURES / "broken"), str(FIXTURES / "unrenderable")]) == 1
    out = capsys.readouterr().out
    assert "broken: FAILED" in out and "unrenderable: FAILED" in out


def test_the_command_passes_on_the_repository(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks_cli.main([]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Dockerfile: ok"
    assert {line.split(":")[0] for line in out[1:]} == set(OVERLAYS)


def test_the_readme_applies_exactly_the_overlays() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    applied = re.findall(r"kubectl apply -k (\S+)", readme)
    assert sorted(applied) == sorted(f"deploy/overlays/{name}" for name in OVERLAYS)
