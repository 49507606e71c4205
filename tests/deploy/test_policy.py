"""Each rule of deploy/checks/policy.py fails on a rendered overlay changed to break it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
from deploy.checks.manifests import Manifest, render
from deploy.checks.policy import check_policy, find, pod_spec

ROOT = Path(__file__).resolve().parents[2]
Change = Callable[[list[Manifest]], None]


@pytest.fixture(scope="module")
def self_contained() -> list[Manifest]:
    return render(ROOT / "deploy" / "overlays" / "self-contained")


def broken(manifests: list[Manifest], change: Change) -> list[str]:
    changed = copy.deepcopy(manifests)
    change(changed)
    return check_policy(changed)


def server_container(manifests: list[Manifest]) -> dict[str, object]:
    container: dict[str, object] = pod_spec(find(manifests, "Deployment", "promovolve")[0])[
        "containers"
    ][0]
    return container


def set_replicas(m: list[Manifest]) -> None:
    find(m, "Deployment", "promovolve")[0]["spec"]["replicas"] = 1


def probe_elsewhere(m: list[Manifest]) -> None:
    server_container(m)["livenessProbe"] = {"tcpSocket": {"port": "http"}}


def ready_as_alive(m: list[Manifest]) -> None:
    server_container(m)["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}}


def restart_when_unready(m: list[Manifest]) -> None:
    probe = {"httpGet": {"path": "/healthz?ready=true", "port": "http"}}
    server_container(m)["livenessProbe"] = probe


def drop_limits(m: list[Manifest]) -> None:
    del find(m, "StatefulSet", "redis")[0]["spec"]["template"]["spec"]["containers"][0][
        "resources"
    ]["limits"]


def long_pre_stop(m: list[Manifest]) -> None:
    server_container(m)["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", "25"]}}}


def no_pre_stop(m: list[Manifest]) -> None:
    del server_container(m)["lifecycle"]


def no_tracking_base(m: list[Manifest]) -> None:
    data = find(m, "ConfigMap")[0]["data"]
    data.pop("PROMOVOLVE_PUBLIC_URL", None)
    data.pop("PROMOVOLVE_ALLOWED_HOSTS", None)


def rename_secret(m: list[Manifest]) -> None:
    find(m, "Secret")[0]["metadata"]["name"] = "promovolve-secrets"


def drop_admin_key(m: list[Manifest]) -> None:
    del find(m, "Secret")[0]["data"]["PROMOVOLVE_ADMIN_KEY"]


def service_links(m: list[Manifest]) -> None:
    del pod_spec(find(m, "Deployment", "promovolve")[0])["enableServiceLinks"]


def floating_image(m: list[Manifest]) -> None:
    find(m, "StatefulSet", "postgres")[0]["spec"]["template"]["spec"]["containers"][0]["image"] = (
        "postgres:latest"
    )


def service_port(m: list[Manifest]) -> None:
    find(m, "Service", "promovolve")[0]["spec"]["ports"][0]["targetPort"] = "web"


def hpa_target(m: list[Manifest]) -> None:
    find(m, "HorizontalPodAutoscaler")[0]["spec"]["scaleTargetRef"]["name"] = "server"


def hpa_floor(m: list[Manifest]) -> None:
    find(m, "HorizontalPodAutoscaler")[0]["spec"]["minReplicas"] = 1


def pdb_selector(m: list[Manifest]) -> None:
    find(m, "PodDisruptionBudget")[0]["spec"]["selector"]["matchLabels"] = {"app": "other"}


def no_pdb(m: list[Manifest]) -> None:
    m[:] = [x for x in m if x["kind"] != "PodDisruptionBudget"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (set_replicas, "Deployment/promovolve: replicas must be at least 2"),
        (probe_elsewhere, "Deployment/promovolve/server: livenessProbe must GET /healthz"),
        (
            ready_as_alive,
            "Deployment/promovolve/server: readinessProbe must GET /healthz?ready=true",
        ),
        (restart_when_unready, "Deployment/promovolve/server: livenessProbe must GET /healthz"),
        (drop_limits, "StatefulSet/redis/redis: no limits for cpu, memory"),
        (
            long_pre_stop,
            "Deployment/promovolve/server: preStop 25 s + 10 s to stop exceeds "
            "terminationGracePeriodSeconds 30",
        ),
        (
            no_pre_stop,
            "Deployment/promovolve/server: needs a preStop sleep, so the Service stops routing "
            "first",
        ),
        (rename_secret, "Deployment/promovolve reads Secret promovolve-secrets-"),
        (drop_admin_key, "Deployment/promovolve: no Secret it reads holds PROMOVOLVE_ADMIN_KEY"),
        (service_links, "Deployment/promovolve: set enableServiceLinks: false"),
        (no_tracking_base, "Deployment/promovolve: no ConfigMap it reads sets PROMOVOLVE_PUBLIC"),
        (floating_image, "StatefulSet/postgres: image postgres:latest is not pinned"),
        (service_port, "Service/promovolve: targetPort web is no container port"),
        (hpa_target, "HorizontalPodAutoscaler/promovolve scales Deployment server: missing"),
        (hpa_floor, "HorizontalPodAutoscaler/promovolve: minReplicas must be at least 2"),
        (pdb_selector, "PodDisruptionBudget/promovolve selects no pods"),
        (no_pdb, "no PodDisruptionBudget"),
    ],
)
def test_each_rule_can_fail(self_contained: list[Manifest], change: Change, expected: str) -> None:
    assert check_policy(self_contained) == []
    problems = broken(self_contained, change)
    assert any(p.startswith(expected) for p in problems), problems
