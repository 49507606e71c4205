"""What the rendered manifests must say beyond the schemas: how the server is run (replicas,
probes, resources, graceful stop) and that every reference between objects resolves."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from deploy.checks.manifests import Manifest, describe

SERVER = "promovolve"
HEALTH_PATH = "/healthz"
# Liveness stays plain /healthz: a process that cannot reach Redis recovers by itself, and
# restarting every pod in a Redis outage would not help. Readiness asks for more.
PROBE_PATHS = {
    "startupProbe": HEALTH_PATH,
    "livenessProbe": HEALTH_PATH,
    "readinessProbe": HEALTH_PATH + "?ready=true",
}
MIN_REPLICAS = 2
# After the preStop sleep, uvicorn drains for up to 5 s (timeout_graceful_shutdown in
# cli/serve.py) and then the shutdown writes the last pacing snapshot.
SERVER_STOP_SECONDS = 10
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
REQUIRED_SECRETS = ("PROMOVOLVE_ADMIN_KEY", "PROMOVOLVE_DATABASE_URL")
# Without one of them the tracking URLs would name the pod's own address (never the Host
# header a client sends): every install says where beacons go.
TRACKING_BASE_SETTINGS = ("PROMOVOLVE_PUBLIC_URL", "PROMOVOLVE_ALLOWED_HOSTS")


def find(manifests: Sequence[Manifest], kind: str, name: str | None = None) -> list[Manifest]:
    return [
        m
        for m in manifests
        if m.get("kind") == kind and (name is None or m["metadata"]["name"] == name)
    ]


def pod_spec(workload: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Manifest) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _pod_labels(workload: Manifest) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"].get("labels", {})
    return labels


def referenced(workload: Manifest) -> Iterator[tuple[str, str]]:
    """(kind, name) of each ConfigMap and Secret a workload's pods read."""
    for container in containers(workload):
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                yield "ConfigMap", source["configMapRef"]["name"]
            if "secretRef" in source:
                yield "Secret", source["secretRef"]["name"]
        for env in container.get("env", []):
            value_from = env.get("valueFrom", {})
            if "configMapKeyRef" in value_from:
                yield "ConfigMap", value_from["configMapKeyRef"]["name"]
            if "secretKeyRef" in value_from:
                yield "Secret", value_from["secretKeyRef"]["name"]
    for volume in pod_spec(workload).get("volumes", []):
        if "configMap" in volume:
            yield "ConfigMap", volume["configMap"]["name"]
        if "secret" in volume:
            yield "Secret", volume["secret"]["secretName"]


