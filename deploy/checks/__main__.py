"""`python -m deploy.checks`: check the Dockerfile, then render and validate each overlay.

Exits 1 when anything fails, printing each problem; nothing here needs a Docker engine or
a cluster.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deploy.checks.dockerfile_rules import check_dockerfile
from deploy.checks.manifests import KUBERNETES_VERSIONS, RenderError, render, schema_problems
from deploy.checks.policy import check_policy

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "deploy" / "overlays"


def check_overlay(directory: Path) -> tuple[int, list[str]]:
    """(objects rendered, problems) for one kustomize directory."""
    try:
        manifests = render(directory)
    except RenderError as error:
        return 0, [str(error)]
    # The policy reads fields by their types, so it runs only on objects the schemas accept.
    problems = schema_problems(manifests)
    return len(manifests), problems or check_policy(manifests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.checks", description=__doc__)
    parser.add_argument(
        "overlays",
        nargs="*",
        type=Path,
        help="kustomize directories (default: every one under deploy/overlays)",
    )
    args = parser.parse_args(argv)
    failed = False
    problems = check_dockerfile(ROOT)
    print(f"Dockerfile: {'ok' if not problems else 'FAILED'}")
    for problem in problems:
        print(f"  {problem}")
    failed |= bool(problems)
    overlays = args.overlays or sorted(p for p in OVERLAYS.iterdir() if p.is_dir())
    versions = " and ".join(KUBERNETES_VERSIONS)
    for overlay in overlays:
        count, problems = check_overlay(overlay)
        status = f"{count} objects valid for Kubernetes {versions}" if not problems else "FAILED"
        print(f"{overlay.name}: {status}")
        for problem in problems:
            print(f"  {problem}")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