def check_references(manifests: Sequence[Manifest]) -> list[str]:
    problems = []
    workloads = [m for m in manifests if m.get("kind") in WORKLOADS]
    for workload in workloads:
        for kind, name in referenced(workload):
            if not find(manifests, kind, name):
                problems.append(f"{describe(workload)} reads {kind} {name}, which is not rendered")
    for service in find(manifests, "Service"):
        selector = service["spec"].get("selector", {})
        targets = [w for w in workloads if _selects(selector, _pod_labels(w))]
        if not targets:
            problems.append(f"{describe(service)} selects no pods")
        ports = {p.get("name") for w in targets for c in containers(w) for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            target = port.get("targetPort")
            if isinstance(target, str) and target not in ports:
                problems.append(f"{describe(service)}: targetPort {target} is no container port")
    for pdb in find(manifests, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"].get("matchLabels", {})
        if not any(_selects(selector, _pod_labels(w)) for w in workloads):
            problems.append(f"{describe(pdb)} selects no pods")
    for hpa in find(manifests, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        if not find(manifests, target["kind"], target["name"]):
            problems.append(f"{describe(hpa)} scales {target['kind']} {target['name']}: missing")
    return problems


def check_images(manifests: Sequence[Manifest]) -> list[str]:
    problems = []
    for workload in (m for m in manifests if m.get("kind") in WORKLOADS):
        for container in containers(workload):
            image = container["image"]
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            if "@sha256:" not in image and tag in ("", "latest"):
                problems.append(f"{describe(workload)}: image {image} is not pinned")
    return problems


def check_resources(manifests: Sequence[Manifest]) -> list[str]:
    problems = []
    for workload in (m for m in manifests if m.get("kind") in WORKLOADS):
        for container in containers(workload):
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                missing = {"cpu", "memory"} - set(resources.get(part, {}))
                if missing:
                    problems.append(
                        f"{describe(workload)}/{container['name']}: no {part} for "
                        + ", ".join(sorted(missing))
                    )
    return problems


def _probe_path(container: dict[str, Any], probe: str) -> str | None:
    path: str | None = container.get(probe, {}).get("httpGet", {}).get("path")
    return path


def _pre_stop_seconds(container: dict[str, Any]) -> int | None:
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    if "sleep" in pre_stop:
        return int(pre_stop["sleep"]["seconds"])
    command = pre_stop.get("exec", {}).get("command", [])
    if len(command) == 2 and command[0] == "sleep":
        return int(command[1])
    return None


def check_server(manifests: Sequence[Manifest]) -> list[str]:
    deployments = find(manifests, "Deployment", SERVER)
    if len(deployments) != 1:
        return [f"expected one Deployment {SERVER}, found {len(deployments)}"]
    deployment = deployments[0]
    spec, pod = deployment["spec"], pod_spec(deployment)
    problems = []
    if spec.get("replicas", 1) < MIN_REPLICAS:
        problems.append(f"{describe(deployment)}: replicas must be at least {MIN_REPLICAS}")
    if pod.get("enableServiceLinks", True):
        problems.append(
            f"{describe(deployment)}: set enableServiceLinks: false (the {SERVER} Service "
            f"would inject {SERVER.upper()}_PORT=tcp://...)"
        )
    grace = pod.get("terminationGracePeriodSeconds", 30)
    for container in pod["containers"]:
        where = f"{describe(deployment)}/{container['name']}"
        for probe, path in PROBE_PATHS.items():
            if _probe_path(container, probe) != path:
                problems.append(f"{where}: {probe} must GET {path}")
        sleep = _pre_stop_seconds(container)
        if sleep is None:
            problems.append(f"{where}: needs a preStop sleep, so the Service stops routing first")
        elif sleep + SERVER_STOP_SECONDS > grace:
            problems.append(
                f"{where}: preStop {sleep} s + {SERVER_STOP_SECONDS} s to stop exceeds "
                f"terminationGracePeriodSeconds {grace}"
            )
    secrets = [n for k, n in referenced(deployment) if k == "Secret"]
    keys = {
        key
        for name in secrets
        for secret in find(manifests, "Secret", name)
        for key in (*secret.get("data", {}), *secret.get("stringData", {}))
    }
    for key in REQUIRED_SECRETS:
        if key not in keys:
            problems.append(f"{describe(deployment)}: no Secret it reads holds {key}")
    configs = [n for k, n in referenced(deployment) if k == "ConfigMap"]
    settings = {
        key
        for name in configs
        for config in find(manifests, "ConfigMap", name)
        for key, value in config.get("data", {}).items()
        if value
    }
    if not settings & set(TRACKING_BASE_SETTINGS):
        problems.append(
            f"{describe(deployment)}: no ConfigMap it reads sets "
            f"{' or '.join(TRACKING_BASE_SETTINGS)}"
        )
    for hpa in find(manifests, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] == SERVER and (
            hpa["spec"].get("minReplicas", 1) < MIN_REPLICAS
        ):
            problems.append(f"{describe(hpa)}: minReplicas must be at least {MIN_REPLICAS}")
    if not find(manifests, "PodDisruptionBudget"):
        problems.append("no PodDisruptionBudget")
    if not find(manifests, "HorizontalPodAutoscaler"):
        problems.append("no HorizontalPodAutoscaler")
    return problems


def check_policy(manifests: Sequence[Manifest]) -> list[str]:
    return [
        *check_server(manifests),
        *check_references(manifests),
        *check_resources(manifests),
        *check_images(manifests),
    ]
